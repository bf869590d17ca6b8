/**
 * 5ec8ca26fe93 "netfilter: nf_nat: remove bogus direction check" (v6.19; stable 6.12.64, 6.18.3). nf_nat_used_tuple_new
 * no longer calls a holder found by its ORIGINAL node taken, and compares the holder's ORIGINAL with our REPLY only
 * ("for non-nat entries, the reply tuple is always the inverted original"). The inverted lookup of 50d9ce9679dd
 * finds a reverse twin by its ORIGINAL node, which then re-ported a flow that needed no NAT: the
 * conntrack_reverse_clash selftest's "Port number changed" flake on netdev CI.
 */
import type { Patch } from "../patch.js";
import { nf_nat_used_tuple_new } from "../functions/nf_nat_used_tuple_new.js";
import { V6_16 } from "./50d9ce9679dd.js";

export const noDirectionCheck: Patch = {
  id: "5ec8ca26fe93",
  commit: "5ec8ca26fe93",
  title: "netfilter: nf_nat: remove bogus direction check",
  mainline: "v6.19",
  requires: ["50d9ce9679dd"],
  apply: () => ({ nf_nat_used_tuple_new: nf_nat_used_tuple_new({ ...V6_16, directionCheck: false, bothPairs: false }) }),
};
