/**
 * Every scenario on every kernel variant, and what each variant changed
 * against the first one named (the base): drop classes fixed, remaining, new.
 */
import { checkReport, runCheck, type DropSummary } from "./check.js";
import type { SearchOptions } from "./engine/search.js";
import { violationProbability } from "./engine/probability.js";
import type { KState } from "./kernel/state.js";
import { RunOutcomes, type Counters } from "./kernel/outcomes.js";
import type { Kernel } from "./kernel/kernel.js";
import type { Scenario } from "./scenario/scenario.js";
import type { Property } from "./engine/model.js";

export const UNIFORM_SCHEDULER =
  "uniform scheduler: at every step each CPU that can move is equally likely to take it, and every random choice (a DNAT endpoint, a --random-fully port offset, which waiting packet an idle CPU takes) is uniform over its options";

export interface CellProbability {
  /** Probability that one run violates the property. */
  readonly value: number;
  readonly byClass: Record<string, number>;
  readonly exact: boolean;
}

export interface CompareCell {
  readonly scenario: string;
  readonly kernel: string;
  readonly verdict: string;
  readonly complete: boolean;
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
      const cell: Omit<CompareCell, "fixed" | "remaining" | "new"> = {
        scenario: sc.name,
        kernel: k.name,
        verdict: r.verdict,
        complete: r.complete,
        states: r.states,
        seconds: r.seconds,
        drops: r.drops,
        counters: outcomes.counterSets(),
        ...(opts.probability
          ? (() => {
              const p = violationProbability(run.model, property);
              return { probability: { value: p.probability, byClass: p.byClass, exact: p.exact } };
            })()
          : {}),
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
          fixed: base.filter((c) => !mine.includes(c)),
          remaining: mine.filter((c) => base.includes(c)),
          new: mine.filter((c) => !base.includes(c)),
        };
      }),
    ),
    ...(opts.probability ? { probabilityModel: UNIFORM_SCHEDULER } : {}),
  };
}
