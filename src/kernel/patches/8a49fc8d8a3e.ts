/**
 * 8a49fc8d8a3e "netfilter: nf_conntrack: Add allow_clash to generic protocol handler" (v7.0): `.allow_clash = true` in nf_conntrack_proto_generic.c, so nf_ct_resolve_clash merges or (v5.6+) inserts a
 * clash of this protocol as it does UDP's instead of dropping it; and nf_nat_used_tuple_new (v6.12+) may call
 * a reverse twin's tuple free. Concerns the generic tracker (IPIP, SIT and every protocol without its own): every packet between two hosts is one flow, so the first inner packets of two inner flows on two CPUs clash on the outer entry ("UDP over IP-in-IP still drop packets", the commit). Also in 5.10-6.19 stable (kernel/stable.ts).
 */
import type { Patch } from "../patch.js";

export const allowGenericClash: Patch = {
  id: "8a49fc8d8a3e",
  commit: "8a49fc8d8a3e",
  title: "netfilter: nf_conntrack: Add allow_clash to generic protocol handler",
  mainline: "v7.0",
  requires: ["71d8c47fc653"],
  apply: (base) => ({ allow_clash: (proto) => proto === "generic" || base.allow_clash(proto) }),
};
