/**
 * S2's allocation against a full table: __nf_conntrack_alloc counts the new
 * entry first and, when nf_conntrack_max is set and the count passes it, calls
 * early_drop; if that evicts nothing, the allocation fails (the kernel logs
 * "nf_conntrack: table full, dropping packet", init_conntrack returns
 * ERR_PTR(-ENOMEM) and nf_conntrack_in counts `drop` and drops the packet).
 * Read at gregkh/linux v5.10 net/netfilter/nf_conntrack_core.c (v6.3's
 * df25455e5a48 lets offloaded entries go too: the model has none).
 *
 * early_drop walks up to NF_CT_EVICTION_RANGE (8) chains from the new flow's
 * bucket. Which linked entries those chains hold is the hash's doing, random per
 * boot: the model leaves it to the search. Each alternative of the step is one
 * set of the linked entries that are not DYING (a bit mask over them in table
 * order), read as what the chains hold up to the first one with an entry that
 * is neither ASSURED nor DYING; a set with none such means nothing in the window
 * could go, and the packet is dropped. The choice names entries, not evictable
 * ones, so that it means the same on two kernels that disagree about ASSURED
 * (a differential schedule couples them by it). v4.6's early_drop deletes the
 * first such entry it meets (chains are walked newest first) and stops;
 * early_drop_list (in every later release here: patches/early-drop-list.ts)
 * deletes every such entry of that chain. The walk and its deletions are one
 * step with the allocation (the lockless walk's interleavings are not
 * modelled); expired entries (nf_ct_gc_expired) need time, which the model
 * does not have yet.
 */
import { IPS } from "../net/conn.js";
import type { Ctx } from "../kernel.js";
import type { KState } from "../net/state.js";
import { bysourceRemove, hashRemove } from "../net/table.js";
import { InputError } from "../../errors.js";
import { tupleEqual, type Tuple } from "../net/tuple.js";

/** nf_conntrack_count: entries allocated and not yet destroyed: the linked ones and the
 * unconfirmed entries of packets in flight (a deleted or freed entry goes with its last reference). */
export function nf_conntrack_count(st: KState): number {
  let n = st.table.length;
  for (const p of st.pkts) if (p.ct && !p.freed && !(p.ct.status & IPS.CONFIRMED)) n++;
  return n;
}

/** The entries the walked chains may hold, in table order: linked (so CONFIRMED), not DYING. The step's choice is a set of them. */
export function chainable(st: KState): number[] {
  return st.table.filter((id) => !(st.pkts[id]!.ct!.status & IPS.DYING));
}

/** May early drop delete entry `id`? Neither ASSURED nor DYING. */
export const evictable = (st: KState, id: number): boolean => !(st.pkts[id]!.ct!.status & (IPS.ASSURED | IPS.DYING));

/** The entries of bit mask `choice` over chainable(st), newest first (the order a chain is walked). */
export function heldBy(st: KState, choice: number): number[] {
  return chainable(st).filter((_, k) => choice & (1 << k)).reverse();
}

/** An entry early drop evicted whose tuples carry `t` (either direction) and that `also` accepts, or -1:
 * a reply sent to `t` was lost to the eviction. */
export function evictedHolder(st: KState, t: Tuple, also: (id: number) => boolean = () => true): number {
  return st.pkts.findIndex((q, id) => q.evicted && q.ct !== null && (tupleEqual(q.ct.reply, t) || tupleEqual(q.ct.orig, t)) && also(id));
}

/** nf_ct_delete on an entry early drop chose: DYING, unlinked, and (the table's reference was the last)
 * freed, out of nf_nat_bysource too (remove_nat_bysrc); its reply finds nothing any more. */
export function evict(st: KState, id: number): void {
  hashRemove(st, id);
  bysourceRemove(st, id);
  st.pkts[id]!.evicted = true;
}

/** Does allocating one more entry pass nf_conntrack_max? (atomic_inc_return(&net->ct.count) > max) */
export function tableFull(ctx: Ctx, st: KState): boolean {
  return ctx.sc.conntrackMax > 0 && nf_conntrack_count(st) + 1 > ctx.sc.conntrackMax;
}

/** The alternatives of S2 from `st`: one, or with a full table every set of entries early_drop's chains may hold. */
export function allocChoices(ctx: Ctx, st: KState): number {
  if (!tableFull(ctx, st)) return 1;
  const n = chainable(st).length;
  // Only a patch can link more than conntrack-max entries; the action table holds 2^conntrack-max choices.
  if (n > ctx.sc.conntrackMax) {
    throw new InputError(`a patch let the table hold ${n} linked entries, past conntrack-max ${ctx.sc.conntrackMax}: __nf_conntrack_alloc must refuse an entry early_drop made no room for`);
  }
  return 1 << n;
}

/** v4.6's early_drop for packet `p`'s new flow: of what bit mask `choice` says the chains hold
 * (see the module comment), the first entry it may delete, newest first; returns how many it
 * deleted (0 or 1), counted in the CPU's early_drop. */
export function early_drop(ctx: Ctx, st: KState, p: number, choice: number): number {
  const victim = heldBy(st, choice).find((id) => evictable(st, id));
  if (victim === undefined) return 0;
  evict(st, victim);
  st.stats[ctx.sc.packets[p]!.cpu]!.earlyDrop++;
  return 1;
}

/** __nf_conntrack_alloc's count check for packet `p`'s entry: true when it may be allocated. */
export function __nf_conntrack_alloc(ctx: Ctx, st: KState, p: number, choice: number): boolean {
  if (!tableFull(ctx, st)) return true;
  return ctx.k.early_drop(ctx, st, p, choice) > 0;
}
