/**
 * S5: __nf_conntrack_confirm, the single serialisation point. Under the two
 * bucket locks it looks for a confirmed entry holding our ORIGINAL tuple (that
 * bucket first) or our REPLY tuple; if there is none it links the entry, else
 * the version's clash policy (nf_ct_resolve_clash) decides.
 */
import type { Ctx } from "../kernel.js";
import type { KState } from "../net/state.js";
import { bysourceRemove, findNode, hashInsert } from "../net/table.js";
import { acceptQuery, dropUninserted } from "./verdict.js";
import { IPS } from "../net/conn.js";
import { nf_ct_zone, zoneMatch } from "../net/zone.js";

/** __nf_conntrack_confirm. With recycled memory (a `recycle` scenario) it is three steps another CPU can come
 * between, and the model calls it for each: the bucket locks (confirmLock), the test of its own DYING
 * (confirmDyingTest), then the walks and the decision, which release the locks. So an override of it, or a
 * wrapper, runs at each of them (st.pkts[p].locked and .dyingChecked say which); an override that does all at
 * once takes one step. */
export function __nf_conntrack_confirm(ctx: Ctx, st: KState, p: number): string {
  const pkt = st.pkts[p]!;
  if (ctx.sc.recycle) {
    if (!pkt.locked) return confirmLock(ctx, st, p);
    if (!pkt.dyingChecked) return confirmDyingTest(ctx, st, p);
    pkt.locked = false;
    pkt.dyingChecked = false;
  }
  const ct = pkt.ct!;
  const cpu = ctx.sc.packets[p]!.cpu;
  // Both walks match keys in the entry's own zone (zone = nf_ct_zone(ct)).
  const z = zoneMatch(ctx.sc, nf_ct_zone(ctx.sc, p));
  const h = findNode(st, ct.orig, undefined, z) ?? findNode(st, ct.reply, undefined, z);
  if (!h) {
    // "Timer relative to confirmation time": the duration becomes a time (a timed scenario's clock; 0 elsewhere).
    ct.timeout += st.now;
    hashInsert(st, p);
    acceptQuery(ctx, st, p);
    return ctx.explain ? "no clash: entry inserted, CONFIRMED" : "";
  }
  const name = (id: number): string => ctx.sc.packets[id]!.name;
  const x = ctx.explain;
  const r = ctx.k.nf_ct_resolve_clash(ctx, st, p, h.id);
  ctx.k.confirmClashStats(st.stats[cpu]!, r);
  pkt.clashWith = h.id;
  const found = x ? `clash with ${name(h.id)}'s entry (${h.dir})` : "";
  // A switch with a `never` default: exhaustive like ts-pattern, but cheap on the hot path.
  switch (r.kind) {
    case "merge":
      // The loser's entry is released (nf_conntrack_put); the packet goes on with `into`.
      pkt.freed = true;
      bysourceRemove(st, p);
      pkt.uses = r.into;
      acceptQuery(ctx, st, p);
      return x ? `${found}: resolved, packet continues with ${name(r.into)}'s entry` : "";
    case "insert":
      hashInsert(st, p, true);
      acceptQuery(ctx, st, p);
      return x ? `${found}: inserted as NAT_CLASH entry (REPLY node only)` : "";
    case "drop":
      dropUninserted(st, p);
      return x ? `${found}: NF_DROP` : "";
    default: {
      const never: never = r;
      throw new Error(`unknown resolution ${JSON.stringify(never)}`);
    }
  }
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
    return ctx.explain ? "both bucket locks taken; IPS_CONFIRMED set before the checks (1397af5bfd7d)" : "";
  }
  return ctx.explain ? "both bucket locks taken" : "";
}
