/** The properties a scenario can be checked against. */
import type { Property } from "../../engine/model.js";
import { dropClassOf, plainDropClass } from "./classify.js";
import { Fate, Reply, type KState } from "../net/state.js";
import type { Scenario } from "../../scenario/scenario.js";
import { perScenario } from "../../scenario/per-scenario.js";
import { CRASH, crashClasses } from "../functions/recycle.js";

/** No violation: one shared empty list, since properties run for every state. */
const NONE: readonly string[] = Object.freeze([]);

/** no-drop, its drops classed as scenario `sc` decides (zones, a table limit; undefined: neither). */
function noDropIn(sc: Scenario | undefined): Property<KState> {
  const classOf = sc ? dropClassOf(sc) : plainDropClass;
  return {
    name: "no-drop",
    kind: "invariant",
    description: "no packet is dropped at __nf_conntrack_confirm (or, with conntrack-max, for a full table)",
    violations(s) {
      let out: string[] | undefined;
      for (let i = 0; i < s.pkts.length; i++) {
        const p = s.pkts[i]!;
        if (p.fate !== Fate.DROPPED) continue;
        const cls = classOf(s, i);
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
  "reply-expired": "no entry matched the reply because the one that would have had timed out (skipped by the lookup, or reaped): it was not translated back",
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

/** In a `recycle` scenario: the kernel does nothing that crashes it (recycle.ts: CRASH.UNLINK_UNLINKED). */
export const noCrash: Property<KState> = {
  name: "no-crash",
  kind: "invariant",
  description: "the kernel never unlinks an entry whose nodes are not in the table (it would crash)",
  violations: (s) => (s.crash & CRASH.UNLINK_UNLINKED ? crashClasses(s.crash & CRASH.UNLINK_UNLINKED) : NONE),
};

/** In a `recycle` scenario: no valid entry is deleted for another (kernel-lifecycle §15: "lost"). */
export const noLostEntry: Property<KState> = {
  name: "no-lost-entry",
  kind: "invariant",
  description: "no reaper deletes a slot's new incarnation for the expired entry its walk reached (a valid entry lost)",
  violations: (s) => (s.crash & CRASH.REUSED_ENTRY_DELETED ? crashClasses(s.crash & CRASH.REUSED_ENTRY_DELETED) : NONE),
};

export const PROPERTIES: readonly Property<KState>[] = [noDrop, allReplied, noCrash, noLostEntry];

/** no-drop as it applies to a scenario, one per scenario, so that a property is the same object wherever it is asked for. */
const BOUND = new WeakSet<Property<KState>>();
const noDropOf = perScenario((sc) => {
  const p = noDropIn(sc);
  BOUND.add(p);
  return p;
});

/** Property `p` (one of PROPERTIES) as it applies to scenario `sc`: no-drop of a scenario with zones
 * classes a drop between equal tuples in different zones as zone-clash, and of one with
 * conntrack-max a drop without an entry as table-full (no-entry elsewhere); otherwise `p` itself. */
export function propertyIn(p: Property<KState>, sc: Scenario): Property<KState> {
  return p === noDrop && (sc.packets.some((q) => q.zone !== undefined) || sc.conntrackMax > 0 || sc.chains !== undefined) ? noDropOf(sc) : p;
}

/** One of PROPERTIES, or one as it applies to a scenario: another thread can rebuild it by name. */
export function isBuiltinProperty(p: Property<KState>): boolean {
  return PROPERTIES.includes(p) || BOUND.has(p);
}
