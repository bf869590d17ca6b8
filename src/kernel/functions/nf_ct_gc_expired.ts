/**
 * The reapers of expired entries (timed scenarios). v4.6 arms a timer per
 * entry: death_by_timeout runs when it fires and deletes the entry; a lookup
 * before that still finds it, and a packet's refresh moves the timer on
 * (mod_timer_pending). From v4.9 (f330a7fdbe16, b87a2f9199ea) there is no
 * timer: a lockless walk that meets an expired entry calls nf_ct_gc_expired
 * (S1's lookup, a reply's, nf_conntrack_tuple_taken, early_drop_list) and skips
 * it, and the gc worker scans the table for them. nf_ct_gc_expired takes a
 * reference and kills the entry if nf_ct_should_gc still holds; the kill is
 * nf_ct_delete: test_and_set_bit(IPS_DYING_BIT), then the unlink under the
 * bucket locks. Between the two another CPU can meet the entry linked and
 * DYING: S1's reap and the gc worker's are two steps for that reason. The reaps
 * inside a reply, NAT's tuple search and early drop are one step with their
 * walk, a simplification: another CPU's confirm could meet those entries linked
 * and DYING too, which the gc worker's two-step reap of the same entry produces.
 *
 * A walk meets only the nodes whose key it looks for: which other flows share
 * a bucket is the hash's doing, and the model's flows are few (a reaper walking
 * past another flow's expired entry is the gc worker's step here).
 */
import { IPS } from "../net/conn.js";
import type { Ctx } from "../kernel.js";
import type { KState } from "../net/state.js";
import { bysourceRemove, findNode, hashRemove, type Dir, type Hit } from "../net/table.js";
import { tupleEqual, type Tuple } from "../net/tuple.js";
import type { ZoneMatch } from "../net/zone.js";
import { nf_ct_is_expired } from "./time.js";
import { incarnation, unlinkKilled } from "./recycle.js";
import type { StepNote } from "../note.js";

/** nf_ct_should_gc (v4.9-v6.15): expired, CONFIRMED and not DYING, read in that order. */
export function nf_ct_should_gc(ctx: Ctx, st: KState, id: number): boolean {
  const ct = st.pkts[id]!.ct!;
  return nf_ct_is_expired(ctx, st, id) && (ct.status & IPS.CONFIRMED) !== 0 && (ct.status & IPS.DYING) === 0;
}

/** nf_ct_gc_expired: with a reference taken, nf_ct_kill if nf_ct_should_gc holds; true when this
 * caller won DYING (test_and_set_bit) and so owes the unlink (reapUnlink). */
export function nf_ct_gc_expired(ctx: Ctx, st: KState, id: number): boolean {
  if (!(ctx.k.nf_ct_should_gc ?? nf_ct_should_gc)(ctx, st, id)) return false;
  st.pkts[id]!.ct!.status |= IPS.DYING;
  return true;
}

/** The second half of a reaper's nf_ct_delete: nf_ct_delete_from_lists unlinks the expired entry; the table's
 * reference was the last (its packets are through), so it is freed, and nf_conntrack_free's remove_nat_bysrc
 * takes it out of nf_nat_bysource. */
export function reapUnlink(st: KState, id: number): void {
  hashRemove(st, id);
  bysourceRemove(st, id);
  st.pkts[id]!.expired = true;
}

/** A lockless walk for `t` (S1, a reply, tuple_taken): newest first over the nodes with that key
 * in zone `z` that `accept` takes. On a kernel that reaps (v4.9+), an expired node is handed to
 * nf_ct_gc_expired and skipped; `reap` says what then: "now" unlinks it in this step, "later"
 * returns it (the caller's next step unlinks it). A lookup's `accept` is lookupAccepts. */
export function walkFor(ctx: Ctx, st: KState, t: Tuple, z: ZoneMatch | undefined, reap: "now" | "later", accept?: (id: number, dir: Dir) => boolean): Hit | { reaping: number } | undefined {
  const gcExpired = ctx.k.nf_ct_gc_expired;
  // Nothing expires without time: the plain walk (this runs for every lookup the search makes).
  if (!ctx.sc.timed || !gcExpired) return findNode(st, t, accept, z);
  let reaping = -1;
  // findNode reads st.table afresh each node: an unlink in between leaves the older nodes where they were.
  const hit = findNode(
    st,
    t,
    (id, dir) => {
      if (nf_ct_is_expired(ctx, st, id)) {
        if (!gcExpired(ctx, st, id)) return false;
        if (reap === "later") return (reaping = id) >= 0;
        reapUnlink(st, id);
        return false;
      }
      return !accept || accept(id, dir);
    },
    z,
  );
  return reaping >= 0 ? { reaping } : hit;
}

