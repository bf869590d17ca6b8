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
import type { Patch } from "../patch.js";
import { nf_ct_match, nf_ct_match_reverse } from "../functions/nf_ct_match.js";

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
