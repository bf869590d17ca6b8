/** A counterexample's steps as `check`, `review` and `trace --against` list them, with what went wrong where. */
import type { Counterexample } from "../app/check.js";
import type { Outcome } from "../app/explain.js";
import type { TraceStep } from "../app/trace.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Paint } from "./text.js";
import { wordNote } from "./notes.js";
import { wordChange } from "./changes.js";

export const OUTCOME_LABEL: Record<Outcome, string> = {
  dropped: "dropped",
  "reply-lost": "reply lost",
  "reply-misrouted": "reply misrouted",
  unanswered: "unanswered",
  "reply-evicted": "reply lost (entry evicted)",
  "reply-expired": "reply lost (entry timed out)",
  crash: "kernel error",
  stale: "linked to a removed endpoint",
  warn: "WARN",
  "stale-ct": "released entry used",
  "misrouted-query": "query misrouted",
  lifetime: "lifetime not as set",
};

/** A step's marks in a step list: what went wrong there, and what it caused. Drops keep
 * "<== dropped here" (README readers know it); a reply says what became of it. */
export function stepMarks(s: TraceStep, cause: boolean, paint: Paint): string {
  const kind = s.explanation?.kind ?? "dropped";
  return (
    (s.decisive ? `   ${paint.red(kind === "dropped" ? "<== dropped here" : `<== ${OUTCOME_LABEL[kind]} here`)}` : "") +
    (cause && s.cause ? `   ${paint.yellow(`<-- cause of step ${s.causeOf.join(", ")}`)}` : "")
  );
}

/** `sc`: the scenario the steps ran in (their notes name its packets and addresses). */
export function renderSteps(steps: readonly TraceStep[], sc: Scenario, paint: Paint): string {
  const w = Math.max(...steps.map((s) => s.packet.length));
  const out: string[] = [];
  for (const s of steps) {
    out.push(`  ${String(s.step).padStart(3)}  ${s.actor.padEnd(4)}  ${s.packet.padEnd(w)}  ${s.function}: ${wordNote(s.note, sc)}${stepMarks(s, true, paint)}`);
    for (const c of s.changes) out.push(`  ${" ".repeat(3 + 2 + Math.max(4, s.actor.length) + 2 + w + 2)}  ${wordChange(c, sc)}`);
  }
  return out.join("\n");
}

/** A trace's title: "dns-a-aaaa on v4.19: race2, 9 steps, 1 preemption"; `notMinimal`: what to say when the
 * fewest-preemption pass was skipped. */
export function traceTitle(sc: Scenario, kernel: Kernel, cx: Counterexample, notMinimal = " (the search's own path, not checked to be the shortest)"): string {
  return `${sc.name} on ${kernel.name}: ${cx.class}, ${cx.steps.length} steps, ${cx.preemptions} preemption${cx.preemptions === 1 ? "" : "s"}${cx.minimal ? "" : notMinimal}`;
}
