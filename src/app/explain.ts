/**
 * Why a counterexample violates its property. A decisive step is one where a
 * packet was dropped or its reply became lost, misrouted or unanswered; its
 * cause is the earlier step that made it so. Both are read from the path's
 * states (tables, entries, `uses`), never from the steps' notes, so what a
 * trace marks is what the states show.
 *
 * Cause rules, by what the decisive step shows:
 * - dropped (race1/2/3, reply-clash, ...): "linked", the last step that linked
 *   the entry the loser clashed with (clashWith) into the hash table.
 * - reply-lost: "entry-removed", the last step after which an entry holding
 *   the tuple the reply was sent to was no longer found by a lookup
 *   (____nf_conntrack_find skips DYING entries, so for conntrack -D that is
 *   nf_ct_delete's test_and_set_bit(IPS_DYING_BIT), not the later unlink; for
 *   v5.6-5.8 the UDP tracker's nf_ct_kill of a NAT_CLASH entry on its first
 *   reply); else "merged", the __nf_conntrack_confirm that merged the packet
 *   into another entry (its `uses` changed) whose tuples do not carry the reply.
 * - reply-misrouted: "merged", the __nf_conntrack_confirm that merged the
 *   packet into another entry; else "linked", the step that linked the entry
 *   the reply matched.
 * - unanswered: "left-without-dnat", the step where the packet was accepted,
 *   i.e. left the node: the entry it went on with had no DNAT (its REPLY
 *   source is still the service address), and nothing later changes where an
 *   accepted query went.
 * - a WARN or drop of a copy on an entry another skb confirmed (confirmed-clone-warn, confirmed-clone):
 *   "copy-confirmed", the last step that linked the packet's entry (another skb sharing it).
 * - query-misrouted, a use of a released entry, br_nf_local_in's WARN after a merge: "winner-linked", the last
 *   step that linked the entry the packet went on with (nf_conntrack_update attached it, or a merge did).
 * - timeout-double-stamp: "timeout-set", the queue verdict that set the entry's timeout while it was unconfirmed.
 * "none" when no step fits (the decisive step is then its own explanation).
 */
import type { Path } from "../engine/path.js";
import { classOfDrop } from "../kernel/properties/classify.js";
import { nf_ct_zone, zoneMatch } from "../kernel/net/zone.js";
import { IPS } from "../kernel/net/conn.js";
import type { ConntrackModel, Move } from "../model/model.js";
import { allReplied, noCrash, noDrop, noLostEntry, noStaleCt, noStaleMapping, noWarn, timeoutAsSet } from "../kernel/properties/properties.js";
import { WARN_CLASS } from "../kernel/properties/no-warn.js";
import { STALE_CLASS } from "../kernel/properties/no-stale-ct.js";
import { skbEntry } from "../kernel/net/skb.js";
import { removedEndpoints } from "../kernel/properties/no-stale-mapping.js";
import { CRASH, crashClasses } from "../kernel/functions/recycle.js";
import { Fate, Reply, type KState } from "../kernel/net/state.js";
import { packetTuple } from "../kernel/functions/resolve_normal_ct.js";
import { replySentTo } from "../kernel/functions/reply.js";
import { evictedHolder } from "../kernel/functions/early_drop.js";
import { expiredHolder, lookupAccepts } from "../kernel/functions/nf_ct_gc_expired.js";
import { findNode } from "../kernel/net/table.js";
import type { Ctx } from "../kernel/kernel.js";
import { invert, tupleEqual, type Tuple } from "../kernel/net/tuple.js";
import type { Dir } from "../kernel/net/conn.js";

/** What a decisive step did to its packet. */
export type Outcome = "dropped" | "reply-lost" | "reply-misrouted" | "unanswered" | "reply-evicted" | "reply-expired" | "crash" | "stale" | "warn" | "stale-ct" | "misrouted-query" | "lifetime";

export type CauseRule = "killed" | "stamped-stale" | "missed-by-dump" | "linked" | "entry-removed" | "evicted" | "expired" | "merged" | "left-without-dnat" | "copy-confirmed" | "winner-linked" | "timeout-set" | "none";

export interface Explanation {
  /** The packet whose query or reply went wrong. */
  readonly packet: string;
  /** The violation class the decisive step shows (race2, reply-lost, ...). */
  readonly class: string;
  readonly property: string;
  readonly kind: Outcome;
  /** Step numbers as in the trace (1 = the first step). */
  readonly decisiveStep: number;
  readonly causeStep: number | null;
  /** Which rule found the cause (see the module comment). */
  readonly rule: CauseRule;
  /** What the sentences a person reads say, as data (report/explanation.ts words it). */
  readonly why: Why;
  /** A second violation the same step decides, which this explanation covers too: the drop of a WARN that drops
   * (class confirmed-clone of no-drop). */
  readonly also?: { readonly class: string; readonly property: string };
}

/** A step an explanation names (1 = the first step), with what a reader needs to know which: the clock's (and the
 * time it moved to), a reaper's on an entry, conntrack -D's, or a packet's kernel function. */
