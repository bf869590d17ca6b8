/**
 * a4e6a1031e77 "netfilter: conntrack: add clash resolution for reverse
 * collisions" (v6.12). __nf_ct_resolve_clash merges when the tuples match
 * (nf_ct_match) or match with directions swapped (nf_ct_match_reverse: both
 * ends sent a first packet at once). The "winner has no NAT" shortcut and the
 * winner-dying test are gone.
 * Its companion d8f84a9bc7c4 (NAT does not re-port a reverse clash) only acts
 * when both ends send first packets with no NAT; no scenario here has that, so
 * it is not modelled.
 */
import type { Conn } from "../conn.js";
import type { Patch } from "../patch.js";
import { tupleEqual } from "../tuple.js";
import { nf_ct_match } from "./937963.js";
import { NF_CT_DEFAULT_ZONE, nf_ct_zone_id, type Zone } from "../zone.js";

/** nf_ct_match with directions swapped: `a`'s ORIGINAL is `b`'s REPLY and the other way round. */
export function nf_ct_match_reverse(a: Conn, b: Conn, za: Zone = NF_CT_DEFAULT_ZONE, zb: Zone = NF_CT_DEFAULT_ZONE): boolean {
  // Zones with directions swapped too: a's ORIGINAL id against b's REPLY id, and the other way round.
  return (
    tupleEqual(a.orig, b.reply) &&
    tupleEqual(a.reply, b.orig) &&
    nf_ct_zone_id(za, "ORIGINAL") === nf_ct_zone_id(zb, "REPLY") &&
    nf_ct_zone_id(za, "REPLY") === nf_ct_zone_id(zb, "ORIGINAL")
  );
}

export const reverseClash: Patch = {
  id: "a4e6a1031e77",
  commit: "a4e6a1031e77",
  title: "netfilter: conntrack: add clash resolution for reverse collisions",
  mainline: "v6.12",
  requires: ["6a757c07e51f"],
  apply: () => ({
    clashMergeable: (w, l, wz, lz) => nf_ct_match(w, l, wz, lz) || nf_ct_match_reverse(w, l, wz, lz),
    clashWinnerUsable: () => true,
  }),
};
