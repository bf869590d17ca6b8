/**
 * What the HTML pages of `check`, `compare` and `review` (`--html FILE`) carry beside their report (the
 * object `--json` prints): the matrix's cells, and for each cell and class its counterexamples (app/pages.ts
 * finds them), the fewest-preemption one and, where it differs, the search's own, each as `trace --format json`
 * gives it.
 */
import type { CheckJson } from "./check.js";
import type { ClassCounterexamples } from "../app/pages.js";
import type { ReviewResult } from "../app/review.js";
import type { Patch } from "../kernel/patch.js";
import { traceJson } from "./trace-json.js";
import type { CompareResult } from "../app/compare.js";
import { counterKey } from "../kernel/properties/outcomes.js";
import { counterNames } from "./compare.js";
import { renderMatrixHtml } from "./html.js";

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

/** Each class's counterexamples as `trace --format json` gives them, the search's own left out where its steps are the fewest-preemption one's. */
export function pageTraces(classes: readonly ClassCounterexamples[], patches: readonly Patch[]): Record<string, TraceJson[]> {
  const out: Record<string, TraceJson[]> = {};
  for (const c of classes) {
    const list = c.counterexamples.map((cx) => traceJson(c.scenario, c.kernel, c.model, cx, patches));
    const same = list.length === 2 && JSON.stringify(list[0]!.steps) === JSON.stringify(list[1]!.steps);
    out[traceKey(c.kernel.name, c.scenario.name, c.class)] = same ? list.slice(0, 1) : list;
  }
  return out;
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

/** `check --html`: the --json object, its one cell, and each class's counterexamples. */
export function renderCheckPage(report: CheckJson, traces: Record<string, TraceJson[]>): string {
  const cell: PageCell = {
    kernel: report.kernel,
    scenario: report.scenario,
    verdict: report.verdict,
    classes: report.drops.map((d) => ({ class: d.class, states: d.states })),
    change: "",
    counters: [],
    states: report.states,
    ...(report.complete ? {} : { incomplete: `${report.stoppedBy ?? "a budget"} stopped the search: classes so far` }),
  };
  const summary = report.properties.map((p) => `${p.name} ${p.verdict}`).join(", ");
  return renderMatrixHtml(`check: ${report.scenario} on ${report.kernel}`, report, [cell], traces, { summary });
}

/** `compare --html`: `json`, the object --json prints, then the matrix and each violated cell's counterexamples. */
export function renderComparePage(result: CompareResult, json: unknown, traces: Record<string, TraceJson[]>): string {
  return renderMatrixHtml(`compare: ${result.scenarios.join(", ")}`, json, compareCells(result), traces, { counterLegend: `conntrack -S: ${counterNames(result)}` });
}

/** `review --html`: `json`, the object --json prints (its summary the verdict), then the matrix of the review's compare and its counterexamples. */
export function renderReviewPage(result: ReviewResult, json: unknown, traces: Record<string, TraceJson[]>): string {
  return renderMatrixHtml(`review: ${result.patched} against ${result.base}`, json, compareCells(result.compare), traces, {
    summary: `verdict: ${result.summary}`,
    counterLegend: "conntrack -S: insert_failed/drop/clash_resolve (and early_drop, chaintoolong where a scenario has them)",
  });
}