export type StepRef = { readonly step: number } & (
  | { readonly by: "clock"; readonly now: number }
  | { readonly by: "reaper"; readonly function: string; readonly packet: number }
  | { readonly by: "delete" }
  | { readonly by: "control"; readonly function: string }
  | { readonly by: "packet"; readonly packet: number; readonly function: string }
);

/** An entry, by the packet that allocated it; `natClash`: it had IPS_NAT_CLASH then. */
export interface EntryRef {
  readonly id: number;
  readonly natClash: boolean;
}

/** Why a decisive step went wrong, one kind per sentence shape: packets and entries by index, steps, tuples, times. */
export type Why =
  /** Dropped at `step` before it had an entry, with no conntrack-max set: a patch's step. */
  | { readonly kind: "no-entry"; readonly packet: number; readonly step: number }
  /** Dropped at `step`: init_conntrack found the table full (`max` entries) and early_drop evicted nothing. */
  | { readonly kind: "table-full"; readonly packet: number; readonly step: number; readonly max: number }
  /** Dropped at `step` by confirm's test of its own entry: DYING, killed at `kill`. */
  | { readonly kind: "dying-loser"; readonly packet: number; readonly step: number; readonly cls: string; readonly kill: StepRef | null }
  /** Packet `packet`'s entry, NATed to removed endpoint `endpoint` at `nat`, was linked at `step`, after the control
   * plane's dump at `dump` had listed the table without it. */
  | { readonly kind: "stale-survivor"; readonly packet: number; readonly step: number; readonly endpoint: Tuple; readonly nat: StepRef | null; readonly dump: StepRef }
  /** Dropped at `step` by confirm's nf_ct_ext_valid_pre: its extensions' genid is older than the bump at `bump`. */
  | { readonly kind: "genid-drop"; readonly packet: number; readonly step: number; readonly bump: StepRef | null }
  /** Dropped at `step` by confirm with no clash: its chain was too long (`chains`), or a patch's confirm. */
  | { readonly kind: "confirm-drop"; readonly packet: number; readonly step: number; readonly cls: string; readonly chains: { readonly otherNodes: number; readonly maxChainlen: number } | null }
  /** Dropped at `step`: confirm found its `which` tuple in `entry`, linked at `linked`, marked DYING at `dying`. */
  | {
      readonly kind: "clash";
      readonly packet: number;
      readonly step: number;
      readonly cls: string;
      readonly which: "ORIGINAL" | "REPLY";
      readonly tuple: Tuple;
      readonly entry: EntryRef;
      readonly linked: StepRef | null;
      readonly dying: StepRef | null;
    }
  /** The reply, sent to `sent`, was lost: no entry held it after `at` removed `entry`: conntrack -D marked it DYING
   * (`how` "dying") or unlinked it, the tracker killed it on `replier`'s reply (`protocol`), or a step removed it. */
  | {
      readonly kind: "lost-removed";
      readonly packet: number;
      readonly sent: Tuple;
      readonly entry: EntryRef;
      readonly at: StepRef;
      readonly how: "dying" | "unlinked" | "tracker-kill" | "removed";
      readonly protocol: string;
      readonly replier: number;
    }
  /** The reply was lost: `at` merged the packet into `into`'s entry, whose tuples do not carry `sent`. */
  | {
      readonly kind: "lost-merged";
      readonly packet: number;
      readonly sent: Tuple;
      readonly at: StepRef;
      readonly into: number;
      readonly orig: Tuple;
      readonly reply: Tuple;
      readonly freed: boolean;
      readonly everLinked: boolean;
    }
  /** The reply was lost: no entry held `sent` at `step`. */
  | { readonly kind: "lost-none"; readonly packet: number; readonly sent: Tuple; readonly step: number }
  /** The reply matched `hit`'s entry (`dir`), translated to `delivered`, not `expected`; merged at `merged`, or linked at `linked`. */
  | {
      readonly kind: "misrouted";
      readonly packet: number;
      readonly sent: Tuple;
      readonly hit: number;
      readonly dir: Dir;
      readonly delivered: Tuple;
      readonly expected: Tuple;
      readonly merged: { readonly at: StepRef; readonly into: number } | null;
      readonly linked: StepRef | null;
    }
  /** The query left (at `left`) with its own entry (`own`) or `uses`' entry, whose REPLY tuple `sent` has no DNAT. */
  | { readonly kind: "unanswered"; readonly packet: number; readonly left: StepRef | null; readonly own: boolean; readonly uses: number; readonly sent: Tuple }
  /** The reply was lost: `entry` held `sent` until `at`, where `by`'s init_conntrack's early_drop evicted it. */
  | { readonly kind: "evicted"; readonly packet: number; readonly sent: Tuple; readonly entry: EntryRef; readonly at: StepRef; readonly by: number }
  | { readonly kind: "evicted-none"; readonly packet: number; readonly sent: Tuple }
  | { readonly kind: "expired-none"; readonly packet: number; readonly sent: Tuple }
  /** The reply was lost: `entry` held `sent` until it timed out at `timeout` (`fixed`: IPS_FIXED_TIMEOUT); then either
   * `merge` merged the packet into it after that (at `mergedAt`), or the reply came at `replyAt`, after `tick`. */
  | {
      readonly kind: "expired";
      readonly packet: number;
      readonly sent: Tuple;
      readonly entry: EntryRef;
      readonly timeout: number;
      readonly fixed: boolean;
      readonly merge: { readonly at: StepRef; readonly now: number } | null;
      readonly replyAt: number;
      readonly tick: StepRef | null;
    }
  /** `step` dropped a packet or copy for a reason no clash explains (class `cls`: queued-shared, reinjected-shared,
   * confirmed-clone); `entry` its skb's entry; `linked` where another skb confirmed it (confirmed-clone). */
  | { readonly kind: "skb-drop"; readonly packet: number; readonly step: number; readonly cls: string; readonly entry: number; readonly linked: StepRef | null }
  /** A kernel WARN_ON fired at `step` (class `cls` of no-warn) on `entry`; `linked` the step that confirmed or linked
   * what made it fire (the other skb's confirm, or the winner a merge went to); `dropped`: the step dropped the packet. */
  | { readonly kind: "warn"; readonly packet: number; readonly step: number; readonly cls: string; readonly entry: number; readonly linked: StepRef | null; readonly dropped: boolean }
  /** At `step` a caller used `entry`, which a merge into `into` had released (class `cls` of no-stale-ct). */
  | { readonly kind: "stale-ct"; readonly packet: number; readonly step: number; readonly cls: string; readonly entry: number; readonly into: number; readonly linked: StepRef | null }
  /** At `step` nf_conntrack_update attached the packet to `into` (linked at `linked`) and rewrote it to `to`, while its
   * route stayed the one chosen for `route` at `dnat`. */
  | { readonly kind: "misrouted-query"; readonly packet: number; readonly step: number; readonly into: number; readonly route: Tuple; readonly to: Tuple; readonly dnat: StepRef | null; readonly linked: StepRef | null }
  /** At `step` the packet's entry was confirmed to live `lifetime` ms, not the `set` ms the verdict at `verdict` set. */
  | { readonly kind: "lifetime-off"; readonly packet: number; readonly step: number; readonly set: number; readonly lifetime: number; readonly verdict: StepRef | null }
  /** The kernel went wrong at `step` (class `cls`), with no entry to name. */
  | { readonly kind: "crash-none"; readonly step: number; readonly cls: string }
  /** `step` unlinked `entry` (unlink-unlinked: not in the table; else a valid entry), and how it came to: a walk
   * `reached` another entry's node (`saw`), `made` gave that memory (`slot`) to `entry`, `confirmed` set CONFIRMED
   * before inserting, `kill` killed it. */
  | {
      readonly kind: "crash";
      readonly step: number;
      readonly cls: string;
      readonly entry: EntryRef;
      readonly reached: { readonly at: StepRef; readonly saw: number } | null;
      readonly made: { readonly at: StepRef; readonly slot: number } | null;
      readonly confirmed: StepRef | null;
      readonly kill: StepRef | null;
    };

