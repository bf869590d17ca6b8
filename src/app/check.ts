/**
 * One model check: a scenario, a kernel variant and a property, searched, and
 * the result shaped for people and scripts. The CLI and the tests use this.
 */
import type { Property } from "../engine/model.js";
import type { Path } from "../engine/path.js";
import { NO_REDUCTION, type Reductions } from "../engine/reduce.js";
import { countPreemptions, rebuildPreferred } from "../engine/preemption.js";
import { preferredPath } from "../engine/preferred-search.js";
import { rebuildPath, type PreferredPath } from "../engine/path.js";
import { preemptionsSettled, search, type SearchOptions, type SearchResult, type ViolationClass } from "../engine/search.js";
import { parallelSearch } from "../engine/parallel.js";
import { workerModelSource } from "../model/worker-model.js";
import { InputError } from "../errors.js";
import { signalName, stopRequested } from "../runtime/control.js";
import type { Kernel } from "../kernel/kernel.js";
import { conntrackModel, type ConntrackModel } from "../model/model.js";
import { classMeaning, isBuiltinProperty, PROPERTIES, propertiesOf, propertyIn } from "../kernel/properties/properties.js";
import { featuresOf, whyNotReduced } from "../model/features.js";
import type { KState } from "../kernel/net/state.js";
import { describeKernel, PATCHES, resolveKernel } from "../kernel/variants.js";
import type { Explanation } from "./explain.js";
import { explanationOf, traceSteps, type TraceStep } from "./trace.js";
import type { Scenario } from "../scenario/scenario.js";
import { commandCost, type CommandCost } from "../runtime/cost.js";

export interface CheckRun {
  readonly scenario: Scenario;
  readonly kernel: Kernel;
  /** Every property the search checked, in PROPERTIES order. */
  readonly properties: readonly Property<KState>[];
  readonly model: ConntrackModel;
  readonly result: SearchResult;
  /** The reductions asked for explicitly (result.links.reduce: the ones the model could apply); undefined: the default. */
  readonly asked?: Reductions;
}

export function resolveProperty(name: string, field = "property"): Property<KState> {
  const p = PROPERTIES.find((q) => q.name === name);
  if (!p) throw new InputError(`${field}: unknown property '${name}': expected one of ${PROPERTIES.map((q) => q.name).join(", ")}`);
  return p;
}

/** The properties a scenario supports: each one whose gate lets it (kernel/properties/). */
export { propertiesOf };

/** What `--property` (a comma-separated list) narrows a check to; every supported property when absent. */
export function selectProperties(sc: Scenario, names: string | readonly (string | Property<KState>)[] | Property<KState> | undefined, field = "property"): Property<KState>[] {
  if (names === undefined) return propertiesOf(sc);
  const list = typeof names === "string" ? names.split(",").map((n) => n.trim()) : Array.isArray(names) ? names : [names as Property<KState>];
  if (list.length === 0 || list.some((n) => n === "")) throw new InputError(`${field}: expected a comma-separated list of properties (${PROPERTIES.map((q) => q.name).join(", ")}), got '${String(names)}'`);
  const props = list.map((n) => (typeof n === "string" ? propertyIn(resolveProperty(n, field), sc) : n));
  for (const p of props) {
    const why = PROPERTIES.find((q) => q.name === p.name)?.gate(sc);
    if (why) throw new InputError(`${field}: ${p.name} ${why}, and ${sc.name} (${sc.source}) has none`);
  }
  // One order whatever order they were named in, so reports compare run to run.
  const builtin = (p: Property<KState>): boolean => PROPERTIES.some((q) => propertyIn(q, sc) === p);
  return PROPERTIES.map((q) => propertyIn(q, sc)).filter((p) => props.includes(p)).concat(props.filter((p) => !builtin(p)));
}

export interface CheckOptions extends SearchOptions<KState> {
  /** Worker threads for a breadth-first search (default 1). */
  readonly workers?: number;
  /** The reductions were asked for (not the default): the report says when one cannot apply. */
  readonly explicitReduce?: boolean;
}

