/**
 * Patch 937963 = ed07d9a021df "netfilter: nf_conntrack: resolve clash for
 * matching conntracks" (v4.19; stable 4.14.173). nf_ct_resolve_clash also
 * merges when winner and loser have equal ORIGINAL and equal REPLY tuples
 * (nf_ct_match): the loser then describes the same NAT mapping, so dropping
 * it is needless. Fixes race 1 on hosts with an active NAT table.
 */
import type { Patch } from "../patch.js";
import { nf_ct_match } from "../functions/nf_ct_match.js";

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