const REPLY_OUTCOME: Partial<Record<Reply, "reply-lost" | "reply-misrouted" | "unanswered" | "reply-evicted" | "reply-expired">> = {
  [Reply.LOST]: "reply-lost",
  [Reply.MISROUTED]: "reply-misrouted",
  [Reply.UNANSWERED]: "unanswered",
  [Reply.EVICTED]: "reply-evicted",
  [Reply.EXPIRED]: "reply-expired",
};

/** What a step from `before` to `after` did to packet `p`, if it is decisive. */
function outcomeAt(before: KState, after: KState, p: number): Exclude<Outcome, "crash" | "stale" | "warn" | "stale-ct" | "lifetime"> | undefined {
  const b = before.pkts[p]!;
  const a = after.pkts[p]!;
  if (!b.misrouted && a.misrouted) return "misrouted-query";
  if (b.fate !== Fate.DROPPED && a.fate === Fate.DROPPED) return "dropped";
  if (REPLY_OUTCOME[b.reply] === undefined) return REPLY_OUTCOME[a.reply];
  return undefined;
}

/** Entries a lookup of `t` can find in `st` by a node holding `t`: linked, confirmed, and (up to v5.2) not DYING
 * (lookupAccepts: from 87e389b4c200 a lookup takes DYING entries too, so only the unlink takes one away). */
function holders(ctx: Ctx, st: KState, t: Tuple): Set<number> {
  const out = new Set<number>();
  const accepts = lookupAccepts(ctx, st);
  findNode(st, t, (id) => {
    if (!accepts || accepts(id)) out.add(id);
    return false; // keep walking: every holder, not the first
  });
  return out;
}

/** What the cause finders read: the path's states and moves, and how to name things. */
interface View {
  readonly model: ConntrackModel;
  readonly S: readonly KState[];
  readonly moves: readonly Move[];
}

