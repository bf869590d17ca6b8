/**
 * The conntrack hash table as the races see it: only confirmed entries are
 * linked, each by its ORIGINAL and its REPLY tuple (a v5.6+ NAT_CLASH entry by
 * its REPLY tuple only), and chains are walked newest first
 * (hlist_nulls_add_head_rcu).
 */
import { IPS } from "./conn.js";
import type { KState } from "./state.js";
import { tupleEqual, type Tuple } from "./tuple.js";
import { nf_ct_zone_equal, type ZoneMatch } from "./zone.js";

import type { Dir } from "./conn.js";
export type { Dir };

export interface Hit {
  readonly id: number;
  readonly dir: Dir;
}

/** First linked node whose key equals `t` and that `accept` takes: nf_ct_key_equal,
 * which also requires CONFIRMED (it does not skip DYING entries) and, with `z`,
 * the node's zone: nf_ct_zone_equal(entry, z.zone, the node's direction).
 * Without `z` zones are not compared: right when every packet is in the default zone. */
export function findNode(st: KState, t: Tuple, accept?: (id: number, dir: Dir) => boolean, z?: ZoneMatch): Hit | undefined {
  for (let i = st.table.length - 1; i >= 0; i--) {
    const id = st.table[i]!;
    const p = st.pkts[id]!;
    const ct = p.ct!;
    if (!(ct.status & IPS.CONFIRMED)) continue;
    if (tupleEqual(ct.reply, t) && (!z || nf_ct_zone_equal(z.entries[id]!, z.zone, "REPLY")) && (!accept || accept(id, "REPLY"))) return { id, dir: "REPLY" };
    if (!p.replyOnly && tupleEqual(ct.orig, t) && (!z || nf_ct_zone_equal(z.entries[id]!, z.zone, "ORIGINAL")) && (!accept || accept(id, "ORIGINAL"))) {
      return { id, dir: "ORIGINAL" };
    }
  }
  return undefined;
}

/** A lookup as ____nf_conntrack_find made it up to v5.2: entries being deleted are skipped; `z`: the packet's
 * template zone. From v5.3 (87e389b4c200) a lookup takes DYING entries too: findNode without `accept`. */
export function lookup(st: KState, t: Tuple, z?: ZoneMatch): Hit | undefined {
  return findNode(st, t, (id) => !(st.pkts[id]!.ct!.status & IPS.DYING), z);
}

/** Links entry `id`: __nf_conntrack_hash_insert, or with `replyOnly` the v5.6
 * clash insertion that links the REPLY node alone. */
export function hashInsert(st: KState, id: number, replyOnly = false): void {
  st.pkts[id]!.replyOnly = replyOnly;
  st.pkts[id]!.ct!.status |= IPS.CONFIRMED;
  st.table.push(id);
}

/** Takes entry `id` out of nf_nat_bysource (its packet released it, or it was freed: remove_nat_bysrc). */
export function bysourceRemove(st: KState, id: number): void {
  st.bysource = st.bysource.filter((x) => x !== id);
}

/** Unlinks entry `id` from the hash table and marks it DYING, as nf_ct_delete leaves an entry it
 * removed (DYING set first, then nf_ct_delete_from_lists): no walk finds it again. */
export function hashRemove(st: KState, id: number): void {
  st.table = st.table.filter((x) => x !== id);
  st.pkts[id]!.ct!.status |= IPS.DYING;
}
