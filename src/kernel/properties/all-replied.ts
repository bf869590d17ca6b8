/** all-replied: every accepted query's answer reaches the client from where it sent it; checked when the run is over. */
import { Fate, Reply } from "../net/state.js";
import { NONE, type KernelProperty } from "./property.js";

export const REPLY_CLASSES = {
  "query-misrouted": "the query was rewritten to another endpoint after its route was chosen (nfqueue's update in POSTROUTING, v4.18-v6.11): it left the wrong way, and no answer came",
  "reply-lost": "no entry matched the reply: it was not translated back and the client never sees it",
  "reply-misrouted": "an entry translated the reply, but not back to the address and port the client sent to",
  unanswered: "the query left for the virtual service address without DNAT: no host there answers",
  "reply-evicted": "no entry matched the reply because early drop had evicted the one that would have: it was not translated back",
  "reply-expired": "no entry matched the reply because the one that would have had timed out (skipped by the lookup, or reaped): it was not translated back",
} as const;

export const allReplied: KernelProperty = {
  name: "all-replied",
  kind: "terminal",
  description: "every query that was not dropped gets its answer, from the address and port the client sent to",
  classes: REPLY_CLASSES,
  gate: (sc) => (sc.replies ? undefined : "needs a scenario with replies: true"),
  violations(s) {
    let out: string[] | undefined;
    for (const p of s.pkts) {
      if (p.fate !== Fate.ACCEPTED) continue;
      const cls = p.misrouted
        ? "query-misrouted"
        : p.reply === Reply.LOST
          ? "reply-lost"
          : p.reply === Reply.MISROUTED
            ? "reply-misrouted"
            : p.reply === Reply.UNANSWERED
              ? "unanswered"
              : p.reply === Reply.EVICTED
                ? "reply-evicted"
                : p.reply === Reply.EXPIRED
                  ? "reply-expired"
                  : undefined;
      if (!cls) continue;
      if (!out) out = [cls];
      else if (!out.includes(cls)) out.push(cls);
    }
    return out ?? NONE;
  },
};
