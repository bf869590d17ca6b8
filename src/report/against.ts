/** A differential counterexample's second run: what kernel B did with A's choices, as text and as Mermaid notes. */
import type { AgainstRun } from "../app/differential.js";
import type { TraceStep } from "../app/trace.js";
import type { Kernel } from "../kernel/kernel.js";
import type { ConntrackModel } from "../model/model.js";
import { mermaidText } from "./mermaid.js";
import { stepMarks } from "./steps.js";
import type { Paint } from "./text.js";
import type { Scenario } from "../scenario/scenario.js";
import { wordNote } from "./notes.js";
import { wordChange, wordChanges } from "./changes.js";

/** Whether B's step went as A's did (both in scenario `sc`): the same packet, function, outcome (the note's words) and changes. */
const sameStep = (x: TraceStep, y: TraceStep, sc: Scenario): boolean =>
  x.packet === y.packet &&
  x.function === y.function &&
  wordNote(x.note, sc) === wordNote(y.note, sc) &&
  x.changes.length === y.changes.length &&
  x.changes.every((c, i) => wordChange(c, sc) === wordChange(y.changes[i]!, sc));

/** One row per step of A's: what B did with that choice (or that it could not take it), then B's own steps to finish. */
interface AgainstRow {
  /** A's step number, or (a step B took alone after A ended) the next number on. */
  readonly n: number;
  readonly actor: string;
  /** B's step, or undefined when B skipped A's step `n`. */
  readonly step: TraceStep | undefined;
  /** A's step of the same number, when there is one. */
  readonly mirror: TraceStep | undefined;
}

function againstRows(aSteps: readonly TraceStep[], b: AgainstRun): AgainstRow[] {
  const rows: AgainstRow[] = [];
  let k = 0;
  for (const s of aSteps) {
    if (b.skipped.includes(s.step)) rows.push({ n: s.step, actor: s.actor, step: undefined, mirror: s });
    else rows.push({ n: s.step, actor: s.actor, step: b.steps[k++]!, mirror: s });
  }
  for (let n = aSteps.length + 1; k < b.steps.length; k++, n++) rows.push({ n, actor: b.steps[k]!.actor, step: b.steps[k]!, mirror: undefined });
  return rows;
}

/** B's run under A's choices, step by step beside A's (`trace --against`, `review`), both in scenario `sc`. */
export function renderAgainst(sc: Scenario, a: Kernel, b: Kernel, aSteps: readonly TraceStep[], against: AgainstRun, paint: Paint): string {
  const rows = againstRows(aSteps, against);
  const w = Math.max(...rows.map((r) => (r.step ?? r.mirror)!.packet.length));
  const lines = [`the same choices on ${b.name} (* where the step went otherwise than on ${a.name}):`];
  let alone = false;
  for (const r of rows) {
    if (!r.mirror && !alone) {
      alone = true;
      lines.push(`  then ${b.name} finishes on its own (lowest CPU first):`);
    }
    const differs = !r.step || !r.mirror || !sameStep(r.step, r.mirror, sc);
    const num = `${String(r.n).padStart(3)}${differs && r.mirror ? "*" : " "}`;
    if (!r.step) {
      lines.push(`  ${num} ${r.actor.padEnd(4)}  ${r.mirror!.packet.padEnd(w)}  skipped: ${r.actor} has no such step on ${b.name} (on ${a.name}: ${r.mirror!.function})`);
      continue;
    }
    const s = r.step;
    lines.push(`  ${num} ${s.actor.padEnd(4)}  ${s.packet.padEnd(w)}  ${s.function}: ${wordNote(s.note, sc)}${stepMarks(s, false, paint)}`);
    if (differs) for (const c of s.changes) lines.push(`  ${" ".repeat(4 + 1 + Math.max(4, s.actor.length) + 2 + w + 2)}${wordChange(c, sc)}`);
  }
  return lines.join("\n") + "\n";
}

/** After A's diagram: B's steps that went otherwise (or were skipped, or B took alone) as notes, then B's outcome. */
export function mermaidAgainst(b: Kernel, model: ConntrackModel, aSteps: readonly TraceStep[], against: AgainstRun, outcome: string): string {
  const all = [...model.actorNames, "T"];
  const span = `${all[0]},${all.at(-1)}`;
  const out = ["    rect rgb(215, 230, 255)", `        Note over ${span}: ${mermaidText(`the same choices on ${b.name}, where they went otherwise`)}`];
  for (const r of againstRows(aSteps, against)) {
    if (r.step && r.mirror && sameStep(r.step, r.mirror, model.ctx.sc)) continue;
    const head = mermaidText(`${r.n}. ${b.name}: ${(r.step ?? r.mirror)!.packet}: ${(r.step ?? r.mirror)!.function}`);
    const detail = r.step ? [wordNote(r.step.note, model.ctx.sc), ...wordChanges(r.step.changes, model.ctx.sc)].map(mermaidText).join("<br/>") : mermaidText(`skipped: no such step on ${b.name}`);
    out.push(`        Note over ${r.actor}: ${head}<br/>${detail}`);
  }
  out.push(`        Note over ${span}: ${mermaidText(outcome)}`);
  out.push("    end");
  return out.join("\n") + "\n";
}