/** Searches `sc` on `kernel` under `properties` (default: every one the scenario supports), in one search. */
export function runCheck(
  sc: Scenario,
  kernel: Kernel | string,
  properties?: string | Property<KState> | readonly (string | Property<KState>)[],
  opts: CheckOptions = {},
): CheckRun {
  const k = typeof kernel === "string" ? resolveKernel(kernel) : kernel;
  const props = selectProperties(sc, properties);
  // Symmetry reduction by default: it keeps shortest lengths and verdicts exact.
  const options = { reduce: REDUCTIONS.symmetry, ...opts };
  const workers = parallelWorkers(k, props, options);
  const model = conntrackModel(sc, k, { portable: workers !== undefined });
  const result =
    workers && k.rebuild
      ? parallelSearch(model, props, { ...options, workers, source: workerModelSource({ scenario: sc, kernel: k.rebuild.name, patchFiles: k.rebuild.patchFiles, properties: props.map((p) => p.name) }) })
      : search(model, props, options);
  return { scenario: sc, kernel: k, properties: props, model, result, ...(opts.explicitReduce ? { asked: options.reduce ?? NO_REDUCTION } : {}) };
}

/** Why a reduction asked for did not apply to scenario `sc` on kernel `k` (the model offers none), in words. */

/** Worker threads a check runs on (undefined: this one). Parallel search is
 * breadth-first only, reports no states to a `visit` callback, does not stop at
 * the first violation, and needs the kernel and properties rebuildable by name in another thread. */
function parallelWorkers(k: Kernel, props: readonly Property<KState>[], opts: CheckOptions): number | undefined {
  const n = opts.workers ?? 1;
  if (n <= 1 || opts.order === "dfs" || opts.visit || opts.stopAtFirst || !k.rebuild || !props.every(isBuiltinProperty)) return undefined;
  return n;
}

export interface Counterexample {
  readonly class: string;
  /** The property the class violates. */
  readonly property: string;
  readonly preemptions: number;
  /** The shortest schedule with the fewest preemptions; false: the search's own
   * path, kept when finding that one would cost too much. */
  readonly minimal: boolean;
  readonly path: Path<KState>;
  readonly steps: TraceStep[];
  /** Which packet, the decisive step, the step that caused it and why (src/app/explain.ts):
   * explanationOf(steps, class, property), null when no step explains it. */
  readonly explanation: Explanation | null;
}

/** The counterexample for one violation class (default: the first listed, the shallowest):
 * a shortest path to a state of that class, and among those the one with the
 * fewest preemptions, the schedule a person can follow. */
/** `own`: the search's own (breadth-first, a shortest) path to the class's first state, not the fewest-preemption one. */
export function counterexample(run: CheckRun, cls?: string, opts: { own?: boolean } = {}): Counterexample | undefined {
  const v = cls ? run.result.violations.find((c) => c.name === cls) : run.result.violations[0];
  if (!v) return undefined;
  const { model } = run;
  // The breadth-first search kept the fewest-preemption links (engine/preemption.ts); a parallel or
  // depth-first one did not: its own path.
  const tracked = opts.own !== true && run.result.preferred !== undefined && v.preferred !== undefined;
  const best = tracked ? preferredOf(run, v, v.preferred!) : opts.own === true ? undefined : searchedAgain(run, v);
  const path = best ?? rebuildPath(model, run.result.links, v.first);
  const steps = traceSteps(model, path);
  const explanation = explanationOf(steps, v.name, v.property);
  // Stopped by a budget before the class's layer was all found: the fewest among those found.
  const r = run.result;
  if (best) return { class: v.name, property: v.property, preemptions: best.preemptions, minimal: preemptionsSettled(r, v), path, steps, explanation };
  return { class: v.name, property: v.property, preemptions: countPreemptions(model, path), minimal: false, path, steps, explanation };
}

/** How many (state, last CPU) pairs the second search for a parallel search's counterexample may keep. */
const PREFERRED_PATH_NODES = 300_000;

/** Worker threads keep no fewest-preemption links: a second search finds the path, unless the first
 * stopped for memory or by a signal, or this one would keep too many pairs (then the search's own path). */
