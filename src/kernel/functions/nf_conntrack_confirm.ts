/**
 * S5: __nf_conntrack_confirm, the single serialisation point. Under the two
 * bucket locks it looks for a confirmed entry holding our ORIGINAL tuple (that
 * bucket first) or our REPLY tuple; if there is none it links the entry, else
 * the version's clash policy (nf_ct_resolve_clash) decides.
 */
import type { Ctx } from "../kernel.js";
import type { KState } from "../net/state.js";
import { findNode, hashInsert } from "../net/table.js";
import { acceptQuery, dropQuery, dropUninserted, insertFailedDrop } from "./verdict.js";
import { isConfirmed, putUninserted, skbEntry } from "../net/skb.js";
import { DROP_WHY, Fate, STALE, WARN } from "../net/state.js";
import { IPS } from "../net/conn.js";
import { nf_ct_zone, zoneMatch } from "../net/zone.js";
import type { StepNote } from "../note.js";

/** __nf_conntrack_confirm. With recycled memory (a `recycle` scenario) it is three steps another CPU can come
 * between, and the model calls it for each: the bucket locks (confirmLock), the test of its own DYING
 * (confirmDyingTest), then the walks and the decision, which release the locks. So an override of it, or a
 * wrapper, runs at each of them (st.pkts[p].locked and .dyingChecked say which); an override that does all at
 * once takes one step. */
export function __nf_conntrack_confirm(ctx: Ctx, st: KState, p: number): StepNote {
  const pkt = st.pkts[p]!;
  if (ctx.sc.recycle) {
    if (!pkt.locked) return confirmLock(ctx, st, p);
    if (!pkt.dyingChecked) return confirmDyingTest(ctx, st, p);
    pkt.locked = false;
    pkt.dyingChecked = false;
  }
  // The entry the skb points at: the packet's own, or, for a copy (a segment, a clone), its packet's.
  const e = skbEntry(st, p);
  const ct = st.pkts[e]!.ct!;
  const cpu = ctx.sc.packets[p]!.cpu;
  // "Another skb with the same unconfirmed conntrack may win the race. This may happen for bridge(br_flood) or
  // broadcast/multicast packets do skb_clone with unconfirmed conntrack": WARN_ON_ONCE(1), NF_DROP. Only copies get
  // here with a CONFIRMED entry (a `recycle` scenario's confirmLock sets it early, in a step of its own).
  if (!ctx.sc.recycle && ct.status & IPS.CONFIRMED) {
    pkt.warn = WARN.CONFIRMED_CLONE;
    pkt.dropWhy = DROP_WHY.CONFIRMED_CLONE;
    dropQuery(st, p);
    return ctx.explain ? { kind: "confirmed-clone", id: e } : "";
  }
  // From 1397af5bfd7d (v5.19) to 2d72afb34065 (v6.16) IPS_CONFIRMED is set here, before the DYING test and the walks,
  // and a loser keeps it: a copy's nf_conntrack_confirm test then finds it set. (A `recycle` scenario sets it in
  // confirmLock, its own step.)
  if (!ctx.sc.recycle && ctx.k.confirmedAtLock()) ct.status |= IPS.CONFIRMED;
  // "We have to check the DYING flag after unlink": an entry a helper's removal marked while unconfirmed (v4.13-v5.18,
  // nf_ct_iterate_destroy) is not inserted. A `recycle` scenario tests it in a step of its own (confirmDyingTest).
  if (!ctx.sc.recycle && ct.status & IPS.DYING) {
    insertFailedDrop(ctx, st, p);
    return ctx.explain ? { kind: "own-dying", dying: true } : "";
  }
  // Both walks match keys in the entry's own zone (zone = nf_ct_zone(ct)).
  const z = zoneMatch(ctx.sc, nf_ct_zone(ctx.sc, p));
  const h = findNode(st, ct.orig, undefined, z) ?? findNode(st, ct.reply, undefined, z);
  if (!h) {
    // "Timer relative to confirmation time": the duration becomes a time (a timed scenario's clock; 0 elsewhere).
    ct.timeout += st.now;
    hashInsert(st, e);
    acceptQuery(ctx, st, p);
    return ctx.explain ? { kind: "inserted" } : "";
  }
  // The loser is the entry (a copy's is its packet's): nf_ct_resolve_clash's counters then go to that packet's CPU.
  const r = ctx.k.nf_ct_resolve_clash(ctx, st, e, h.id);
  ctx.k.confirmClashStats(st.stats[cpu]!, r);
  pkt.clashWith = h.id;
  // A switch with a `never` default: exhaustive like ts-pattern, but cheap on the hot path.
  switch (r.kind) {
    case "merge":
      // The packet goes on with `into`; the loser's entry is released (nf_conntrack_put), unless a copy still points at it.
      pkt.uses = r.into;
      putUninserted(st, e);
      acceptQuery(ctx, st, p);
      break;
    case "insert":
      hashInsert(st, e, true);
      acceptQuery(ctx, st, p);
      break;
    case "drop":
      dropUninserted(st, p);
      break;
    default: {
      const never: never = r;
      throw new Error(`unknown resolution ${JSON.stringify(never)}`);
    }
  }
  return ctx.explain ? { kind: "clash", winner: h.id, dir: h.dir, outcome: r } : "";
}