/** A decisive step's class, cause (a step index) and why. */
interface Found {
  readonly cls: string;
  readonly cause?: number;
  readonly rule: CauseRule;
  readonly why: Why;
}

/** Step index `i` as an explanation names it ("step 6 (A's __nf_conntrack_confirm)" in words). */
function ref(v: View, i: number): StepRef {
  const m = v.moves[i]!;
  if (m.kind === "tick") return { step: i + 1, by: "clock", now: v.S[i + 1]!.now };
  if (m.kind === "reap") return { step: i + 1, by: "reaper", function: m.function, packet: m.packet };
  if (m.kind === "delete") return { step: i + 1, by: "delete" };
  // The control plane's other steps (a rule change, a dump, a flush's walk, a helper's removal) name no packet.
  // A packet's steps on the queue program's threads (a verdict) and on a clone's lane are the packet's.
  const own = m.kind === "query" || m.kind === "reply" || m.kind === "reinject" || m.kind === "verdict-drop" || m.kind === "clone";
  return own ? { step: i + 1, by: "packet", packet: m.packet, function: m.function } : { step: i + 1, by: "control", function: m.function };
}

/** Entry `id` as it was in `st`. */
function entryRef(st: KState, id: number): EntryRef {
  return { id, natClash: (st.pkts[id]!.ct!.status & IPS.NAT_CLASH) !== 0 };
}

const refOr = (v: View, i: number | undefined): StepRef | null => (i !== undefined ? ref(v, i) : null);

/** The last step before `end` that linked entry `id` into the hash table. */
function linkedAt(v: View, id: number, end: number): number | undefined {
  for (let i = end - 1; i >= 0; i--) if (!v.S[i]!.table.includes(id) && v.S[i + 1]!.table.includes(id)) return i;
  return undefined;
}

/** The last __nf_conntrack_confirm before `end` that merged packet `p` into another entry (its `uses` changed). */
function mergedAt(v: View, p: number, end: number): number | undefined {
  for (let i = end - 1; i >= 0; i--) {
    const m = v.moves[i]!;
    if (m.kind !== "query" || m.packet !== p || m.function !== "__nf_conntrack_confirm") continue;
    const u = v.S[i + 1]!.pkts[p]!.uses;
    if (v.S[i]!.pkts[p]!.uses !== u && u !== p && u >= 0) return i;
  }
  return undefined;
}

function explainDrop(v: View, d: number, p: number): Found {
  const before = v.S[d]!;
  const loser = v.S[d + 1]!.pkts[p]!;
  if (loser.dropWhy) {
    const cls = classOfDrop(v.model.ctx.sc, v.S[d + 1]!, p);
    const e = skbEntry(before, p);
    const cause = cls === "confirmed-clone" && e >= 0 ? confirmedAt(v, e, d) : undefined;
    return { cls, ...(cause !== undefined ? { cause } : {}), rule: cause !== undefined ? "copy-confirmed" : "none", why: { kind: "skb-drop", packet: p, step: d + 1, cls, entry: e, linked: refOr(v, cause) } };
  }
  if (loser.ct === null) {
    const max = v.model.ctx.sc.conntrackMax;
    if (max === 0) return { cls: "no-entry", rule: "none", why: { kind: "no-entry", packet: p, step: d + 1 } };
    return { cls: "table-full", rule: "none", why: { kind: "table-full", packet: p, step: d + 1, max } };
  }
  const w = loser.clashWith;
  const cls = classOfDrop(v.model.ctx.sc, v.S[d + 1]!, p);
  const chains = v.model.ctx.sc.chains;
  if (w < 0) {
    if (cls === "dying-loser") {
      // Who killed its entry: the step that set DYING on it before this one.
      let kill: number | undefined;
      for (let i = d - 1; i >= 0 && kill === undefined; i--) if (!(v.S[i]!.pkts[p]!.ct!.status & IPS.DYING) && v.S[i + 1]!.pkts[p]!.ct!.status & IPS.DYING) kill = i;
      return { cls, ...(kill !== undefined ? { cause: kill } : {}), rule: kill !== undefined ? "killed" : "none", why: { kind: "dying-loser", packet: p, step: d + 1, cls, kill: refOr(v, kill) } };
    }
    if (cls === "genid-drop") {
      // The bump that made its stamp stale: the step that set its bit in KState.stale.
      const bit = 1 << p;
      let bump: number | undefined;
      for (let i = d - 1; i >= 0 && bump === undefined; i--) if (!(v.S[i]!.stale & bit) && v.S[i + 1]!.stale & bit) bump = i;
      return { cls, ...(bump !== undefined ? { cause: bump } : {}), rule: bump !== undefined ? "stamped-stale" : "none", why: { kind: "genid-drop", packet: p, step: d + 1, bump: refOr(v, bump) } };
    }
    return { cls, rule: "none", why: { kind: "confirm-drop", packet: p, step: d + 1, cls, chains: chains ? { otherNodes: chains.otherNodes, maxChainlen: chains.maxChainlen } : null } };
  }
  // __nf_conntrack_confirm looks up the ORIGINAL tuple's bucket first, then the REPLY's.
  const sc = v.model.ctx.sc;
  const which = findNode(before, loser.ct!.orig, undefined, zoneMatch(sc, nf_ct_zone(sc, p)))?.id === w ? "ORIGINAL" : "REPLY";
  const cause = linkedAt(v, w, d);
  let dying: StepRef | null = null;
  if (before.pkts[w]!.ct!.status & IPS.DYING) {
    let i = d - 1;
    while (i > 0 && v.S[i]!.pkts[w]!.ct!.status & IPS.DYING) i--;
    dying = ref(v, i);
  }
  const why: Why = { kind: "clash", packet: p, step: d + 1, cls, which, tuple: which === "ORIGINAL" ? loser.ct!.orig : loser.ct!.reply, entry: entryRef(before, w), linked: refOr(v, cause), dying };
  return { cls, ...(cause !== undefined ? { cause } : {}), rule: cause !== undefined ? "linked" : "none", why };
}

