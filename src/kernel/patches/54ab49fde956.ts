/**
 * 54ab49fde956 "netfilter: conntrack: fix infinite loop on rmmod" (v5.7; 5.6.14 stable). get_next_corpse, the walk of
 * nf_ct_iterate_cleanup (`conntrack -F`, netns exit, module removal), called the iterator for ORIGINAL nodes only; a
 * NAT_CLASH entry of 6a757c07e51f (v5.6) is linked by its REPLY node alone, so a flush never reached it, netns exit
 * waited for gc and rmmod looped for ever. The fix visits REPLY nodes, which every linked entry has:
 * `if (NF_CT_DIRECTION(h) != IP_CT_DIR_REPLY) continue;` (docs/kernel.md, "The control plane").
 */
import type { Patch } from "../patch.js";

export const iterateReplyNodes: Patch = {
  id: "54ab49fde956",
  commit: "54ab49fde956",
  title: "netfilter: conntrack: fix infinite loop on rmmod (get_next_corpse visits REPLY nodes)",
  mainline: "v5.7",
  requires: [],
  apply: () => ({ get_next_corpse: () => true }),
};
