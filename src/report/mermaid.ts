/**
 * A counterexample as a Mermaid sequence diagram (renders in GitHub and most
 * Markdown viewers): the CPUs and the conntrack hash table as participants.
 * Steps that read or write the shared table are messages to it; private steps
 * are notes over their CPU; the dropping step is shaded.
 */
import type { Counterexample } from "../check.js";
import type { ConntrackModel } from "../kernel/model.js";

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
    const head = mermaidText(`${s.step}. ${s.packet}: ${s.function}`);
    const detail = [s.note, ...s.changes].map(mermaidText).join("<br/>");
    if (s.decisive) out.push("    rect rgb(255, 215, 215)");
    const ind = s.decisive ? "        " : "    ";
    if (SHARED.has(s.function)) {
      out.push(`${ind}${cpu}->>T: ${head}`);
      out.push(`${ind}T-->>${cpu}: ${detail}`);
    } else {
      out.push(`${ind}Note over ${cpu}: ${head}<br/>${detail}`);
    }
    if (s.decisive) {
      out.push(`${ind}Note over ${cpu},T: packet ${mermaidText(s.packet)} DROPPED (${cx.class})`);
      out.push("    end");
    }
  }
  return out.join("\n") + "\n";
}