function searchedAgain(run: CheckRun, v: ViolationClass): PreferredPath<KState> | undefined {
  if (run.result.budget === "max-memory" || run.result.budget === "interrupted") return undefined;
  return preferredPath(run.model, (s) => showsClass(run, v, s), v.depth, PREFERRED_PATH_NODES);
}

/** The fewest-preemption path to class `v`'s state `index`, checked on the concrete path: it ends in a
 * state of the class and has the preemptions the search counted. Should either fail (our bug), the
 * caller falls back to the search's own path. */
function preferredOf(run: CheckRun, v: ViolationClass, index: number): PreferredPath<KState> | undefined {
  const best = rebuildPreferred(run.model, run.result.links, run.result.preferred!, index);
  return showsClass(run, v, best.states[best.states.length - 1]!) && countPreemptions(run.model, best) === best.preemptions ? best : undefined;
}

/** State `s` shows class `v`: its property names it there (a terminal property only where no step is left). */
function showsClass(run: CheckRun, v: ViolationClass, s: KState): boolean {
  const property = run.properties.find((p) => p.name === v.property)!;
  return (property.kind === "invariant" || run.model.actions(s).length === 0) && property.violations(s).includes(v.name);
}

export interface DropSummary {
  readonly class: string;
  /** The property it violates. */
  readonly property: string;
  readonly meaning: string;
  readonly states: number;
  /** Steps in the shortest trace to a state of this class (BFS). */
  readonly shortest: number;
}

export interface CheckReport {
  scenario: string;
  scenarioFile: string;
  kernel: string;
  kernelParts: readonly string[];
  /** The properties checked, comma-separated (each one's result is in `properties`). */
  property: string;
  /** Violated if any property is. */
  verdict: SearchResult["verdict"];
  properties: PropertyReport[];
  complete: boolean;
  budget?: string;
  /** What stopped an incomplete search, in words. */
  stoppedBy?: string;
  order: string;
  states: number;
  transitions: number;
  terminalStates: number;
  depth: number;
  seconds: number;
  statesPerSecond: number;
  bytesPerState: number;
  /** What the search kept of visited states: one level's fingerprints (the
   * sweep), all of them, or all after a step did not increase the progress measure. */
  store: "sweep" | "all" | "all-after-sweep";
  collisionProbability: number;
  /** Every violation class found, each naming its property. */
  drops: DropSummary[];
  counterexampleClass: string | null;
  counterexamplePreemptions: number | null;
  /** Whether the counterexample is a shortest one with the fewest preemptions. */
  counterexampleMinimal: boolean | null;
  reduce: string;
  /** Why a reduction asked for was not applied, or null. */
  reductionNote: string | null;
  /** Why the search kept every fingerprint where it would have swept, or null. */
  storeNote: string | null;
  /** The memory bound the search ran under (MiB), what set it, and the process's peak resident size it saw (MiB). */
  memoryBoundMiB: number;
  memoryBoundSource: string;
  peakMemoryMiB: number;
  /** Threads that explored. */
  workers: number;
  /** Seconds until the first violation was found (the whole search when none). */
  verdictSeconds: number;
  counterexample: TraceStep[] | null;
  /** The whole command up to this report: wall seconds and the process's peak memory (beside `seconds`, the search's). */
  command: CommandCost;
}

/** One property's own result within a check. */
export interface PropertyReport {
  name: string;
  description: string;
  verdict: SearchResult["verdict"];
  classes: DropSummary[];
}

/** `counterexample: false` leaves the trace out (null): finding the fewest-preemption schedule is a
 * second search, which a caller that reads only verdicts and classes (compare) need not pay for. */