function explainLost(v: View, d: number, p: number): Found {
  const sent = replySentTo(v.S[d]!, p);
  // An entry that held the tuple stopped being found: deleted, or marked DYING.
  for (let i = d - 1; i >= 0; i--) {
    const now = holders(v.model.ctx, v.S[i + 1]!, sent);
    const gone = [...holders(v.model.ctx, v.S[i]!, sent)].find((id) => !now.has(id));
    if (gone === undefined) continue;
    const m = v.moves[i]!;
    const how = m.kind === "delete" ? (v.S[i + 1]!.table.includes(gone) ? "dying" : "unlinked") : m.kind === "reply" ? "tracker-kill" : "removed";
    return {
      cls: "reply-lost",
      cause: i,
      rule: "entry-removed",
      why: { kind: "lost-removed", packet: p, sent, entry: entryRef(v.S[i]!, gone), at: ref(v, i), how, protocol: v.model.ctx.sc.protocol, replier: m.packet },
    };
  }
  // Else it went on with an entry that does not carry its reply.
  const i = mergedAt(v, p, d);
  if (i !== undefined) {
    const u = v.S[i + 1]!.pkts[p]!.uses;
    const w = v.S[i + 1]!.pkts[u]!.ct!;
    if (!tupleEqual(w.orig, sent) && !tupleEqual(w.reply, sent)) {
      const everLinked = v.S.some((s) => s.table.includes(p));
      return {
        cls: "reply-lost",
        cause: i,
        rule: "merged",
        why: { kind: "lost-merged", packet: p, sent, at: ref(v, i), into: u, orig: w.orig, reply: w.reply, freed: v.S[i + 1]!.pkts[p]!.freed, everLinked },
      };
    }
  }
  return { cls: "reply-lost", rule: "none", why: { kind: "lost-none", packet: p, sent, step: d + 1 } };
}

function explainMisrouted(v: View, d: number, p: number): Found {
  const before = v.S[d]!;
  const sent = replySentTo(before, p);
  // The reply's lookup as the kernel makes it (from v5.3 it takes DYING entries too: lookupAccepts).
  const hit = findNode(before, sent, lookupAccepts(v.model.ctx, before))!;
  const x = before.pkts[hit.id]!.ct!;
  const delivered = hit.dir === "REPLY" ? invert(x.orig) : invert(x.reply);
  const expected = invert(packetTuple(v.model.ctx, p));
  const why = { kind: "misrouted", packet: p, sent, hit: hit.id, dir: hit.dir, delivered, expected, merged: null, linked: null } as const;
  const merged = mergedAt(v, p, d);
  if (merged !== undefined) {
    return { cls: "reply-misrouted", cause: merged, rule: "merged", why: { ...why, merged: { at: ref(v, merged), into: v.S[merged + 1]!.pkts[p]!.uses } } };
  }
  const linked = linkedAt(v, hit.id, d);
  if (linked !== undefined) return { cls: "reply-misrouted", cause: linked, rule: "linked", why: { ...why, linked: ref(v, linked) } };
  return { cls: "reply-misrouted", rule: "none", why };
}

function explainUnanswered(v: View, d: number, p: number): Found {
  const before = v.S[d]!;
  // The query left the node when it was accepted; nothing later changes where it went.
  let cause: number | undefined;
  for (let i = d - 1; i >= 0 && cause === undefined; i--) {
    if (v.S[i]!.pkts[p]!.fate !== Fate.ACCEPTED && v.S[i + 1]!.pkts[p]!.fate === Fate.ACCEPTED) cause = i;
  }
  const why: Why = { kind: "unanswered", packet: p, left: refOr(v, cause), own: !!before.pkts[p]!.ct, uses: before.pkts[p]!.uses, sent: replySentTo(before, p) };
  return { cls: "unanswered", ...(cause !== undefined ? { cause } : {}), rule: cause !== undefined ? "left-without-dnat" : "none", why };
}

