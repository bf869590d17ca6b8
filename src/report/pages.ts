/**
 * What the HTML pages of `check`, `compare` and `review` (`--html FILE`) carry beside their report (the
 * object `--json` prints): for each cell and class its counterexamples, the fewest-preemption one and,
 * where it differs, the search's own, each as `trace --format json` gives it.
 */
import { counterexample, runCheck, type CheckOptions, type CheckRun } from "../app/check.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Patch } from "../kernel/patch.js";
import type { Scenario } from "../scenario/scenario.js";
import { traceJson } from "./trace-json.js";
import type { CompareResult } from "../app/compare.js";
import { counterKey } from "../kernel/properties/outcomes.js";
import { resolveKernel } from "../kernel/variants.js";

/** A cell of a page's matrix: a kernel on a scenario, with what the report says of it. */
export interface PageCell {
  readonly kernel: string;
  readonly scenario: string;
  readonly verdict: string;
  /** Classes and their states. */
  readonly classes: readonly { readonly class: string; readonly states: number }[];
  /** The change against its base, in words ("" for none). */
  readonly change: string;
  readonly probability?: number | null;
  readonly counters: readonly string[];
  readonly states: number;
  /** What the row is: "vs <its base>" or "(base only)"; "" for none. */
  readonly row?: string;
  /** What stopped the cell's search, when one did. */
  readonly incomplete?: string;
}

export type TraceJson = ReturnType<typeof traceJson>;

/** Key of a cell's class in a page's traces. */
export const traceKey = (kernel: string, scenario: string, cls: string): string => `${kernel} ${scenario} ${cls}`;

/** The counterexamples of every class of `run`: the fewest-preemption one, and the search's own where its steps differ. */
export function runTraces(run: CheckRun, patches: readonly Patch[], out: Record<string, TraceJson[]>): void {
  for (const v of run.result.violations) {
    const best = counterexample(run, v.name);
    const own = counterexample(run, v.name, { own: true });
    const list = [best, own].filter((x) => x !== undefined).map((cx) => traceJson(run.scenario, run.kernel, run.model, cx, patches));
    const same = list.length === 2 && JSON.stringify(list[0]!.steps) === JSON.stringify(list[1]!.steps);
    out[traceKey(run.kernel.name, run.scenario.name, v.name)] = same ? list.slice(0, 1) : list;
  }
}

/** Checks `sc` on `kernel` again, with the command's properties and search options (its budgets), and adds its
 * classes' counterexamples to `out`. */
export function cellTraces(sc: Scenario, kernel: Kernel, patches: readonly Patch[], out: Record<string, TraceJson[]>, property: string | undefined, options: CheckOptions): void {
  const run = runCheck(sc, kernel, property, options);
  if (run.result.violations.length) runTraces(run, patches, out);
}

/** The matrix cells of a compare result (a review's compare too); `kernel` names a row's variant. */
export function compareCells(result: CompareResult): PageCell[] {
  return result.rows.flatMap((row, k) =>
    row.map((c) => {
      const kept = c.remaining.filter((x) => !c.worse.includes(x));
      const change = [c.fixed.length ? `fixes ${c.fixed.join(", ")}` : "", c.new.length ? `NEW ${c.new.join(", ")}` : "", c.worse.length ? `WORSE ${c.worse.join(", ")}` : "", kept.length ? `keeps ${kept.join(", ")}` : ""];
      const base = result.baseRow[k] ?? -1;
      return {
        kernel: c.kernel,
        scenario: c.scenario,
        verdict: c.verdict,
        classes: c.drops.map((d) => ({ class: d.class, states: d.states })),
        change: c.known ? change.filter(Boolean).join("; ") : "other changes not known (a search was cut)",
        probability: c.probability?.value ?? null,
        counters: c.counters.map(counterKey),
        states: c.states,
        row: result.baseOnly[k] ? "(base only)" : base >= 0 ? `vs ${result.kernels[base]}` : "",
        ...(c.complete ? {} : { incomplete: `${c.stoppedBy ?? "a budget"} stopped the search: classes so far` }),
      };
    }),
  );
}

/** The counterexamples of every violated cell of `result`, checked again on its scenario and kernel. */
export function compareTraces(result: CompareResult, scenarios: readonly Scenario[], kernels: readonly Kernel[], patches: readonly Patch[], options: CheckOptions): Record<string, TraceJson[]> {
  const out: Record<string, TraceJson[]> = {};
  for (const c of result.rows.flat()) {
    if (c.drops.length === 0) continue;
    const sc = scenarios.find((s) => s.name === c.scenario);
    const k = kernels.find((x) => x.name === c.kernel) ?? resolveKernel(c.kernel, "kernel", patches);
    // The properties the cell was checked for (a scenario checks those of the result's it supports).
    if (sc) cellTraces(sc, k, patches, out, result.narrowed ? c.properties.join(",") : undefined, options);
  }
  return out;
}
