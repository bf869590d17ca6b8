/**
 * Entries as recycled memory (a `recycle` scenario; kernel-lifecycle.md §13-14).
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
import { IPS } from "../net/conn.js";
import type { Ctx } from "../kernel.js";
import { Pc, type KState } from "../net/state.js";
import { findNode, type Dir, type Hit } from "../net/table.js";
import { tupleEqual } from "../net/tuple.js";
import { packetZone, zoneMatch } from "../net/zone.js";
import { packetTuple } from "./resolve_normal_ct.js";
import { BUILTIN_SHOULD_GC, nf_ct_gc_expired, reapUnlink } from "./nf_ct_gc_expired.js";
import { nf_ct_is_expired } from "./time.js";
import { dropUninserted } from "./verdict.js";

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

/** Does the kernel run a user's nf_ct_gc_expired or nf_ct_should_gc? Then the lockless reapers call it whole, at the
 * second read (a patch's function has no halves the model can split). */
const userGc = (ctx: Ctx): boolean => ctx.k.nf_ct_gc_expired !== nf_ct_gc_expired || !BUILTIN_SHOULD_GC.has(ctx.k.nf_ct_should_gc);

/** nf_ct_should_gc's first read on entry `id` (a reference held): expired, or from 2d72afb34065 CONFIRMED. */
function shouldGcFirst(ctx: Ctx, st: KState, id: number): boolean {
  if (userGc(ctx)) return nf_ct_is_expired(ctx, st, id);
  return ctx.k.shouldGcConfirmedFirst() ? (st.pkts[id]!.ct!.status & IPS.CONFIRMED) !== 0 : nf_ct_is_expired(ctx, st, id);
}

/** A reaper's unlink of entry `id`, which it killed after its walk reached `saw`'s node: on an entry that is not
 * linked, the crash; on a linked one that is `saw`'s slot's new incarnation and not expired, a valid entry lost. */
export function unlinkKilled(ctx: Ctx, st: KState, id: number, saw: number): boolean {
  if (!unlinkOrCrash(st, id)) return false;
  if (id !== saw && saw >= 0 && !nf_ct_is_expired(ctx, st, id)) st.crash |= CRASH.REUSED_ENTRY_DELETED;
  return true;
}

/** Its other reads, a step later: CONFIRMED and not DYING, or (2d72afb34065, after its barrier) expired and not DYING. */
function shouldGcRest(ctx: Ctx, st: KState, id: number): boolean {
  const status = st.pkts[id]!.ct!.status;
  if (status & IPS.DYING) return false;
  return ctx.k.shouldGcConfirmedFirst() ? nf_ct_is_expired(ctx, st, id) : (status & IPS.CONFIRMED) !== 0;
}

/** The second half of nf_ct_gc_expired on `id` for a walker that reached `saw`: the rest of nf_ct_should_gc, then
 * nf_ct_kill (DYING: `kill` records who owes the unlink) or the put. Its note. */
function gcSecondHalf(ctx: Ctx, st: KState, id: number, saw: number, kill: () => void): string {
  const name = (q: number): string => ctx.sc.packets[q]!.name;
  if (userGc(ctx)) {
    // A patch's nf_ct_gc_expired (or nf_ct_should_gc inside the built-in one), whole.
    if (!(ctx.k.nf_ct_gc_expired ?? nf_ct_gc_expired)(ctx, st, id)) return ctx.explain ? `the patched nf_ct_gc_expired leaves ${name(id)}'s entry: put, the walk goes on` : "";
    kill();
    return ctx.explain ? `the patched nf_ct_gc_expired kills ${name(id)}'s entry: DYING, the unlink waits for its bucket locks` : "";
  }
  const what = ctx.k.shouldGcConfirmedFirst() ? "expired and not DYING" : "CONFIRMED and not DYING";
  if (!shouldGcRest(ctx, st, id)) return ctx.explain ? `nf_ct_should_gc reads ${name(id)}'s entry: not ${what}: put, the walk goes on` : "";
  st.pkts[id]!.ct!.status |= IPS.DYING;
  kill();
  void saw; // whether it was another incarnation, and a valid one, is judged at the unlink (unlinkKilled)
  return ctx.explain ? `nf_ct_should_gc reads ${name(id)}'s entry ${what}: nf_ct_kill sets DYING, the unlink waits for its bucket locks` : "";
}

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

