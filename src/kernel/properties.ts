/** The properties a scenario can be checked against. */
import type { Property } from "../engine/model.js";
import { classifyDrop } from "./classify.js";
import { Fate, Reply, type KState } from "./state.js";

/** No violation: one shared empty list, since properties run for every state. */
const NONE: readonly string[] = Object.freeze([]);

export const noDrop: Property<KState> = {
  name: "no-drop",
  kind: "invariant",
  description: "no packet is dropped at __nf_conntrack_confirm",
  violations(s) {
    let out: string[] | undefined;
    for (const p of s.pkts) {
      if (p.fate !== Fate.DROPPED) continue;
      const cls = classifyDrop(p.ct!, s.pkts[p.clashWith]!.ct!);
      if (!out) out = [cls];
      else if (!out.includes(cls)) out.push(cls);
    }
    return out ?? NONE;
  },
};

export const REPLY_CLASSES = {
  "reply-lost": "no entry matched the reply: it was not translated back and the client never sees it",
  "reply-misrouted": "an entry translated the reply, but not back to the address and port the client sent to",
  unanswered: "the query left for the virtual service address without DNAT: no host there answers",
} as const;

/** Every accepted query's reply reaches the client from where the client sent it.
 * Checked when the run is over (no CPU can move). */
export const allReplied: Property<KState> = {
  name: "all-replied",
  kind: "terminal",
  description: "every query that was not dropped gets its answer, from the address and port the client sent to",
  violations(s) {
    let out: string[] | undefined;
    for (const p of s.pkts) {
      if (p.fate !== Fate.ACCEPTED) continue;
      const cls =
        p.reply === Reply.LOST ? "reply-lost" : p.reply === Reply.MISROUTED ? "reply-misrouted" : p.reply === Reply.UNANSWERED ? "unanswered" : undefined;
      if (!cls) continue;
      if (!out) out = [cls];
      else if (!out.includes(cls)) out.push(cls);
    }
    return out ?? NONE;
  },
};

export const PROPERTIES: readonly Property<KState>[] = [noDrop, allReplied];