/** The reply's entry was evicted: the init_conntrack whose early_drop did it. */
function explainEvicted(v: View, d: number, p: number): Found {
  const sent = replySentTo(v.S[d]!, p);
  for (let i = d - 1; i >= 0; i--) {
    const gone = evictedHolder(v.S[i + 1]!, sent, (id) => !v.S[i]!.pkts[id]!.evicted);
    if (gone < 0) continue;
    return { cls: "reply-evicted", cause: i, rule: "evicted", why: { kind: "evicted", packet: p, sent, entry: entryRef(v.S[i]!, gone), at: ref(v, i), by: v.moves[i]!.packet } };
  }
  return { cls: "reply-evicted", rule: "none", why: { kind: "evicted-none", packet: p, sent } };
}

/** The reply's entry timed out: the clock's step after which it was expired (the cause), or the merge that
 * gave the packet an entry that had already timed out. */
function explainExpired(v: View, d: number, p: number): Found {
  const sent = replySentTo(v.S[d]!, p);
  const ctx = v.model.ctx;
  const id = expiredHolder(ctx, v.S[d + 1]!, p, sent);
  if (id < 0) return { cls: "reply-expired", rule: "none", why: { kind: "expired-none", packet: p, sent } };
  const ct = v.S[d + 1]!.pkts[id]!.ct!;
  const head = { kind: "expired", packet: p, sent, entry: entryRef(v.S[d]!, id), timeout: ct.timeout, fixed: (ct.status & IPS.FIXED_TIMEOUT) !== 0, merge: null, replyAt: v.S[d]!.now, tick: null } as const;
  // Merged into an entry already past its timeout: the merge is the cause (v6.12 merges into a dying entry too).
  const merge = id !== p ? mergedAt(v, p, d) : undefined;
  if (merge !== undefined && v.S[merge]!.now >= ct.timeout) {
    return { cls: "reply-expired", cause: merge, rule: "merged", why: { ...head, merge: { at: ref(v, merge), now: v.S[merge]!.now } } };
  }
  let cause: number | undefined;
  for (let i = d - 1; i >= 0 && cause === undefined; i--) if (v.moves[i]!.kind === "tick" && v.S[i]!.now < ct.timeout && v.S[i + 1]!.now >= ct.timeout) cause = i;
  return {
    cls: "reply-expired",
    ...(cause !== undefined ? { cause } : {}),
    rule: cause !== undefined ? "expired" : "none",
    why: { ...head, tick: refOr(v, cause) },
  };
}

/** The kernel went wrong at step d (st.crash bits `wrong`): which entry, the kill that caused it and the
 * steps that made the entry the slot's new incarnation. */
function explainCrash(v: View, d: number, wrong: number): Found {
  const cls = crashClasses(wrong)[0]!;
  const m = v.moves[d]!;
  const before = v.S[d]!;
  // The entry the step unlinked or killed: the reaper's (gc) or the lookup's target.
  const after = v.S[d + 1]!;
  // Both are judged at an unlink: of the gc worker's entry, or of the one the lookup's kill left it to unlink.
  const victim = m.kind === "reap" ? m.packet : before.pkts[m.packet]!.reaping;
  if (victim < 0) return { cls, rule: "none", why: { kind: "crash-none", step: d + 1, cls } };
  const status = (s: KState): number => s.pkts[victim]!.ct?.status ?? 0;
  const dying = (s: KState): boolean => (status(s) & IPS.DYING) !== 0;
  let kill: number | undefined;
  for (let i = d; i >= 0 && kill === undefined; i--) if (!dying(v.S[i]!) && dying(v.S[i + 1]!)) kill = i;
  const last = (test: (i: number) => boolean, from: number): number | undefined => {
    for (let i = from; i >= 0; i--) if (test(i)) return i;
    return undefined;
  };
  const made = last((i) => !v.S[i]!.pkts[victim]!.ct && !!v.S[i + 1]!.pkts[victim]!.ct, d);
  const confirmed = last((i) => !(status(v.S[i]!) & IPS.CONFIRMED) && (status(v.S[i + 1]!) & IPS.CONFIRMED) !== 0, kill ?? d);
  // The killer's walk: a lookup's (its packet's reader) or the gc worker's.
  const byGc = kill !== undefined && v.moves[kill]!.kind === "reap";
  const killer = kill !== undefined ? v.moves[kill]!.packet : -1;
  const readerOf = (s: KState): number => (byGc ? s.gcReader : s.pkts[killer]!.reader);
  const reached = kill !== undefined ? last((i) => readerOf(v.S[i]!) < 0 && readerOf(v.S[i + 1]!) >= 0, kill) : undefined;
  const saw = reached !== undefined ? (byGc ? v.S[reached + 1]!.gcSaw : v.S[reached + 1]!.pkts[killer]!.readerSaw) : -1;
  const other = saw >= 0 && saw !== victim;
  const why: Why = {
    kind: "crash",
    step: d + 1,
    cls,
    entry: entryRef(before, victim),
    reached: reached !== undefined && other ? { at: ref(v, reached), saw } : null,
    made: made !== undefined && other ? { at: ref(v, made), slot: after.pkts[victim]!.slot } : null,
    confirmed: confirmed !== undefined && !before.table.includes(victim) ? ref(v, confirmed) : null,
    kill: refOr(v, kill),
  };
  return { cls, ...(kill !== undefined ? { cause: kill } : {}), rule: kill !== undefined ? "killed" : "none", why };
}

