/**
 * The tuple comparisons nf_ct_resolve_clash merges on (net/netfilter/nf_conntrack_core.c): helpers every
 * release from the one that added them uses, and that patches, built-in or a user's, call through lib.
 */
import type { Conn } from "../net/conn.js";
import { tupleEqual } from "../net/tuple.js";
import { NF_CT_DEFAULT_ZONE, nf_ct_zone_id, zonesEqualBothWays, type Zone } from "../net/zone.js";

/** nf_ct_match (added by ed07d9a021df, v4.19): equal tuples in both directions and, given the entries' zones
 * (default: the default zone), equal zone ids in both directions (nf_ct_zone_equal for ORIGINAL and REPLY);
 * netns is the same in every scenario. */
export function nf_ct_match(a: Conn, b: Conn, za: Zone = NF_CT_DEFAULT_ZONE, zb: Zone = NF_CT_DEFAULT_ZONE): boolean {
  return tupleEqual(a.orig, b.orig) && tupleEqual(a.reply, b.reply) && zonesEqualBothWays(za, zb);
}

/** nf_ct_match_reverse (added by a4e6a1031e77, v6.12): nf_ct_match with directions swapped, `a`'s ORIGINAL is
 * `b`'s REPLY and the other way round. */
export function nf_ct_match_reverse(a: Conn, b: Conn, za: Zone = NF_CT_DEFAULT_ZONE, zb: Zone = NF_CT_DEFAULT_ZONE): boolean {
  // Zones with directions swapped too: a's ORIGINAL id against b's REPLY id, and the other way round.
  return (
    tupleEqual(a.orig, b.reply) &&
    tupleEqual(a.reply, b.orig) &&
    nf_ct_zone_id(za, "ORIGINAL") === nf_ct_zone_id(zb, "REPLY") &&
    nf_ct_zone_id(za, "REPLY") === nf_ct_zone_id(zb, "ORIGINAL")
  );
}
