/**
 * A packet's skb and the entry it points at (skb->_nfct). An entry is named by the packet that allocated it; a
 * packet goes on with its own entry, the winner's after a merge, or a lookup's hit (PacketState.uses), and a copy of
 * a packet (a GSO segment, a bridge clone: scenario `segments`, `clones`) points at its packet's entry from the
 * moment it is made. Each skb holds a reference, so an unconfirmed entry copies share has several: the single owner
 * the core assumed until 2018 is gone (docs/kernel.md, "Packets that leave softirq").
 */
import { Fate, type KState, type Pc } from "./state.js";
import { IPS } from "./conn.js";
import { bysourceRemove } from "./table.js";

/** The entry packet `p`'s skb points at, or -1 for none (not yet made, or reset). */
export function skbEntry(st: KState, p: number): number {
  const q = st.pkts[p]!;
  if (q.reset) return -1;
  return q.uses >= 0 ? q.uses : q.ct ? p : -1;
}

/** The skbs still in flight (not yet accepted or dropped) that point at entry `e`: its references besides the table's. */
export function skbRefs(st: KState, e: number): number {
  let n = 0;
  for (let q = 0; q < st.pkts.length; q++) if (st.pkts[q]!.fate === Fate.PENDING && skbEntry(st, q) === e) n++;
  return n;
}

/** Is entry `e` CONFIRMED (nf_ct_is_confirmed)? */
export const isConfirmed = (st: KState, e: number): boolean => (st.pkts[e]!.ct!.status & IPS.CONFIRMED) !== 0;

/** An skb let go of entry `e`, which is in no bucket (it was dropped, merged away, or reset before the entry was
 * inserted): once no skb points at it the entry is freed (nf_conntrack_put's last reference), and so out of
 * nf_nat_bysource. */
export function putUninserted(st: KState, e: number): void {
  if (e < 0 || skbRefs(st, e) > 0) return;
  st.pkts[e]!.freed = true;
  bysourceRemove(st, e);
}

/** Copy `q` of packet `p` is made now: an skb pointing at `e`, the entry `p` points at, at `pc` (by default where `p` is). */
export function makeCopy(st: KState, p: number, q: number, e: number, pc: Pc = st.pkts[p]!.pc): void {
  const c = st.pkts[q]!;
  c.pc = pc;
  c.uses = e;
  c.reset = e < 0;
}
