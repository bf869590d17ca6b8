/**
 * f7becf0dad8f "netfilter: nf_conntrack: enable icmp clash support" (v7.0): `.allow_clash = true` in nf_conntrack_proto_icmp.c, so nf_ct_resolve_clash merges or (v5.6+) inserts a
 * clash of this protocol as it does UDP's instead of dropping it; and nf_nat_used_tuple_new (v6.12+) may call
 * a reverse twin's tuple free. Concerns ICMP and ICMPv6: echo requests of one id handled on two CPUs before the first confirms ("not strictly required, but should not be harmful either", the commit).
 */
import type { Patch } from "../patch.js";

export const allowIcmpClash: Patch = {
  id: "f7becf0dad8f",
  commit: "f7becf0dad8f",
  title: "netfilter: nf_conntrack: enable icmp clash support",
  mainline: "v7.0",
  requires: ["71d8c47fc653"],
  apply: (base) => ({ allow_clash: (proto) => proto === "icmp" || base.allow_clash(proto) }),
};