/** Did packet `p`'s answer, sent to `t`, lose the entry it went out with to a timeout? That entry (its own, or the
 * one it continued with) carries `t` and timed out (reaped, or linked and expired): its index, else -1. */
export function expiredHolder(ctx: Ctx, st: KState, p: number, t: Tuple): number {
  for (const id of [st.pkts[p]!.uses, p]) {
    const q = st.pkts[id];
    if (!q?.ct || !(tupleEqual(q.ct.reply, t) || tupleEqual(q.ct.orig, t))) continue;
    if (q.expired || (q.ct.status & IPS.CONFIRMED && nf_ct_is_expired(ctx, st, id))) return id;
  }
  return -1;
}

/** ____nf_conntrack_find's test after the key: entries being deleted are skipped. */
export const notDying = (st: KState) => (id: number): boolean => !(st.pkts[id]!.ct!.status & IPS.DYING);

/** What a lookup (S1, a reply's) takes of the nodes with its key: until 87e389b4c200 (v5.3) no DYING one
 * (notDying), from it every one (undefined: lookupSkipsDying). */
export const lookupAccepts = (ctx: Ctx, st: KState): ((id: number) => boolean) | undefined => (ctx.k.lookupSkipsDying() ? notDying(st) : undefined);

/** The entries a reaper may start on now: linked, expired, and (v4.9+) nf_ct_should_gc; on v4.6
 * those whose timer fired and whose death_by_timeout has not begun (not DYING). Oldest first. */
export function reapable(ctx: Ctx, st: KState): number[] {
  const should = ctx.k.nf_ct_should_gc;
  return st.table.filter((id) => (should ? should(ctx, st, id) : nf_ct_should_gc(ctx, st, id)));
}

/** A reaper's second step on the entry it marked: the unlink (reapUnlink); its note. Of an entry that is not
 * linked (recycled memory confirm never inserted), the crash. */
function finishReap(ctx: Ctx, st: KState, id: number): StepNote {
  st.gc = -1;
  // The gc worker's walk reached gcSaw's node (recycled memory): the unlink judges what it killed.
  const saw = st.gcSaw;
  st.gcSaw = -1;
  if (!unlinkKilled(ctx, st, id, saw)) return ctx.explain ? { kind: "unlink-crash", id } : "";
  reapUnlink(st, id);
  return ctx.explain ? { kind: "reap-unlink", id } : "";
}

/** v4.6's death_by_timeout, the timer of entry `id`: nf_ct_delete, its DYING first, the unlink the next step. */
export function death_by_timeout(ctx: Ctx, st: KState, id: number): StepNote {
  if (st.gc === id) return finishReap(ctx, st, id);
  st.pkts[id]!.ct!.status |= IPS.DYING;
  st.gc = id;
  return ctx.explain ? { kind: "timer-fired", id } : "";
}

/** gc_worker (v4.9+, b87a2f9199ea) on entry `id` it met expired: nf_ct_gc_expired, the unlink the next step. */
export function gc_worker(ctx: Ctx, st: KState, id: number): StepNote {
  if (st.gc === id) return finishReap(ctx, st, id);
  if (ctx.sc.recycle) return gcLockless(ctx, st, id);
  if (!(ctx.k.nf_ct_gc_expired ?? nf_ct_gc_expired)(ctx, st, id)) return ctx.explain ? { kind: "gc-left", id } : "";
  st.gc = id;
  return ctx.explain ? { kind: "expired-kill", id } : "";
}

/** nf_ct_should_gc as 2d72afb34065 has it: CONFIRMED first, then expired and not DYING (one answer either way). */
export function nf_ct_should_gc_confirmed_first(ctx: Ctx, st: KState, id: number): boolean {
  const ct = st.pkts[id]!.ct!;
  return (ct.status & IPS.CONFIRMED) !== 0 && nf_ct_is_expired(ctx, st, id) && (ct.status & IPS.DYING) === 0;
}

/** The built-in versions: with these the recycled reapers read nf_ct_should_gc in two steps. */
export const BUILTIN_SHOULD_GC: ReadonlySet<unknown> = new Set([undefined, nf_ct_should_gc, nf_ct_should_gc_confirmed_first]);

/** Does the kernel run a user's nf_ct_gc_expired or nf_ct_should_gc? Then the lockless reapers call it whole, at the
 * second read (a patch's function has no halves the model can split). */
