/**
 * Every scenario on every kernel variant, each variant against its own base:
 * the variant it was built from ("v6.12+p" against "v6.12"), a release against
 * the release before it, or one base named for all. Per violation class: fixed,
 * remaining (and how it changed: reachable states, shortest length,
 * probability), or new.
 */
import { checkReport, runCheck, selectProperties, stoppedBy, type CheckRun, type DropSummary } from "./check.js";
import type { Budget, SearchOptions } from "../engine/search.js";
import { violationProbability } from "../engine/probability.js";
import type { KState } from "../kernel/net/state.js";
import { RunOutcomes, type Counters } from "../kernel/properties/outcomes.js";
import type { Kernel } from "../kernel/kernel.js";
import { ownBase, resolveKernel, sameKernel } from "../kernel/variants.js";
import type { Patch } from "../kernel/patch.js";
import type { Mitigation, Scenario } from "../scenario/scenario.js";
import type { Property } from "../engine/model.js";
import { PROPERTIES } from "../kernel/properties/properties.js";

export const UNIFORM_SCHEDULER =
  "uniform scheduler: at every step each CPU that can move is equally likely to take it, and every random choice (a DNAT endpoint, a --random-fully port offset, which waiting packet an idle CPU takes) is uniform over its options";

/** Said beside the share of schedules when a scenario has conntrack-max: that choice is not a random draw. */
export const EARLY_DROP_CHOICE =
  "; with conntrack-max, every set of entries early_drop's chains may hold is taken as equally likely, which a real table is not (which entries share a chain is fixed per boot, and an 8-bucket window of a large table mostly holds none of them)";

export interface CellProbability {
  /** Probability that one run violates some property; null when a budget stopped building the graph. */
  readonly value: number | null;
  readonly byProperty: Record<string, number>;
  /** Per class (class names are unique across the properties). */
  readonly byClass: Record<string, number>;
  readonly exact: boolean;
  readonly complete: boolean;
  /** What stopped it, when not complete: the search's budget (then no graph was built), or the graph's. */
  readonly stoppedBy?: string;
  readonly budget?: Budget;
  /** States of the graph it was computed over (or had reached; 0: not started). */
  readonly states: number;
}

/** One class's figures in one cell. */
export interface ClassFigures {
  readonly states: number;
  readonly shortest: number;
  readonly probability?: number;
}

/** What happened to one violation class between a cell's base and the cell.
 * "unknown": the cell shows it, and the base's search did not finish, so whether
 * the base has it too is not known. */
export interface ClassChange {
  readonly class: string;
  readonly property: string;
  readonly status: "fixed" | "remaining" | "new" | "unknown";
  readonly base: ClassFigures | null;
  readonly now: ClassFigures | null;
  /** A remaining class more likely (when both probabilities are known) or else in more
   * reachable states, both searches complete. */
  readonly worse: boolean;
  /** The opposite: less likely, or else in fewer states. */
  readonly better: boolean;
  /** What worse/better were judged on. */
  readonly by: "probability" | "states";
}

export interface CompareCell {
  readonly scenario: string;
  readonly kernel: string;
  /** The properties its search checked. */
  readonly properties: readonly string[];
  readonly verdict: string;
  /** The search and (with --probability) the probability graph both finished. */
  readonly complete: boolean;
  /** The search finished (what fixed and new rest on; the probability may still be cut). */
  readonly searchComplete: boolean;
  /** What stopped the cell's search early (its probability's own stop is in `probability`). */
  readonly stoppedBy?: string;
  /** Whether a signal stopped it. */
  readonly interrupted: boolean;
  readonly states: number;
  readonly seconds: number;
  readonly drops: DropSummary[];
  /** The kernel this cell is compared with (null: none, the cell is a base). */
  readonly base: string | null;
  readonly fixed: string[];
  readonly remaining: string[];
  readonly new: string[];
  /** Remaining classes that got more likely (or, without probabilities, more reachable). */
  readonly worse: string[];
  /** Both this cell's search and its base's finished (and, with --probability, both graphs), so every change is known. */
  readonly known: boolean;
  readonly changes: ClassChange[];
  /** Every distinct set of counter totals a finished run can leave. */
  readonly counters: Counters[];
  readonly probability?: CellProbability;
}

export interface CompareResult {
  /** The properties checked (each scenario checks those of them it supports), comma-separated. */
  readonly property: string;
  /** Whether the caller named the properties (--property), rather than each scenario's own. */
  readonly narrowed: boolean;
  /** The one base every row is compared with (--base), or null: each row's own. */
  readonly base: string | null;
  /** Every row's kernel: those asked for, and bases searched only to compare with. */
  readonly kernels: string[];
  /** Per row: the row it is compared with (-1: none). */
  readonly baseRow: number[];
  /** Per row: searched only as another row's base. */
  readonly baseOnly: boolean[];
  readonly scenarios: string[];
  /** The scenarios that are mitigations (scenario.mitigation), by name: what each is meant to remove and how. */
  readonly mitigations: Record<string, Mitigation>;
  /** rows[k][s]: kernel k on scenario s. */
  readonly rows: CompareCell[][];
  readonly probabilityModel?: string;
}

