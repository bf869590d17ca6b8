/** A query leaves the node (NF_ACCEPT) or is dropped; an accepted query is answered when the scenario has replies. */
import type { Ctx } from "../kernel.js";
import { Fate, Pc, Reply, type KState } from "../state.js";

export function acceptQuery(ctx: Ctx, st: KState, p: number): void {
  const pkt = st.pkts[p]!;
  pkt.pc = Pc.DONE;
  pkt.fate = Fate.ACCEPTED;
  if (ctx.sc.replies) pkt.reply = Reply.PENDING;
}

export function dropQuery(st: KState, p: number): void {
  const pkt = st.pkts[p]!;
  pkt.pc = Pc.DONE;
  pkt.fate = Fate.DROPPED;
}
