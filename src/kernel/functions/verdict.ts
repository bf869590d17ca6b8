/** A query leaves the node (NF_ACCEPT) or is dropped; an accepted query is answered when the scenario has replies. */
import type { Ctx } from "../kernel.js";
import { Fate, Pc, Reply, type KState } from "../net/state.js";
import { putUninserted, skbEntry } from "../net/skb.js";

/** NF_ACCEPT: packet `p` is done and leaves the node; with replies its answer is then pending (a copy's, a segment or
 * clone of a query, is not awaited: the query's is). */
export function acceptQuery(ctx: Ctx, st: KState, p: number): void {
  const pkt = st.pkts[p]!;
  pkt.pc = Pc.DONE;
  pkt.fate = Fate.ACCEPTED;
  if (ctx.sc.replies && ctx.sc.packets[p]!.cloneOf === undefined) pkt.reply = Reply.PENDING;
}

/** NF_DROP before its entry was inserted: packet `p` is dropped and lets go of its entry, which is released (out of
 * nf_nat_bysource) once no copy of the packet points at it. */
export function dropUninserted(st: KState, p: number): void {
  const e = skbEntry(st, p);
  dropQuery(st, p);
  putUninserted(st, e);
}

/** __nf_conntrack_confirm refuses packet `p`'s entry before the clash walks (its own DYING, a stale genid):
 * insert_failed on its CPU, NF_DROP, not inserted. */
export function insertFailedDrop(ctx: Ctx, st: KState, p: number): void {
  st.stats[ctx.sc.packets[p]!.cpu]!.insertFailed++;
  dropUninserted(st, p);
}

/** NF_DROP: packet `p` is done and dropped (the client retries after its timeout). */
export function dropQuery(st: KState, p: number): void {
  const pkt = st.pkts[p]!;
  pkt.pc = Pc.DONE;
  pkt.fate = Fate.DROPPED;
}