export interface CompareOptions extends SearchOptions<KState> {
  readonly probability?: boolean;
  /** Compare every row with this kernel instead of each one's own base. */
  readonly base?: Kernel;
  /** The patches the kernels were resolved with, to build each one's own base. */
  readonly patches?: readonly Patch[];
  /** A search's run, for callers that want more of a cell (review's counterexamples). */
  readonly onRun?: (row: number, scenario: number, run: CheckRun) => void;
}

/** The rows to search: the kernels asked for, in their order, each one's base
 * inserted before it when not asked for; per row, the row it is compared with (-1: none). */
export function planRows(kernels: readonly Kernel[], opts: Pick<CompareOptions, "base" | "patches">): { kernels: Kernel[]; baseRow: number[]; baseOnly: boolean[] } {
  const rows: Kernel[] = [];
  const baseOnly: boolean[] = [];
  const bases: (Kernel | undefined)[] = [];
  // Rows asked for keep their names (v4.19 and v4.18+937963 are two rows); a base is any row of the same kernel.
  const byName = (k: Kernel): number => rows.findIndex((r) => r.name === k.name);
  const bySame = (k: Kernel): number => (byName(k) >= 0 ? byName(k) : rows.findIndex((r) => sameKernel(r, k)));
  const asked = (k: Kernel): boolean => kernels.some((x) => sameKernel(x, k));
  const push = (k: Kernel, base: Kernel | undefined): void => {
    if (byName(k) >= 0) return;
    rows.push(k);
    baseOnly.push(!asked(k));
    bases.push(base);
  };
  const ownOf = (k: Kernel): Kernel | undefined => {
    const name = ownBase(k.name);
    return name === undefined ? undefined : (kernels.find((x) => x.name === name) ?? resolveKernel(name, "base", opts.patches));
  };
  if (opts.base) push(opts.base, undefined);
  for (const k of kernels) {
    const b = opts.base ?? ownOf(k);
    const base = b && !sameKernel(b, k) ? b : undefined;
    if (base && !asked(base) && bySame(base) < 0) push(base, undefined);
    push(k, base);
  }
  return { kernels: rows, baseRow: bases.map((b) => (b ? bySame(b) : -1)), baseOnly };
}

export function compare(
  scenarios: readonly Scenario[],
  kernelsAsked: readonly Kernel[],
  properties: string | readonly Property<KState>[] | Property<KState> | undefined,
  opts: CompareOptions = {},
): CompareResult {
  const plan = planRows(kernelsAsked, opts);
  // Every scenario's properties resolve before any search starts.
  const props = scenarios.map((sc) => selectProperties(sc, properties, "--property"));
  const { onRun, probability: wantP, base: _base, patches: _patches, ...search } = opts;
  const cells = plan.kernels.map((k, row) =>
    scenarios.map((sc, s) => {
      const outcomes = new RunOutcomes(sc.conntrackMax > 0, sc.chains !== undefined);
      const run = runCheck(sc, k, props[s]!, { ...search, visit: outcomes.visit });
      onRun?.(row, s, run);
      // Cells show verdicts and classes; a trace is asked for separately (review's differential one).
      const r = checkReport(run, { counterexample: false });
      const probability = wantP ? cellProbability(run, search) : undefined;
      const complete = r.complete && (probability?.complete ?? true);
      const why = r.stoppedBy;
      return {
        scenario: sc.name,
        kernel: k.name,
        properties: run.properties.map((p) => p.name),
        verdict: r.verdict,
        complete,
        searchComplete: r.complete,
        ...(why ? { stoppedBy: why } : {}),
        interrupted: run.result.budget === "interrupted" || probability?.budget === "interrupted",
        states: r.states,
        seconds: r.seconds,
        drops: r.drops,
        counters: outcomes.counterSets(),
        ...(probability ? { probability } : {}),
      };
    }),
  );
  return {
    // The properties checked, over every scenario, comma-separated as check's JSON has them.
    narrowed: properties !== undefined,
    property: PROPERTIES.map((p) => p.name).filter((n) => props.some((ps) => ps.some((p) => p.name === n))).join(","),
    base: opts.base?.name ?? null,
    kernels: plan.kernels.map((k) => k.name),
    baseRow: plan.baseRow,
    baseOnly: plan.baseOnly,
    scenarios: scenarios.map((s) => s.name),
    mitigations: Object.fromEntries(scenarios.flatMap((s) => (s.mitigation ? [[s.name, s.mitigation] as const] : []))),
    rows: cells.map((row, k) =>
      row.map((cell, s) => {
        const b = plan.baseRow[k]!;
        return { ...cell, base: b >= 0 ? plan.kernels[b]!.name : null, ...diff(b >= 0 ? cells[b]![s]! : undefined, cell) };
      }),
    ),
    ...(wantP ? { probabilityModel: UNIFORM_SCHEDULER + (scenarios.some((sc) => sc.conntrackMax > 0) ? EARLY_DROP_CHOICE : "") } : {}),
  };
}