/** Step `d` made packet `p` leave the wrong way (nfqueue's update in POSTROUTING). */
function explainMisroutedQuery(v: View, d: number, p: number): Found {
  const after = v.S[d + 1]!;
  const into = after.pkts[p]!.uses;
  const cause = linkedAt(v, into, d);
  let dnat: number | undefined;
  for (let i = d - 1; i >= 0 && dnat === undefined; i--) if (v.moves[i]!.packet === p && v.moves[i]!.function === "nf_nat_setup_info(DST)") dnat = i;
  const why: Why = { kind: "misrouted-query", packet: p, step: d + 1, into, route: after.pkts[p]!.ct!.reply, to: after.pkts[into]!.ct!.reply, dnat: refOr(v, dnat), linked: refOr(v, cause) };
  return { cls: "query-misrouted", ...(cause !== undefined ? { cause } : {}), rule: cause !== undefined ? "winner-linked" : "none", why };
}

/** The last step before `end` that set CONFIRMED on entry `e`. */
function confirmedAt(v: View, e: number, end: number): number | undefined {
  for (let i = end - 1; i >= 0; i--) if (!(v.S[i]!.pkts[e]!.ct!.status & IPS.CONFIRMED) && v.S[i + 1]!.pkts[e]!.ct!.status & IPS.CONFIRMED) return i;
  return undefined;
}

/** Step `d` set packet `p`'s WARN. */
function explainWarn(v: View, d: number, p: number): Found {
  const before = v.S[d]!;
  const after = v.S[d + 1]!;
  const a = after.pkts[p]!;
  const cls = WARN_CLASS[a.warn]!;
  const e = skbEntry(before, p);
  // confirmed-clone-warn: the other skb's confirm; local-in-unconfirmed-warn: the winner the merge went to, linked before.
  const copy = cls === "confirmed-clone-warn";
  const cause = copy ? confirmedAt(v, e, d) : cls === "local-in-unconfirmed-warn" && a.uses >= 0 && a.uses !== e ? linkedAt(v, a.uses, d) : undefined;
  const why: Why = { kind: "warn", packet: p, step: d + 1, cls, entry: e, linked: refOr(v, cause), dropped: before.pkts[p]!.fate !== Fate.DROPPED && a.fate === Fate.DROPPED };
  return { cls, ...(cause !== undefined ? { cause } : {}), rule: cause === undefined ? "none" : copy ? "copy-confirmed" : "winner-linked", why };
}

/** Step `d` had a caller read packet `p`'s entry after a merge released it. */
function explainStaleCt(v: View, d: number, p: number): Found {
  const before = v.S[d]!;
  const a = v.S[d + 1]!.pkts[p]!;
  const cls = STALE_CLASS[a.staleCt]!;
  const cause = linkedAt(v, a.uses, d);
  const why: Why = { kind: "stale-ct", packet: p, step: d + 1, cls, entry: skbEntry(before, p), into: a.uses, linked: refOr(v, cause) };
  return { cls, ...(cause !== undefined ? { cause } : {}), rule: cause !== undefined ? "winner-linked" : "none", why };
}

const EXPLAIN: Record<Exclude<Outcome, "crash" | "stale" | "warn" | "stale-ct" | "lifetime">, (v: View, d: number, p: number) => Found> = {
  "misrouted-query": explainMisroutedQuery,
  dropped: explainDrop,
  "reply-lost": explainLost,
  "reply-evicted": explainEvicted,
  "reply-expired": explainExpired,
  "reply-misrouted": explainMisrouted,
  unanswered: explainUnanswered,
};

/** Step `d` linked packet `p`'s entry, which maps to an endpoint the control plane removed, after a dump of the
 * control plane had run without it: the entry no delete saw (no-stale-mapping's unconfirmed-survivor). */