/** The second step of __nf_conntrack_confirm in a `recycle` scenario, under the locks: "We have to check the DYING
 * flag after unlink to prevent a race": its own entry killed meanwhile (a reaper whose stale pointer reached its
 * recycled memory) is not inserted: insert_failed, NF_DROP. A kill after this test is not seen: the walks and the
 * insert (the third step) go on. */
export function confirmDyingTest(ctx: Ctx, st: KState, p: number): string {
  const pkt = st.pkts[p]!;
  if (!(pkt.ct!.status & IPS.DYING)) {
    pkt.dyingChecked = true;
    return ctx.explain ? "its own entry is not DYING: on to the chain walks" : "";
  }
  st.stats[ctx.sc.packets[p]!.cpu]!.insertFailed++;
  pkt.locked = false;
  dropUninserted(st, p);
  return ctx.explain ? "its own entry is DYING: insert_failed, NF_DROP (not inserted); locks released" : "";
}

/** The first half of __nf_conntrack_confirm in a `recycle` scenario: both bucket locks taken; from
 * 1397af5bfd7d (v5.19) to 2d72afb34065 (v6.16) IPS_CONFIRMED is set here, before the DYING test, the
 * chain walks and the clash handling (confirmedAtLock). */
export function confirmLock(ctx: Ctx, st: KState, p: number): string {
  const pkt = st.pkts[p]!;
  pkt.locked = true;
  if (ctx.k.confirmedAtLock()) {
    pkt.ct!.status |= IPS.CONFIRMED;
    return "both bucket locks taken; IPS_CONFIRMED set before the checks (1397af5bfd7d)";
  }
  return "both bucket locks taken";
}

/** The nodes a lookup for packet `p` may reach, newest first: linked, with its key (either direction, zone
 * matched), past `after` (the entry whose node it last looked at and went past) while that is still linked. */
function reachable(ctx: Ctx, st: KState, p: number, after: number): Hit[] {
  const out: Hit[] = [];
  const collect = (id: number, dir: Dir): boolean => {
    out.push({ id, dir });
    return false; // every one, not the first
  };
  findNode(st, packetTuple(ctx, p), collect, zoneMatch(ctx.sc, packetZone(ctx.sc, p)));
  const i = after >= 0 ? out.findIndex((h) => h.id === after) : -1;
  return i >= 0 ? out.slice(i + 1).filter((h) => h.id !== after) : out;
}

/** S1 in a `recycle` scenario, one lockless move a step: the unlink a kill owes (under the locks, which it
 * waits for); reaching a node (a pointer, no reference); or looking at what the reached slot holds now:
 * expired -> nf_ct_gc_expired (refcount_inc_not_zero, nf_ct_should_gc, nf_ct_kill: DYING now, the unlink
 * next step), else refcount_inc_not_zero and nf_ct_key_equal again: a hit, or (v5.10+) a miss. */
