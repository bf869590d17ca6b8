/**
 * Entries as recycled memory (a `recycle` scenario; docs/kernel.md, "Recycled entries").
 * nf_conn comes from a SLAB_TYPESAFE_BY_RCU cache: a freed entry's memory (its
 * slot here) may be the very next allocation, while a lockless walker that
 * reached it still holds the pointer. So a walker takes a reference
 * (refcount_inc_not_zero) and re-checks what it found, in a later step than
 * the one that reached the node; confirm holds both bucket locks from its
 * early checks to its decision (two steps); an unlink waits for those locks.
 *
 * References are counted from what holds them, not kept: the table's (the
 * entry is linked), the skb's (a packet between S2 and the end of S5 goes on
 * with it), and a reaper's (a lookup or the gc worker between the kill and the
 * unlink). At none the entry is freed and its slot free for the next
 * init_conntrack, which may take any free slot or a new one (the search tries
 * each). An entry's incarnation is the packet that allocated it.
 *
 * What the kernel does wrong here is `st.crash`, a bit each (CRASH): unlinking
 * an entry that is not linked (hlist_nulls_del_rcu on a pprev that is no list
 * link: the 2d72afb34065 crash; the run ends), and a reaper deleting another
 * incarnation than the entry it reached (a delete of a reused entry).
 */

import type { Ctx } from "../kernel.js";
import { Pc, type KState } from "../net/state.js";
import { tupleEqual } from "../net/tuple.js";
import { nf_ct_is_expired } from "./time.js";

/** st.crash bits and their classes (the no-crash property). */
export const CRASH = {
  /** nf_ct_delete_from_lists on an entry whose nodes were never linked, or are no more: the kernel oopses. */
  UNLINK_UNLINKED: 1,
  /** A reaper killed an entry that is not the one its walk reached: the slot's new incarnation. */
  REUSED_ENTRY_DELETED: 2,
} as const;

export const CRASH_CLASSES = {
  "unlink-unlinked": "nf_ct_delete unlinked an entry whose nodes are not in the table (a recycled entry confirm never inserted): the kernel crashes in hlist_nulls_del_rcu",
  "reused-entry-deleted": "a lockless reaper killed the new incarnation of the entry it had reached (its slot was freed and reused in between)",
} as const;

/** The classes of `crash` bits. */
export function crashClasses(crash: number): string[] {
  const out: string[] = [];
  if (crash & CRASH.UNLINK_UNLINKED) out.push("unlink-unlinked");
  if (crash & CRASH.REUSED_ENTRY_DELETED) out.push("reused-entry-deleted");
  return out;
}

/** Is packet `q`'s query between S2 and the end of S5, so its skb holds a reference on its entry (`uses`)? */
const inFlight = (st: KState, q: number): boolean => {
  const pc = st.pkts[q]!.pc;
  return pc !== Pc.LOOKUP && pc !== Pc.DONE;
};

/** Entry `id`'s reference count: the table's, the skbs' of packets going on with it, the reapers' holding it. */
export function refcount(st: KState, id: number): number {
  let n = st.table.includes(id) ? 1 : 0;
  for (let q = 0; q < st.pkts.length; q++) {
    const p = st.pkts[q]!;
    if (inFlight(st, q) && p.uses === id) n++;
    if (p.reaping === id || p.halfGc === id) n++;
  }
  if (st.gc === id || st.gcHalf === id) n++;
  return n;
}

/** The entry that lives in slot `s` now (its packet), or -1: the slot's memory is free. */
export function incarnation(st: KState, s: number): number {
  for (let q = 0; q < st.pkts.length; q++) if (st.pkts[q]!.slot === s && st.pkts[q]!.ct && refcount(st, q) > 0) return q;
  return -1;
}

/** Slots allocated so far whose memory is free now, lowest first. */
export function freeSlots(st: KState): number[] {
  const used = new Set<number>();
  for (const p of st.pkts) if (p.slot >= 0) used.add(p.slot);
  return [...used].filter((s) => incarnation(st, s) < 0).sort((a, b) => a - b);
}

/** init_conntrack's alternatives: each free slot, or a new one. */
export const slotChoices = (st: KState): number => freeSlots(st).length + 1;

/** kmem_cache_alloc for packet `p`'s entry: free slot `choice`, or (the last choice) a new one. Returns whether it reused one. */
export function allocSlot(st: KState, p: number, choice: number): boolean {
  const free = freeSlots(st);
  if (choice < free.length) {
    st.pkts[p]!.slot = free[choice]!;
    return true;
  }
  st.pkts[p]!.slot = st.pkts.reduce((m, q) => Math.max(m, q.slot + 1), 0);
  return false;
}

/** Do entries `a` and `b` hash to a common bucket? (Equal tuples do; others, the model takes as apart.) */
function shareBucket(st: KState, a: number, b: number): boolean {
  const x = st.pkts[a]!.ct!;
  const y = st.pkts[b]!.ct!;
  return tupleEqual(x.orig, y.orig) || tupleEqual(x.orig, y.reply) || tupleEqual(x.reply, y.orig) || tupleEqual(x.reply, y.reply);
}

/** Does another packet's confirm hold a bucket lock entry `id` needs (its two buckets)? Then its unlink, or a confirm of it, waits. */
export function lockedAgainst(st: KState, id: number, self = -1): boolean {
  for (let q = 0; q < st.pkts.length; q++) if (q !== self && st.pkts[q]!.locked && shareBucket(st, q, id)) return true;
  return false;
}

/** Would packet `p`'s next step wait for a lock? Its confirm's first step, or the unlink its lookup owes. */
export function blocked(ctx: Ctx, st: KState, p: number): boolean {
  if (!ctx.sc.recycle) return false;
  const pkt = st.pkts[p]!;
  if (pkt.pc === Pc.CONFIRM && !pkt.locked) return lockedAgainst(st, p, p);
  if (pkt.pc === Pc.LOOKUP && pkt.reaping >= 0) return lockedAgainst(st, pkt.reaping);
  return false;
}

/** The unlink of a kill (nf_ct_delete_from_lists, under the entry's bucket locks): on an entry that is not linked, the crash. */
export function unlinkOrCrash(st: KState, id: number): boolean {
  if (st.table.includes(id)) return true;
  st.crash |= CRASH.UNLINK_UNLINKED;
  return false;
}

/** A reaper's unlink of entry `id`, which it killed after its walk reached `saw`'s node: on an entry that is not
 * linked, the crash; on a linked one that is `saw`'s slot's new incarnation and not expired, a valid entry lost. */
export function unlinkKilled(ctx: Ctx, st: KState, id: number, saw: number): boolean {
  if (!unlinkOrCrash(st, id)) return false;
  if (id !== saw && saw >= 0 && !nf_ct_is_expired(ctx, st, id)) st.crash |= CRASH.REUSED_ENTRY_DELETED;
  return true;
}

/** The freed entry whose memory free slot `choice` is (the last packet that had it), or -1 for a new slot. */
export function incarnationBefore(st: KState, choice: number): number {
  const s = freeSlots(st)[choice];
  if (s === undefined) return -1;
  let last = -1;
  st.pkts.forEach((q, i) => {
    if (q.slot === s) last = i;
  });
  return last;
}