type Measured = Pick<CompareCell, "drops" | "searchComplete" | "probability">;

/** What changed from `base` to `cell`, per class. Fixed needs the cell's search
 * complete, new the base's; worse and better both, and are judged on the
 * probability when both cells have it, else on reachable states. */
function diff(base: Measured | undefined, cell: Measured): Pick<CompareCell, "fixed" | "remaining" | "new" | "worse" | "changes" | "known"> {
  if (!base) return { fixed: [], remaining: [], new: [], worse: [], changes: [], known: cell.searchComplete };
  const figures = (c: Measured, d: DropSummary): ClassFigures => {
    const p = c.probability?.complete ? c.probability.byClass[d.class] : undefined;
    return { states: d.states, shortest: d.shortest, ...(p !== undefined ? { probability: p } : {}) };
  };
  const key = (d: DropSummary): string => `${d.property}/${d.class}`;
  // Asked for probabilities: judged on them, and not at all when a graph was cut.
  const withP = base.probability !== undefined || cell.probability !== undefined;
  const byP = Boolean(base.probability?.complete && cell.probability?.complete);
  const judged = !withP || byP;
  const by = withP ? "probability" : "states";
  const changes: ClassChange[] = [];
  for (const d of base.drops) {
    const mine = cell.drops.find((x) => key(x) === key(d));
    // A class the cell did not meet is fixed only if its search saw everything.
    if (!mine && !cell.searchComplete) continue;
    const was = figures(base, d);
    const now = mine ? figures(cell, mine) : null;
    const both = base.searchComplete && cell.searchComplete && judged && now !== null;
    const delta = !both ? 0 : byP ? Math.abs(now.probability! - was.probability!) <= 1e-12 ? 0 : now.probability! - was.probability! : now.states - was.states;
    changes.push({ class: d.class, property: d.property, status: mine ? "remaining" : "fixed", base: was, now, worse: delta > 0, better: delta < 0, by });
  }
  for (const d of cell.drops) {
    if (base.drops.some((x) => key(x) === key(d))) continue;
    changes.push({ class: d.class, property: d.property, status: base.searchComplete ? "new" : "unknown", base: null, now: figures(cell, d), worse: false, better: false, by });
  }
  const named = (f: (c: ClassChange) => boolean): string[] => changes.filter(f).map((c) => c.class);
  return {
    fixed: named((c) => c.status === "fixed"),
    remaining: named((c) => c.status === "remaining"),
    new: named((c) => c.status === "new"),
    worse: named((c) => c.worse),
    changes,
    known: base.searchComplete && cell.searchComplete && judged,
  };
}

/** The cell's probability, over a second exploration of the whole graph under the same budgets; none when the search was cut short. */
function cellProbability(run: CheckRun, opts: SearchOptions<KState>): CellProbability {
  if (!run.result.complete) {
    return { value: null, byProperty: {}, byClass: {}, exact: false, complete: false, stoppedBy: stoppedBy(run.result), ...(run.result.budget ? { budget: run.result.budget } : {}), states: 0 };
  }
  const p = violationProbability(run.model, run.properties, opts);
  if (!p.complete) {
    return { value: null, byProperty: {}, byClass: {}, exact: false, complete: false, stoppedBy: stoppedBy(p), ...(p.budget ? { budget: p.budget } : {}), states: p.states };
  }
  const byClass: Record<string, number> = {};
  for (const c of p.byClass) byClass[c.name] = c.probability;
  return { value: p.probability, byProperty: p.byProperty, byClass, exact: p.exact, complete: true, states: p.states };
}

/** Which cells fail a CI gate: a new class, a class that got worse, or any violation. */
export type FailOn = "new" | "worse" | "any";

export function failingCells(r: CompareResult, on: FailOn): CompareCell[] {
  return r.rows.flat().filter((c, i) => {
    const row = Math.floor(i / r.scenarios.length);
    if (on === "any") return !r.baseOnly[row] && c.verdict === "violated";
    return c.new.length > 0 || (on === "worse" && c.worse.length > 0);
  });
}