export function lockless_find_get(ctx: Ctx, st: KState, p: number, hit: (id: number, dir: Dir) => string): string {
  const pkt = st.pkts[p]!;
  const name = (id: number): string => ctx.sc.packets[id]!.name;
  if (pkt.halfGc >= 0) {
    const id = pkt.halfGc;
    pkt.halfGc = -1;
    return gcSecondHalf(ctx, st, id, pkt.readerSaw, () => void (pkt.reaping = id));
  }
  if (pkt.reaping >= 0) {
    const id = pkt.reaping;
    pkt.reaping = -1;
    if (!unlinkKilled(ctx, st, id, pkt.readerSaw)) return ctx.explain ? `nf_ct_delete_from_lists on ${name(id)}'s entry, which is not linked: hlist_nulls_del_rcu follows a pprev that is no list link: CRASH` : "";
    reapUnlink(st, id);
    pkt.readerSaw = -1;
    return ctx.explain ? `nf_ct_delete_from_lists: ${name(id)}'s entry unlinked; the walk goes on` : "";
  }
  if (pkt.reader < 0) {
    const node = reachable(ctx, st, p, pkt.readerSaw)[0];
    if (!node) {
      pkt.readerSaw = -1;
      pkt.pc = Pc.ALLOC;
      return "miss";
    }
    pkt.reader = st.pkts[node.id]!.slot;
    pkt.readerSaw = node.id;
    return ctx.explain ? `the walk reaches ${name(node.id)}'s ${node.dir} node (slot ${pkt.reader}), no reference taken yet` : "";
  }
  const saw = pkt.readerSaw;
  const cur = incarnation(st, pkt.reader);
  pkt.reader = -1;
  const other = cur >= 0 && cur !== saw ? ` (slot now ${name(cur)}'s entry)` : "";
  // The memory's timeout: the entry it holds now, or the freed one's, which refcount_inc_not_zero then refuses.
  const mem = cur >= 0 ? cur : saw;
  if (ctx.k.nf_ct_gc_expired && nf_ct_is_expired(ctx, st, mem)) {
    return gcFirstHalf(ctx, st, cur, saw, (id) => void (pkt.halfGc = id));
  }
  // Not expired: a reference, then the key again; a recycled or dying candidate is put back and the lookup misses.
  const still = cur >= 0 ? reachable(ctx, st, p, -1).find((h) => h.id === cur) : undefined;
  pkt.readerSaw = -1;
  if (still && !(st.pkts[cur]!.ct!.status & IPS.DYING)) return hit(cur, still.dir);
  pkt.pc = Pc.ALLOC;
  const why = cur < 0 ? "refcount_inc_not_zero fails (freed)" : still ? `${name(cur)}'s entry is DYING: put` : `the key changed${other}: put`;
  return ctx.explain ? `${why}: miss` : "miss";
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

/** The gc worker's walk in a `recycle` scenario: it reaches expired entry `id`'s node (a pointer), and in a later
 * step reads the slot again: expired -> nf_ct_gc_expired on whatever entry lives there now (refcount_inc_not_zero
 * fails on freed memory), the kill's unlink its next step. */
export function gcLockless(ctx: Ctx, st: KState, id: number): string {
  const name = (q: number): string => ctx.sc.packets[q]!.name;
  if (st.gcHalf >= 0) {
    const half = st.gcHalf;
    st.gcHalf = -1;
    const saw = st.gcSaw;
    // gcSaw stays with a kill, until the unlink judges it; else the walk goes on.
    const note = gcSecondHalf(ctx, st, half, saw, () => void (st.gc = half));
    if (st.gc < 0) st.gcSaw = -1;
    return note;
  }
  if (st.gcReader < 0) {
    st.gcReader = st.pkts[id]!.slot;
    st.gcSaw = id;
    return ctx.explain ? `the walk reaches ${name(id)}'s node (slot ${st.gcReader}), expired; no reference taken yet` : "";
  }
  const cur = incarnation(st, st.gcReader);
  const saw = st.gcSaw;
  st.gcReader = -1;
  if (!nf_ct_is_expired(ctx, st, cur >= 0 ? cur : saw)) {
    st.gcSaw = -1;
    return ctx.explain ? `entry no longer expired${cur >= 0 && cur !== saw ? ` (slot now ${name(cur)}'s entry)` : ""}: the walk goes on` : "";
  }
  const note = gcFirstHalf(ctx, st, cur, saw, (x) => void (st.gcHalf = x));
  // gcSaw stays while a reference is held; else the walk goes on.
  if (st.gcHalf < 0) st.gcSaw = -1;
  return note;
}

/** nf_ct_gc_expired's first half for a lockless walker that reached `saw`'s node and read its slot (now `cur`, -1:
 * free) expired: refcount_inc_not_zero, nf_ct_should_gc's first read; if both pass, `hold` keeps the reference
 * for the rest of the reads (gcSecondHalf) a step later. Its note. */
function gcFirstHalf(ctx: Ctx, st: KState, cur: number, saw: number, hold: (id: number) => void): string {
  const name = (q: number): string => ctx.sc.packets[q]!.name;
  const other = cur >= 0 && cur !== saw ? ` (slot now ${name(cur)}'s entry)` : "";
  if (cur < 0) return ctx.explain ? `${name(saw)}'s entry read expired, but its memory is free: refcount_inc_not_zero fails, the walk goes on` : "";
  const first = ctx.k.shouldGcConfirmedFirst() ? "CONFIRMED" : "expired";
  if (!shouldGcFirst(ctx, st, cur)) return ctx.explain ? `entry read expired${other}: nf_ct_gc_expired takes a reference; nf_ct_should_gc reads it not ${first}: put, the walk goes on` : "";
  hold(cur);
  return ctx.explain ? `entry read expired${other}: nf_ct_gc_expired takes a reference on ${name(cur)}'s entry; nf_ct_should_gc reads it ${first}` : "";
}
