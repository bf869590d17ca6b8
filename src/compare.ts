/**
 * Every scenario on every kernel variant, and what each variant changed
 * against the first one named (the base): drop classes fixed, remaining, new.
 */
import { checkReport, runCheck, stoppedBy, type DropSummary } from "./check.js";
import type { Budget, SearchOptions } from "./engine/search.js";
import { violationProbability } from "./engine/probability.js";
import type { KState } from "./kernel/state.js";
import { RunOutcomes, type Counters } from "./kernel/outcomes.js";
import type { Kernel } from "./kernel/kernel.js";
import type { Scenario } from "./scenario/scenario.js";
import type { Property } from "./engine/model.js";

export const UNIFORM_SCHEDULER =
  "uniform scheduler: at every step each CPU that can move is equally likely to take it, and every random choice (a DNAT endpoint, a --random-fully port offset, which waiting packet an idle CPU takes) is uniform over its options";

export interface CellProbability {
  /** Probability that one run violates the property; null when a budget stopped building the graph. */
  readonly value: number | null;
  readonly byClass: Record<string, number>;
  readonly exact: boolean;
  readonly complete: boolean;
  /** What stopped it, when not complete: the search's budget (then no graph was built), or the graph's. */
  readonly stoppedBy?: string;
  readonly budget?: Budget;
  /** States of the graph it was computed over (or had reached; 0: not started). */
  readonly states: number;
}

export interface CompareCell {
  readonly scenario: string;
  readonly kernel: string;
  readonly verdict: string;
  readonly complete: boolean;
  /** What stopped the cell's search early (its probability's own stop is in `probability`). */
  readonly stoppedBy?: string;
  /** Whether a signal stopped it. */
  readonly interrupted: boolean;
  readonly states: number;
  readonly seconds: number;
  readonly drops: DropSummary[];
  readonly fixed: string[];
  readonly remaining: string[];
  readonly new: string[];
  /** Every distinct set of counter totals a finished run can leave. */
  readonly counters: Counters[];
  readonly probability?: CellProbability;
}

export interface CompareResult {
  readonly property: string;
  readonly base: string;
  readonly kernels: string[];
  readonly scenarios: string[];
  /** rows[k][s]: kernel k on scenario s. */
  readonly rows: CompareCell[][];
  readonly probabilityModel?: string;
}

export function compare(
  scenarios: readonly Scenario[],
  kernels: readonly Kernel[],
  property: Property<KState>,
  opts: SearchOptions<KState> & { probability?: boolean } = {},
): CompareResult {
  const rows = kernels.map((k) =>
    scenarios.map((sc) => {
      const outcomes = new RunOutcomes();
      const run = runCheck(sc, k, property, { ...opts, visit: outcomes.visit });
      const r = checkReport(run);
      const probability = opts.probability ? cellProbability(run, opts) : undefined;
      const complete = r.complete && (probability?.complete ?? true);
      const why = r.stoppedBy;
      const cell: Omit<CompareCell, "fixed" | "remaining" | "new"> = {
        scenario: sc.name,
        kernel: k.name,
        verdict: r.verdict,
        complete,
        ...(why ? { stoppedBy: why } : {}),
        interrupted: run.result.budget === "interrupted" || probability?.budget === "interrupted",
        states: r.states,
        seconds: r.seconds,
        drops: r.drops,
        counters: outcomes.counterSets(),
        ...(probability ? { probability } : {}),
      };
      return cell;
    }),
  );
  const classes = (c: { drops: DropSummary[] }): string[] => c.drops.map((d) => d.class);
  return {
    property: property.name,
    base: kernels[0]!.name,
    kernels: kernels.map((k) => k.name),
    scenarios: scenarios.map((s) => s.name),
    rows: rows.map((row) =>
      row.map((cell, s) => {
        const base = classes(rows[0]![s]!);
        const mine = classes(cell);
        return {
          ...cell,
          // A class the cell did not meet is fixed only if its search saw everything.
          fixed: cell.complete ? base.filter((c) => !mine.includes(c)) : [],
          remaining: mine.filter((c) => base.includes(c)),
          new: mine.filter((c) => !base.includes(c)),
        };
      }),
    ),
    ...(opts.probability ? { probabilityModel: UNIFORM_SCHEDULER } : {}),
  };
}

/** The cell's probability, over a second exploration of the whole graph under the same budgets; none when the search was cut short. */
function cellProbability(run: ReturnType<typeof runCheck>, opts: SearchOptions<KState>): CellProbability {
  if (!run.result.complete) {
    return { value: null, byClass: {}, exact: false, complete: false, stoppedBy: stoppedBy(run.result), ...(run.result.budget ? { budget: run.result.budget } : {}), states: 0 };
  }
  const p = violationProbability(run.model, run.property, opts);
  return p.complete
    ? { value: p.probability, byClass: p.byClass, exact: p.exact, complete: true, states: p.states }
    : { value: null, byClass: {}, exact: false, complete: false, stoppedBy: stoppedBy(p), ...(p.budget ? { budget: p.budget } : {}), states: p.states };
}