function staleSurvivor(v: View, d: number, p: number): Found | undefined {
  const sc = v.model.ctx.sc;
  if (!sc.dnat || !v.S[d + 1]!.table.includes(p) || v.S[d]!.table.includes(p)) return undefined;
  const ct = v.S[d + 1]!.pkts[p]!.ct!;
  if (!removedEndpoints(sc).some((ep) => ep.addr === ct.reply.src && ep.port === ct.reply.sport)) return undefined;
  // No dump of the path ever listed it (the property's unconfirmed-survivor; else a later one saw it and its filter missed).
  if (v.S.at(-1)!.walked & (1 << p)) return undefined;
  let dump = -1;
  for (let i = d - 1; i >= 0 && dump < 0; i--) if (v.moves[i]!.kind === "dump" || v.moves[i]!.kind === "resync") dump = i;
  if (dump < 0) return undefined;
  let nat: number | undefined;
  for (let i = d - 1; i >= 0 && nat === undefined; i--) if (v.moves[i]!.packet === p && v.moves[i]!.function === "nf_nat_setup_info(DST)") nat = i;
  return { cls: "unconfirmed-survivor", cause: dump, rule: "missed-by-dump", why: { kind: "stale-survivor", packet: p, step: d + 1, endpoint: ct.reply, nat: refOr(v, nat), dump: ref(v, dump) } };
}

/** Every decisive step of the path, by step index (0-based), with its explanation. */
export function explainPath(model: ConntrackModel, path: Path<KState>): Map<number, Explanation> {
  const sc = model.ctx.sc;
  const S = path.states;
  const v: View = {
    model,
    S,
    moves: path.actions.map((a, i) => model.move(S[i]!, a)),
  };
  const name = (id: number): string => sc.packets[id]!.name;
  const out = new Map<number, Explanation>();
  v.moves.forEach((m, d) => {
    // What the kernel did wrong (recycled entries): any actor's step may do it.
    const wrong = S[d + 1]!.crash & ~S[d]!.crash;
    if (wrong) {
      const f = explainCrash(v, d, wrong);
      out.set(d, { packet: m.packet >= 0 ? name(m.packet) : "-", class: f.cls, property: f.cls === "unlink-unlinked" ? noCrash.name : noLostEntry.name, kind: "crash", decisiveStep: d + 1, causeStep: f.cause === undefined ? null : f.cause + 1, rule: f.rule, why: f.why });
      return;
    }
    // Only a packet's own step decides its outcome (the others are causes): on its CPU, the queue program's thread
    // (a verdict), or its own lane (a clone).
    if (m.kind !== "query" && m.kind !== "reply" && m.kind !== "reinject" && m.kind !== "verdict-drop" && m.kind !== "clone") return;
    const survivor = staleSurvivor(v, d, m.packet);
    if (survivor) {
      out.set(d, { packet: name(m.packet), class: "unconfirmed-survivor", property: noStaleMapping.name, kind: "stale", decisiveStep: d + 1, causeStep: survivor.cause! + 1, rule: survivor.rule, why: survivor.why });
      return;
    }
    // A WARN first (its step may drop the packet too: the WARN says so), then a use of a released entry.
    const fired = !S[d]!.pkts[m.packet]!.warn && S[d + 1]!.pkts[m.packet]!.warn ? explainWarn(v, d, m.packet) : !S[d]!.pkts[m.packet]!.staleCt && S[d + 1]!.pkts[m.packet]!.staleCt ? explainStaleCt(v, d, m.packet) : undefined;
    if (!S[d]!.pkts[m.packet]!.lifetimeOff && S[d + 1]!.pkts[m.packet]!.lifetimeOff) {
      let verdict: number | undefined;
      for (let i = d - 1; i >= 0 && verdict === undefined; i--) if (!S[i]!.pkts[m.packet]!.timeoutSet && S[i + 1]!.pkts[m.packet]!.timeoutSet) verdict = i;
      const e = skbEntry(S[d + 1]!, m.packet);
      const why: Why = { kind: "lifetime-off", packet: m.packet, step: d + 1, set: sc.nfqueue!.timeout!, lifetime: S[d + 1]!.pkts[e]!.ct!.timeout - S[d + 1]!.now, verdict: refOr(v, verdict) };
      out.set(d, { packet: name(m.packet), class: "timeout-double-stamp", property: timeoutAsSet.name, kind: "lifetime", decisiveStep: d + 1, causeStep: verdict === undefined ? null : verdict + 1, rule: verdict === undefined ? "none" : "timeout-set", why });
      return;
    }
    if (fired) {
      const warn = fired.why.kind === "warn";
      const also = fired.why.kind === "warn" && fired.why.dropped ? { also: { class: classOfDrop(sc, S[d + 1]!, m.packet), property: noDrop.name } } : {};
      out.set(d, { packet: name(m.packet), class: fired.cls, property: warn ? noWarn.name : noStaleCt.name, kind: warn ? "warn" : "stale-ct", decisiveStep: d + 1, causeStep: fired.cause === undefined ? null : fired.cause + 1, rule: fired.rule, why: fired.why, ...also });
      return;
    }
    const kind = outcomeAt(S[d]!, S[d + 1]!, m.packet);
    if (!kind) return;
    const f = EXPLAIN[kind](v, d, m.packet);
    out.set(d, {
      packet: name(m.packet),
      class: f.cls,
      property: kind === "dropped" ? noDrop.name : allReplied.name,
      kind,
      decisiveStep: d + 1,
      causeStep: f.cause === undefined ? null : f.cause + 1,
      rule: f.rule,
      why: f.why,
    });
  });
  return out;
}
