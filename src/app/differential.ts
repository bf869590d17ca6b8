/**
 * A differential counterexample for conntrack: a schedule that shows a class on
 * kernel A (a patched kernel) and, with the very same choices, not on kernel B
 * (its base); or the proof that there is none. engine/differential.ts does the
 * search; this file picks the class, and shapes both runs as traces.
 */
import type { Property } from "../engine/model.js";
import type { Path } from "../engine/path.js";
import { PropertySet } from "../engine/properties.js";
import { differentialSearch, type DifferentialResult } from "../engine/differential.js";
import type { Budget, SearchOptions, SearchResult } from "../engine/search.js";
import { runCheck, selectProperties, stoppedBy, type CheckOptions, type CheckRun, type Counterexample } from "./check.js";
import { InputError } from "../errors.js";
import { classOfDrop } from "../kernel/properties/classify.js";
import type { Kernel } from "../kernel/kernel.js";
import { conntrackModel, type ConntrackModel } from "../model/model.js";
import { Fate, Reply, type KState } from "../kernel/net/state.js";
import { sameKernel } from "../kernel/variants.js";
import { explanationOf, traceSteps, type TraceStep } from "./trace.js";
import type { Scenario } from "../scenario/scenario.js";

export interface DifferentialOptions {
  /** The class to separate (default: the shallowest of A's classes the search can separate). */
  readonly class?: string;
  /** The properties (default: every one the scenario supports). */
  readonly properties?: string | Property<KState> | readonly (string | Property<KState>)[];
  /** Budgets, for A's own check and for the differential search; the order,
   * reductions and workers apply to A's check only (the differential search is
   * breadth-first, unreduced, on this thread). */
  readonly search?: SearchOptions<KState> | CheckOptions;
  /** A's own check, when the caller has run it already (same scenario, kernel and
   * properties): its classes are used instead of searching A again. */
  readonly run?: CheckRun;
}

/** B's run under A's choices. */
export interface AgainstRun {
  /** B's steps, numbered as B's own run (see `mirrors` for A's numbers). */
  readonly steps: TraceStep[];
  readonly path: Path<KState>;
  /** The numbers of A's steps B could not take (that CPU had no such step or choice on B). */
  readonly skipped: number[];
  /** For each of B's steps, the number of A's step whose choice it took, or null for a step B took alone after A ended. */
  readonly mirrors: (number | null)[];
  /** The classes B's last state shows (every property checked; terminal ones when B has finished). */
  readonly classes: string[];
  /** Whether B had finished (no CPU could move). */
  readonly finished: boolean;
  /** B's last state in words: "every reply delivered, no drop". */
  readonly outcome: string;
}

export interface DifferentialCounterexample {
  /** found: a schedule separates A from B; none: the search was complete and every
   * schedule showing the class on A shows it on B; incomplete: a budget stopped it. */
  readonly kind: "found" | "none" | "incomplete";
  /** The class searched for; null when none was asked for and A shows none (A holds, or its search found none before a budget stopped it). */
  readonly class: string | null;
  /** Its property ("" with a null class). */
  readonly property: string;
  /** The classes tried, in order (all of A's when none was asked for and none separates). */
  readonly tried: string[];
  /** A's run: the counterexample on A. */
  readonly a?: Counterexample;
  readonly b?: AgainstRun;
  /** Pair states the differential searches explored, over every class tried. */
  readonly states: number;
  /** What stopped an incomplete search (A's own check or a differential search), and in words. */
  readonly budget?: Budget;
  readonly stoppedBy?: string;
  /** A's own check, which named its classes. */
  readonly aRun: CheckRun;
  readonly models: { readonly a: ConntrackModel; readonly b: ConntrackModel };
}