export function checkReport(run: CheckRun, opts: { counterexample?: boolean } = {}): CheckReport {
  const r = run.result;
  const cx = opts.counterexample === false ? undefined : counterexample(run);
  const drops = [...r.violations].sort((a, b) => (a.name < b.name ? -1 : 1)).map((v) => ({
    class: v.name,
    property: v.property,
    meaning: classMeaning(v.name),
    states: v.states,
    shortest: v.depth,
  }));
  return {
    scenario: run.scenario.name,
    scenarioFile: run.scenario.source,
    kernel: run.kernel.name,
    kernelParts: run.kernel.parts,
    property: r.properties.join(","),
    verdict: r.verdict,
    properties: run.properties.map((p) => {
      const classes = drops.filter((d) => d.property === p.name);
      return { name: p.name, description: p.description, verdict: classes.length ? "violated" : r.complete ? "holds" : "incomplete", classes };
    }),
    complete: r.complete,
    ...(r.budget ? { budget: r.budget, stoppedBy: stoppedBy(r) } : {}),
    memoryBoundMiB: Math.round(r.memoryBound.bytes / 2 ** 20),
    memoryBoundSource: r.memoryBound.source,
    peakMemoryMiB: Math.round(r.peakRssBytes / 2 ** 20),
    order: r.order,
    states: r.states,
    transitions: r.transitions,
    terminalStates: r.terminalStates,
    depth: r.maxDepth,
    seconds: r.seconds,
    statesPerSecond: r.statesPerSecond,
    verdictSeconds: r.verdictSeconds,
    bytesPerState: r.bytesPerState,
    store: r.swept ? "sweep" : r.restarted ? "all-after-sweep" : "all",
    reductionNote: whyNotReduced(featuresOf(run.scenario, run.kernel), run.asked, r.links.reduce),
    // The sweep needs a progress measure, which a timed model lacks: say so where a breadth-first search would have swept.
    storeNote: run.scenario.timed && r.order === "bfs" ? "every fingerprint: a timed scenario has no progress measure for the sweep (the clock's steps advance no packet)" : null,
    workers: r.workers,
    collisionProbability: r.collisionProbability,
    drops,
    counterexampleClass: cx?.class ?? null,
    counterexamplePreemptions: cx?.preemptions ?? null,
    counterexampleMinimal: cx?.minimal ?? null,
    reduce: reductionName(r.links.reduce),
    counterexample: cx?.steps ?? null,
    // Last, so that it counts the counterexample too.
    command: commandCost(),
  };
}

/** The explanation of a report's counterexample (what `check` prints after its steps), or null. */
export function reportExplanation(r: CheckReport): Explanation | null {
  if (!r.counterexample) return null;
  const property = r.drops.find((d) => d.class === r.counterexampleClass)?.property ?? "";
  return explanationOf(r.counterexample, r.counterexampleClass!, property);
}

export { describeKernel };

/** What stopped a search early, in words ("" when nothing did). */
export function stoppedBy(r: Pick<SearchResult, "budget" | "memoryBound" | "peakRssBytes" | "memoryAtStop">): string {
  const mib = (b: number): string => `${Math.round(b / 2 ** 20).toLocaleString("en-US")} MiB`;
  switch (r.budget) {
    case undefined:
      return "";
    case "max-states":
      return "the --max-states budget";
    case "max-seconds":
      return "the --max-seconds budget";
    case "max-memory":
      if (!r.memoryAtStop) return `the memory bound (${mib(r.memoryBound.bytes)}, from ${r.memoryBound.source})`;
      const { rss, extra } = r.memoryAtStop;
      return `the memory bound (${mib(r.memoryBound.bytes)}, from ${r.memoryBound.source}; the process held ${mib(rss)}${extra > 2 ** 20 ? ` and was about to allocate ${mib(extra)} more` : ""})`;
    case "interrupted":
      return signalName(stopRequested()) ?? "a signal";
    case "first-violation":
      return "--first (the first violation found)";
  }
}

/** The exit code of a finished check: 0 holds, 1 violated, 3 incomplete; the signal's code (130, 143) when one stopped it. */
export function exitCode(verdict: SearchResult["verdict"], budget: SearchResult["budget"]): number {
  if (budget === "interrupted") return stopRequested() || 130;
  return verdict === "holds" ? 0 : verdict === "violated" ? 1 : 3;
}

export type ReductionName = "none" | "symmetry" | "por" | "all";
export const REDUCTIONS: Record<ReductionName, Reductions> = {
  none: { symmetry: false, por: false },
  symmetry: { symmetry: true, por: false },
  por: { symmetry: false, por: true },
  all: { symmetry: true, por: true },
};

export function reductionName(r: Reductions): ReductionName {
  return r.symmetry ? (r.por ? "all" : "symmetry") : r.por ? "por" : "none";
}
