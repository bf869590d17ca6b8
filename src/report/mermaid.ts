/**
 * A counterexample as a Mermaid sequence diagram (renders in GitHub and most
 * Markdown viewers): the CPUs and the conntrack hash table as participants.
 * Steps that read or write the shared table are messages to it; private steps
 * are notes over their CPU. The decisive step (a drop, a lost, misrouted or
 * unanswered reply) is shaded red, the step that caused it amber, and a last
 * note says why.
 */
import type { Counterexample } from "../app/check.js";
import type { ConntrackModel } from "../model/model.js";
import type { Outcome } from "../app/explain.js";
import { wordNote } from "./notes.js";
import { wordChanges } from "./changes.js";
import { wordWhy } from "./explanation.js";

const DECISIVE_SHADE = "rgb(255, 215, 215)";
const CAUSE_SHADE = "rgb(255, 236, 179)";
const HEADLINE: Record<Outcome, (packet: string) => string> = {
  dropped: (p) => `packet ${p} DROPPED`,
  "reply-lost": (p) => `${p}'s reply LOST`,
  "reply-evicted": (p) => `${p}'s reply LOST (entry evicted)`,
  "reply-expired": (p) => `${p}'s reply LOST (entry timed out)`,
  "reply-misrouted": (p) => `${p}'s reply MISROUTED`,
  unanswered: (p) => `${p}'s query UNANSWERED`,
  crash: (p) => `${p}: KERNEL ERROR`,
  stale: (p) => `${p}'s entry STALE (removed endpoint)`,
  warn: (p) => `${p}: kernel WARN`,
  "stale-ct": (p) => `${p}: released entry USED`,
  "misrouted-query": (p) => `${p}'s query MISROUTED`,
  lifetime: (p) => `${p}'s entry: LIFETIME not as set`,
};

/** Steps that touch the shared hash table (a lookup, NAT's tuple check, confirm). */
const SHARED = new Set(["__nf_conntrack_find_get", "nf_nat_setup_info(SRC)", "__nf_conntrack_confirm"]);

/** Mermaid treats ';' and '#' specially and arrows could be misread in text. */
export function mermaidText(s: string): string {
  return s.replace(/->/g, "→").replace(/=>/g, "⇒").replace(/[;#]/g, ",").replace(/[\r\n]+/g, " ");
}

export function renderMermaid(model: ConntrackModel, cx: Counterexample, title: string): string {
  const out: string[] = ["sequenceDiagram", `    title ${mermaidText(title)}`];
  for (const cpu of model.actorNames) out.push(`    participant ${cpu}`);
  out.push("    participant T as conntrack table");
  for (const s of cx.steps) {
    const cpu = model.actorNames[s.cpu]!;
    const head = mermaidText(`${s.step}. ${s.packet === "-" ? "" : `${s.packet}: `}${s.function}`);
    const detail = [wordNote(s.note, model.ctx.sc), ...wordChanges(s.changes, model.ctx.sc)].map(mermaidText).join("<br/>");
    const boxed = s.decisive || s.cause;
    if (boxed) out.push(`    rect ${s.decisive ? DECISIVE_SHADE : CAUSE_SHADE}`);
    const ind = boxed ? "        " : "    ";
    if (SHARED.has(s.function)) {
      out.push(`${ind}${cpu}->>T: ${head}`);
      out.push(`${ind}T-->>${cpu}: ${detail}`);
    } else {
      out.push(`${ind}Note over ${cpu}: ${head}<br/>${detail}`);
    }
    if (s.decisive) {
      const what = HEADLINE[s.explanation?.kind ?? "dropped"](s.packet);
      out.push(`${ind}Note over ${cpu},T: ${mermaidText(`${what} (${s.violation ?? cx.class})`)}`);
    }
    if (s.cause) out.push(`${ind}Note over ${cpu},T: ${mermaidText(`cause of step ${s.causeOf.join(", ")}`)}`);
    if (boxed) out.push("    end");
  }
  const why = cx.explanation;
  if (why) out.push(`    Note over ${model.actorNames[0]!},T: ${mermaidText(`why: ${wordWhy(why.why, model.ctx.sc)}`)}`);
  return out.join("\n") + "\n";
}
