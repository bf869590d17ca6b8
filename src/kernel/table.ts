/**
 * The conntrack hash table as the races see it: only confirmed entries are
 * linked, each twice (ORIGINAL and REPLY tuple), and chains are walked newest
 * first (hlist_nulls_add_head_rcu).
 */
import { IPS } from "./conn.js";
import type { KState } from "./state.js";
import { tupleEqual, type Tuple } from "./tuple.js";

export type Dir = "ORIGINAL" | "REPLY";

export interface Hit {
  readonly id: number;
  readonly dir: Dir;
}

/** First node whose tuple equals `t` (nf_ct_key_equal also requires CONFIRMED). */
export function findNode(st: KState, t: Tuple): Hit | undefined {
  for (let i = st.table.length - 1; i >= 0; i--) {
    const id = st.table[i]!;
    const ct = st.pkts[id]!.ct!;
    if (!(ct.status & IPS.CONFIRMED)) continue;
    if (tupleEqual(ct.reply, t)) return { id, dir: "REPLY" };
    if (tupleEqual(ct.orig, t)) return { id, dir: "ORIGINAL" };
  }
  return undefined;
}

/** Links entry `id` into the table: __nf_conntrack_hash_insert. */
export function hashInsert(st: KState, id: number): void {
  st.table.push(id);
}
