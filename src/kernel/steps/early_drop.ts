/**
 * S2's allocation against a full table: __nf_conntrack_alloc counts the new
 * entry first and, when nf_conntrack_max is set and the count passes it, calls
 * early_drop; if that evicts nothing, the allocation fails (the kernel logs
 * "nf_conntrack: table full, dropping packet", init_conntrack returns
 * ERR_PTR(-ENOMEM) and nf_conntrack_in counts `drop` and drops the packet).
 * Read at gregkh/linux v5.10 net/netfilter/nf_conntrack_core.c; the same
 * in what the model holds from v4.6 to v6.12 (v6.3's df25455e5a48 lets
 * offloaded entries go too: the model has none).
 *
 * early_drop walks up to NF_CT_EVICTION_RANGE (8) chains from the new flow's
 * bucket and stops at the first in which early_drop_list deleted anything:
 * there it deleted every entry that is CONFIRMED, neither ASSURED nor DYING
 * (nf_ct_delete, counted in early_drop). Which entries share those chains is
 * the hash's doing, random per boot: the model leaves it to the search. Each
 * alternative of the step is one set of evictable entries (a bit mask over
 * them in table order): the entries of the first chain that had any, or none
 * at all (nothing evictable in the window: the packet is dropped). The walk
 * and its deletions are one step with the allocation (the lockless walk's
 * interleavings are not modelled); expired entries (nf_ct_gc_expired) need
 * time, which the model does not have yet.
 */
import { IPS } from "../conn.js";
import type { Ctx } from "../kernel.js";
import type { KState } from "../state.js";
import { hashRemove } from "../table.js";

/** nf_conntrack_count: entries allocated and not yet destroyed: the linked ones and the
 * unconfirmed entries of packets in flight (a deleted or freed entry goes with its last reference). */
export function nf_conntrack_count(st: KState): number {
  let n = st.table.length;
  for (const p of st.pkts) if (p.ct && !p.freed && !(p.ct.status & IPS.CONFIRMED)) n++;
  return n;
}

/** The entries early_drop_list may delete, in table order: linked (so CONFIRMED), not ASSURED, not DYING. */
export function evictable(st: KState): number[] {
  return st.table.filter((id) => !(st.pkts[id]!.ct!.status & (IPS.ASSURED | IPS.DYING)));
}

/** Does allocating one more entry pass nf_conntrack_max? (atomic_inc_return(&net->ct.count) > max) */
export function tableFull(ctx: Ctx, st: KState): boolean {
  return ctx.sc.conntrackMax > 0 && nf_conntrack_count(st) + 1 > ctx.sc.conntrackMax;
}

/** The alternatives of S2 from `st`: one, or with a full table every set of evictable entries early_drop may meet. */
export function allocChoices(ctx: Ctx, st: KState): number {
  return tableFull(ctx, st) ? 1 << evictable(st).length : 1;
}

/** early_drop for packet `p`'s new flow: evicts the evictable entries bit mask `choice` names
 * (see the module comment) and returns how many (counted in the CPU's early_drop). */
export function early_drop(ctx: Ctx, st: KState, p: number, choice: number): number {
  const cands = evictable(st);
  let n = 0;
  cands.forEach((id, k) => {
    if (!(choice & (1 << k))) return;
    // nf_ct_delete: DYING first, then unlinked; the entry's reply finds nothing any more.
    hashRemove(st, id);
    st.pkts[id]!.evicted = true;
    n++;
  });
  st.stats[ctx.sc.packets[p]!.cpu]!.earlyDrop += n;
  return n;
}

/** __nf_conntrack_alloc's count check for packet `p`'s entry: true when it may be allocated. */
export function __nf_conntrack_alloc(ctx: Ctx, st: KState, p: number, choice: number): boolean {
  if (!tableFull(ctx, st)) return true;
  return ctx.k.early_drop(ctx, st, p, choice) > 0;
}
