/**
 * A counterexample drawn the way kernel commit messages draw races: one
 * column per CPU, a row per step with the kernel function, what it decided
 * and only the fields it changed; the decisive step (a drop, a lost, misrouted
 * or unanswered reply) and its cause marked; why, packets and final counters.
 */
import type { Counterexample } from "../app/check.js";
import type { ConntrackModel } from "../model/model.js";
import { OUTCOME_LABEL } from "./steps.js";
import { readableState } from "./readable.js";
import { wordNote } from "./notes.js";
import { wordChange } from "./changes.js";
import { wordWhy } from "./explanation.js";

const WIDTH = 50;

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = "  " + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

export function renderSwimlanes(model: ConntrackModel, cx: Counterexample, title: string): string {
  const cpus = model.actorNames.length;
  const pad = (s: string): string => s.padEnd(WIDTH);
  const lines: string[] = [];
  lines.push(title);
  lines.push("");
  lines.push(["  # ", ...model.actorNames.map((n) => pad(n))].join(" ").trimEnd());
  lines.push(["----", ...model.actorNames.map(() => "-".repeat(WIDTH))].join(" "));
  for (const s of cx.steps) {
    const kind = s.explanation?.kind ?? "dropped";
    const marks =
      (s.decisive ? `  <== ${kind === "dropped" ? "DROP" : OUTCOME_LABEL[kind].toUpperCase()}` : "") +
      (s.cause ? `  <-- CAUSE of step ${s.causeOf.join(", ")}` : "");
    const cell: string[] = [
      // A step of no packet (the clock's, the control plane's) is named by its function alone.
      `${s.packet === "-" ? "" : `${s.packet}: `}${s.function}${marks}`,
      ...wrap(`-> ${wordNote(s.note, model.ctx.sc)}`, WIDTH),
      ...s.changes.flatMap((c) => wrap(`* ${wordChange(c, model.ctx.sc)}`, WIDTH)),
    ];
    cell.forEach((text, i) => {
      const cols = Array.from({ length: cpus }, (_, c) => (c === s.cpu ? pad(text) : pad("")));
      // In the step column: '!' a decisive step, '>' the step that caused one.
      const num = i === 0 ? String(s.step).padStart(3) + (s.decisive ? "!" : s.cause ? ">" : " ") : "    ";
      lines.push([num, ...cols].join(" ").trimEnd());
    });
  }
  const last = readableState(model, cx.path.states.at(-1)!);
  lines.push("");
  const why = cx.explanation;
  if (why) lines.push(`why:  ${wordWhy(why.why, model.ctx.sc)}`);
  lines.push(
    "packets:  " +
      Object.entries(last.packets)
        .map(([n, p]) => `${n} ${p.fate}${p.uses && p.uses !== n ? ` (with ${p.uses}'s entry)` : ""}`)
        .join(", "),
  );
  lines.push(
    "counters (conntrack -S):  " +
      Object.entries(last.stats)
        .map(([cpu, c]) => `${cpu} insert_failed=${c.insert_failed} drop=${c.drop} clash_resolve=${c.clash_resolve}${c.early_drop !== undefined ? ` early_drop=${c.early_drop}` : ""}`)
        .join("; "),
  );
  return lines.join("\n") + "\n";
}
