/**
 * Patch 937963 = ed07d9a021df "netfilter: nf_conntrack: resolve clash for
 * matching conntracks" (v4.19; stable 4.14.173). nf_ct_resolve_clash also
 * merges when winner and loser have equal ORIGINAL and equal REPLY tuples
 * (nf_ct_match): the loser then describes the same NAT mapping, so dropping
 * it is needless. Fixes race 1 on hosts with an active NAT table.
 */
import type { Conn } from "../conn.js";
import type { Patch } from "../patch.js";
import { tupleEqual } from "../tuple.js";
import { NF_CT_DEFAULT_ZONE, zonesEqualBothWays, type Zone } from "../zone.js";

/** nf_ct_match: equal tuples in both directions and, given the entries' zones
 * (default: the default zone), equal zone ids in both directions
 * (nf_ct_zone_equal for ORIGINAL and REPLY); netns is the same in every scenario. */
export function nf_ct_match(a: Conn, b: Conn, za: Zone = NF_CT_DEFAULT_ZONE, zb: Zone = NF_CT_DEFAULT_ZONE): boolean {
  return tupleEqual(a.orig, b.orig) && tupleEqual(a.reply, b.reply) && zonesEqualBothWays(za, zb);
}

export const patch937963: Patch = {
  id: "937963",
  commit: "ed07d9a021df",
  title: "netfilter: nf_conntrack: resolve clash for matching conntracks",
  mainline: "v4.19",
  requires: ["71d8c47fc653"],
  apply: (base) => ({
    clashMergeable: (w, l, wz, lz) => base.clashMergeable(w, l, wz, lz) || nf_ct_match(w, l, wz, lz),
  }),
};
