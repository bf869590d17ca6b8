/**
 * d8f84a9bc7c4 "netfilter: nf_nat: don't try nat source port reallocation for reverse dir clash" (v6.12; stable
 * 6.6.57 and 6.11.4 without its companion a4e6a1031e77). get_unique_tuple tests a SRC manip's current tuple with
 * nf_nat_used_tuple_new: taken by an entry that is our reverse twin without NAT, it is kept, not re-ported, and
 * confirm is left to merge the two. Its form: one lookup of the tuple; a holder found by its ORIGINAL node is taken;
 * both tuple pairs compared; and `uses_nat` = IPS_NAT_MASK | IPS_SEQ_ADJUST_BIT, a bit number used as a mask, so a
 * holder that saw a reply or is ASSURED counts as NATed (50d9ce9679dd fixes it). The model sets SEEN_REPLY only in a
 * scenario with time or conntrack-max (nf_conntrack_handle_packet.ts), so only there does that mistake show.
 */
import type { Patch } from "../patch.js";
import { nf_nat_used_tuple_new, V6_12 } from "../functions/nf_nat_used_tuple_new.js";

export const reverseDirNoRealloc: Patch = {
  id: "d8f84a9bc7c4",
  commit: "d8f84a9bc7c4",
  title: "netfilter: nf_nat: don't try nat source port reallocation for reverse dir clash",
  mainline: "v6.12",
  requires: ["71d8c47fc653"],
  apply: () => ({ nf_nat_used_tuple_new: nf_nat_used_tuple_new(V6_12) }),
};
