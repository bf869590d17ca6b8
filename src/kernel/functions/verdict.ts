/** A query leaves the node (NF_ACCEPT) or is dropped; an accepted query is answered when the scenario has replies. */
import type { Ctx } from "../kernel.js";
import { Fate, Pc, Reply, type KState } from "../net/state.js";
import { bysourceRemove } from "../net/table.js";

/** NF_ACCEPT: packet `p` is done and leaves the node; with replies its answer is then pending. */
export function acceptQuery(ctx: Ctx, st: KState, p: number): void {
  const pkt = st.pkts[p]!;
  pkt.pc = Pc.DONE;
  pkt.fate = Fate.ACCEPTED;
  if (ctx.sc.replies) pkt.reply = Reply.PENDING;
}

/** NF_DROP at confirm without inserting: packet `p`'s entry is released (out of nf_nat_bysource) and the packet dropped. */
export function dropUninserted(st: KState, p: number): void {
  st.pkts[p]!.freed = true;
  bysourceRemove(st, p);
  dropQuery(st, p);
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