export function differentialCounterexample(sc: Scenario, a: Kernel, b: Kernel, opts: DifferentialOptions = {}): DifferentialCounterexample {
  const props = selectProperties(sc, opts.properties);
  if (opts.run && (opts.run.scenario !== sc || !sameKernel(opts.run.kernel, a) || opts.run.properties.map((p) => p.name).join() !== props.map((p) => p.name).join())) {
    throw new Error("differentialCounterexample: the check given as `run` is not A's check of this scenario and these properties");
  }
  const aRun = opts.run ?? runCheck(sc, a, props, opts.search ?? {});
  const found = aRun.result.violations;
  const models = { a: conntrackModel(sc, a), b: conntrackModel(sc, b) };
  const base = { aRun, models };
  if (opts.class !== undefined && !found.some((v) => v.name === opts.class)) {
    const where = aRun.result.complete ? "reachable" : "found in the explored part";
    throw new InputError(
      `--class: no ${opts.class} state is ${where} on ${a.name} for ${sc.name}: expected one of ${found.length ? found.map((v) => v.name).join(", ") : "(none: the property holds)"}`,
    );
  }
  if (found.length === 0) {
    return {
      kind: aRun.result.complete ? "none" : "incomplete",
      class: null,
      property: "",
      tried: [],
      states: 0,
      ...(aRun.result.budget ? { budget: aRun.result.budget, stoppedBy: stoppedBy(aRun.result) } : {}),
      ...base,
    };
  }
  const candidates = opts.class !== undefined ? found.filter((v) => v.name === opts.class) : found;
  let states = 0;
  let firstIncomplete: { cls: string; property: string; result: SearchResult } | undefined;
  const tried: string[] = [];
  for (const v of candidates) {
    const property = props.find((p) => p.name === v.property)!;
    tried.push(v.name);
    const r = differentialSearch(models.a, models.b, { name: v.name, a: property, b: property }, { search: opts.search ?? {} });
    states += r.search.states;
    if (r.kind === "found") return { ...foundReport(models, props, v.name, property.name, r), tried, states, ...base };
    if (r.kind === "incomplete") {
      firstIncomplete ??= { cls: v.name, property: property.name, result: r.search };
      // A signal stops everything; another budget only this class's search.
      if (r.search.budget === "interrupted") break;
    }
  }
  if (firstIncomplete) {
    const { cls, property, result } = firstIncomplete;
    return { kind: "incomplete", class: cls, property, tried, states, ...(result.budget ? { budget: result.budget } : {}), stoppedBy: stoppedBy(result), ...base };
  }
  const first = candidates[0]!;
  return { kind: "none", class: first.name, property: first.property, tried, states, ...base };
}

function foundReport(
  models: DifferentialCounterexample["models"],
  props: readonly Property<KState>[],
  cls: string,
  property: string,
  r: Extract<DifferentialResult<KState, KState>, { kind: "found" }>,
): Pick<DifferentialCounterexample, "kind" | "class" | "property" | "a" | "b"> {
  const { path } = r;
  const last = path.b.states.at(-1)!;
  const finished = models.b.actions(last).length === 0;
  const classes = [...new Set(new PropertySet(props).classesOf(last, finished).map((c) => c.name))];
  const steps = traceSteps(models.a, path.a);
  return {
    kind: "found",
    class: cls,
    property,
    a: { class: cls, property, preemptions: r.preemptions, minimal: r.minimal, path: path.a, steps, explanation: explanationOf(steps, cls, property) },
    b: {
      steps: traceSteps(models.b, path.b),
      path: path.b,
      skipped: [...path.skipped],
      mirrors: [...path.mirrors],
      classes,
      finished,
      outcome: describeOutcome(models.b, last, finished),
    },
  };
}

/** A run's last state in words: "every reply delivered, no drop", "P2 dropped
 * (race3), P1's and P3's replies delivered", "A's reply lost, no drop". Replies
 * are told only for a finished run of a scenario with replies. */
export function describeOutcome(model: ConntrackModel, s: KState, finished: boolean): string {
  const sc = model.ctx.sc;
  const name = (i: number): string => sc.packets[i]!.name;
  const problems: string[] = [];
  const delivered: string[] = [];
  const drops: string[] = [];
  const pending: string[] = [];
  s.pkts.forEach((p, i) => {
    if (p.fate === Fate.DROPPED) drops.push(`${name(i)} dropped (${classOfDrop(sc, s, i)})`);
    else if (p.fate === Fate.PENDING) pending.push(name(i));
    else if (p.reply === Reply.LOST) problems.push(`${name(i)}'s reply lost`);
    else if (p.reply === Reply.EVICTED) problems.push(`${name(i)}'s reply lost (its entry evicted)`);
    else if (p.reply === Reply.EXPIRED) problems.push(`${name(i)}'s reply lost (its entry timed out)`);
    else if (p.reply === Reply.MISROUTED) problems.push(`${name(i)}'s reply misrouted`);
    else if (p.reply === Reply.UNANSWERED) problems.push(`${name(i)} unanswered`);
    else if (p.reply === Reply.DELIVERED) delivered.push(name(i));
  });
  const parts: string[] = [...problems];
  if (sc.replies && finished && problems.length === 0 && drops.length === 0) parts.push("every reply delivered");
  parts.push(...(drops.length ? drops : ["no drop"]));
  if (sc.replies && finished && (problems.length > 0 || drops.length > 0) && delivered.length > 0) {
    parts.push(delivered.length === 1 ? `${delivered[0]}'s reply delivered` : `${delivered.slice(0, -1).map((n) => `${n}'s`).join(", ")} and ${delivered.at(-1)}'s replies delivered`);
  }
  if (pending.length) parts.push(`${pending.join(", ")} not through yet`);
  return parts.join(", ");
}
