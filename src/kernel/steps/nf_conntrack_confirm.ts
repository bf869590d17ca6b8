/**
 * S5: __nf_conntrack_confirm, the single serialisation point. Under the two
 * bucket locks it looks for a confirmed entry holding our ORIGINAL tuple (that
 * bucket first) or our REPLY tuple; if there is none it links the entry, else
 * the version's clash policy (Kernel.resolveClash) decides.
 */
import { match } from "ts-pattern";
import { IPS } from "../conn.js";
import type { Ctx } from "../kernel.js";
import { Fate, Pc, type KState } from "../state.js";
import { findNode, hashInsert } from "../table.js";

export function nf_conntrack_confirm(ctx: Ctx, st: KState, p: number): string {
  const pkt = st.pkts[p]!;
  const ct = pkt.ct!;
  const cpu = ctx.sc.packets[p]!.cpu;
  pkt.pc = Pc.DONE;
  const h = findNode(st, ct.orig) ?? findNode(st, ct.reply);
  if (!h) {
    ct.status |= IPS.CONFIRMED;
    hashInsert(st, p);
    pkt.fate = Fate.ACCEPTED;
    return "no clash: entry inserted, CONFIRMED";
  }
  const winner = ctx.sc.packets[h.id]!.name;
  const outcome = ctx.k.resolveClash(ctx, st, p, h.id);
  ctx.k.confirmClashStats(st.stats[cpu]!, outcome);
  // The loser's entry is released either way (nf_conntrack_put on the skb's entry).
  pkt.freed = true;
  st.bysource = st.bysource.filter((id) => id !== p);
  pkt.clashWith = h.id;
  return match(outcome)
    .with("merge", () => {
      pkt.uses = h.id;
      pkt.fate = Fate.ACCEPTED;
      return `clash with ${winner}'s entry (${h.dir}): resolved, packet continues with it`;
    })
    .with("drop", () => {
      pkt.fate = Fate.DROPPED;
      return `clash with ${winner}'s entry (${h.dir}): NF_DROP`;
    })
    .exhaustive();
}