const userGc = (ctx: Ctx): boolean => ctx.k.nf_ct_gc_expired !== nf_ct_gc_expired || !BUILTIN_SHOULD_GC.has(ctx.k.nf_ct_should_gc);

/** nf_ct_should_gc's first read on entry `id` (a reference held): expired, or from 2d72afb34065 CONFIRMED. */
function shouldGcFirst(ctx: Ctx, st: KState, id: number): boolean {
  if (userGc(ctx)) return nf_ct_is_expired(ctx, st, id);
  return ctx.k.shouldGcConfirmedFirst() ? (st.pkts[id]!.ct!.status & IPS.CONFIRMED) !== 0 : nf_ct_is_expired(ctx, st, id);
}

/** Its other reads, a step later: CONFIRMED and not DYING, or (2d72afb34065, after its barrier) expired and not DYING. */
function shouldGcRest(ctx: Ctx, st: KState, id: number): boolean {
  const status = st.pkts[id]!.ct!.status;
  if (status & IPS.DYING) return false;
  return ctx.k.shouldGcConfirmedFirst() ? nf_ct_is_expired(ctx, st, id) : (status & IPS.CONFIRMED) !== 0;
}

/** The second half of nf_ct_gc_expired on `id` for a walker that reached `saw`: the rest of nf_ct_should_gc, then
 * nf_ct_kill (DYING: `kill` records who owes the unlink) or the put. Its note. */
export function gcSecondHalf(ctx: Ctx, st: KState, id: number, saw: number, kill: () => void): StepNote {
  if (userGc(ctx)) {
    // A patch's nf_ct_gc_expired (or nf_ct_should_gc inside the built-in one), whole.
    if (!(ctx.k.nf_ct_gc_expired ?? nf_ct_gc_expired)(ctx, st, id)) return ctx.explain ? { kind: "gc-patched", id, killed: false } : "";
    kill();
    return ctx.explain ? { kind: "gc-patched", id, killed: true } : "";
  }
  const confirmedFirst = ctx.k.shouldGcConfirmedFirst();
  if (!shouldGcRest(ctx, st, id)) return ctx.explain ? { kind: "should-gc-rest", id, confirmedFirst, holds: false } : "";
  st.pkts[id]!.ct!.status |= IPS.DYING;
  kill();
  void saw; // whether it was another incarnation, and a valid one, is judged at the unlink (unlinkKilled)
  return ctx.explain ? { kind: "should-gc-rest", id, confirmedFirst, holds: true } : "";
}

/** nf_ct_gc_expired's first half for a lockless walker that reached `saw`'s node and read its slot (now `cur`, -1:
 * free) expired: refcount_inc_not_zero, nf_ct_should_gc's first read; if both pass, `hold` keeps the reference
 * for the rest of the reads (gcSecondHalf) a step later. Its note. */
export function gcFirstHalf(ctx: Ctx, st: KState, cur: number, saw: number, hold: (id: number) => void): StepNote {
  if (cur < 0) return ctx.explain ? { kind: "expired-freed", saw } : "";
  const confirmedFirst = ctx.k.shouldGcConfirmedFirst();
  if (!shouldGcFirst(ctx, st, cur)) return ctx.explain ? { kind: "should-gc-first", id: cur, saw, confirmedFirst, holds: false } : "";
  hold(cur);
  return ctx.explain ? { kind: "should-gc-first", id: cur, saw, confirmedFirst, holds: true } : "";
}

/** The gc worker's walk in a `recycle` scenario: it reaches expired entry `id`'s node (a pointer), and in a later
 * step reads the slot again: expired -> nf_ct_gc_expired on whatever entry lives there now (refcount_inc_not_zero
 * fails on freed memory), the kill's unlink its next step. */
export function gcLockless(ctx: Ctx, st: KState, id: number): StepNote {
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
    return ctx.explain ? { kind: "gc-walk-reaches", id, slot: st.gcReader } : "";
  }
  const cur = incarnation(st, st.gcReader);
  const saw = st.gcSaw;
  st.gcReader = -1;
  if (!nf_ct_is_expired(ctx, st, cur >= 0 ? cur : saw)) {
    st.gcSaw = -1;
    return ctx.explain ? { kind: "no-longer-expired", saw, now: cur } : "";
  }
  const note = gcFirstHalf(ctx, st, cur, saw, (x) => void (st.gcHalf = x));
  // gcSaw stays while a reference is held; else the walk goes on.
  if (st.gcHalf < 0) st.gcSaw = -1;
  return note;
}