/** The second step of __nf_conntrack_confirm in a `recycle` scenario, under the locks: "We have to check the DYING
 * flag after unlink to prevent a race": its own entry killed meanwhile (a reaper whose stale pointer reached its
 * recycled memory) is not inserted: insert_failed, NF_DROP. A kill after this test is not seen: the walks and the
 * insert (the third step) go on. */
export function confirmDyingTest(ctx: Ctx, st: KState, p: number): StepNote {
  const pkt = st.pkts[p]!;
  if (!(pkt.ct!.status & IPS.DYING)) {
    pkt.dyingChecked = true;
    return ctx.explain ? { kind: "own-dying", dying: false } : "";
  }
  pkt.locked = false;
  insertFailedDrop(ctx, st, p);
  return ctx.explain ? { kind: "own-dying", dying: true } : "";
}

/** The first half of __nf_conntrack_confirm in a `recycle` scenario: both bucket locks taken; from
 * 1397af5bfd7d (v5.19) to 2d72afb34065 (v6.16) IPS_CONFIRMED is set here, before the DYING test, the
 * chain walks and the clash handling (confirmedAtLock). */
export function confirmLock(ctx: Ctx, st: KState, p: number): StepNote {
  const pkt = st.pkts[p]!;
  pkt.locked = true;
  if (ctx.k.confirmedAtLock()) {
    pkt.ct!.status |= IPS.CONFIRMED;
    return ctx.explain ? { kind: "locks", confirmedEarly: true } : "";
  }
  return ctx.explain ? { kind: "locks", confirmedEarly: false } : "";
}

/** nf_conntrack_confirm, the inline wrapper the hooks call (ipv4_confirm, nf_confirm): `if (!nf_ct_is_confirmed(ct))
 * ret = __nf_conntrack_confirm(skb); if (likely(ret == NF_ACCEPT)) nf_ct_deliver_cached_events(ct);`. Where packets
 * are copied or queued (features.skbs) it is two steps another CPU can come between: the test, then
 * __nf_conntrack_confirm and the events (PacketState.entered says which). The events read `ct` as read before the call:
 * after a merge that is the loser, which the merge released (56b14ecec97f, v5.19, re-reads it from the skb). */
export function nf_conntrack_confirm(ctx: Ctx, st: KState, p: number): StepNote {
  return confirmWrapper(ctx, st, p, false);
}

/** nf_conntrack_confirm, re-reading the entry from the skb after __nf_conntrack_confirm when `refetch`. */
export function confirmWrapper(ctx: Ctx, st: KState, p: number, refetch: boolean): StepNote {
  const pkt = st.pkts[p]!;
  const e = skbEntry(st, p);
  if (!pkt.entered) {
    if (e >= 0 && !isConfirmed(st, e)) {
      pkt.entered = true;
      return ctx.explain ? { kind: "confirm-test", id: e, confirmed: false } : "";
    }
    acceptQuery(ctx, st, p);
    return ctx.explain ? { kind: "confirm-test", id: e, confirmed: true } : "";
  }
  pkt.entered = false;
  const note = ctx.k.__nf_conntrack_confirm(ctx, st, p);
  if (!refetch && pkt.fate === Fate.ACCEPTED && skbEntry(st, p) !== e) pkt.staleCt = STALE.CONFIRM_EVENTS;
  return note;
}
