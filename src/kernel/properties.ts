/** The properties a scenario can be checked against. */
import type { Property } from "../engine/model.js";
import { classifyDrop, classOfDrop } from "./classify.js";
import { Fate, Reply, type KState } from "./state.js";
import type { Scenario } from "../scenario/scenario.js";

/** No violation: one shared empty list, since properties run for every state. */
const NONE: readonly string[] = Object.freeze([]);

/** no-drop, its drops classed with the entries' zones when `sc` gives packets zones. */
function noDropIn(sc: Scenario | undefined): Property<KState> {
  const zoned = sc?.packets.some((p) => p.zone !== undefined) ? sc : undefined;
  const limited = (sc?.conntrackMax ?? 0) > 0;
  return {
    name: "no-drop",
    kind: "invariant",
    description: "no packet is dropped at __nf_conntrack_confirm (or, with conntrack-max, for a full table)",
    violations(s) {
      let out: string[] | undefined;
      for (let i = 0; i < s.pkts.length; i++) {
        const p = s.pkts[i]!;
        if (p.fate !== Fate.DROPPED) continue;
        // No entry: dropped at init_conntrack, the table full (or, without a limit, by a patch).
        const w = s.pkts[p.clashWith];
        const cls = p.ct === null ? (limited ? "table-full" : "no-entry") : zoned ? classOfDrop(zoned, s, i) : classifyDrop(p.ct, w!.ct!, undefined, undefined, w!.evicted);
        if (!out) out = [cls];
        else if (!out.includes(cls)) out.push(cls);
      }
      return out ?? NONE;
    },
  };
}

export const noDrop: Property<KState> = noDropIn(undefined);

export const REPLY_CLASSES = {
  "reply-lost": "no entry matched the reply: it was not translated back and the client never sees it",
  "reply-misrouted": "an entry translated the reply, but not back to the address and port the client sent to",
  unanswered: "the query left for the virtual service address without DNAT: no host there answers",
  "reply-evicted": "no entry matched the reply because early drop had evicted the one that would have: it was not translated back",
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
        p.reply === Reply.LOST
          ? "reply-lost"
          : p.reply === Reply.MISROUTED
            ? "reply-misrouted"
            : p.reply === Reply.UNANSWERED
              ? "unanswered"
              : p.reply === Reply.EVICTED
                ? "reply-evicted"
                : undefined;
      if (!cls) continue;
      if (!out) out = [cls];
      else if (!out.includes(cls)) out.push(cls);
    }
    return out ?? NONE;
  },
};

export const PROPERTIES: readonly Property<KState>[] = [noDrop, allReplied];

/** Property `p` (one of PROPERTIES) as it applies to scenario `sc`: no-drop of a scenario with zones
 * classes a drop between equal tuples in different zones as zone-clash, and of one with
 * conntrack-max a drop without an entry as table-full (no-entry elsewhere); otherwise `p` itself. */
export function propertyIn(p: Property<KState>, sc: Scenario): Property<KState> {
  if (p !== noDrop || !(sc.packets.some((q) => q.zone !== undefined) || sc.conntrackMax > 0)) return p;
  // One per scenario, so that a property is the same object wherever it is asked for.
  let zoned = ZONED.get(sc);
  if (!zoned) {
    ZONED.set(sc, (zoned = noDropIn(sc)));
    ZONED_SET.add(zoned);
  }
  return zoned;
}

const ZONED = new WeakMap<Scenario, Property<KState>>();
/** One of PROPERTIES, or one as it applies to a scenario: another thread can rebuild it by name. */
export function isBuiltinProperty(p: Property<KState>): boolean {
  return PROPERTIES.includes(p) || ZONED_SET.has(p);
}

const ZONED_SET = new WeakSet<Property<KState>>();
