/**
 * d671fd82eaa9 "netfilter: conntrack: allow insertion clash of gre protocol" (v6.5): `.allow_clash = true` in nf_conntrack_proto_gre.c, so nf_ct_resolve_clash merges or (v5.6+) inserts a
 * clash of this protocol as it does UDP's instead of dropping it; and nf_nat_used_tuple_new (v6.12+) may call
 * a reverse twin's tuple free. Concerns GRE: NVGRE and other GRE tunnels between two hosts share one outer tuple (the keys), so concurrent first packets clash [reported in the commit].
 */
import type { Patch } from "../patch.js";

export const allowGreClash: Patch = {
  id: "d671fd82eaa9",
  commit: "d671fd82eaa9",
  title: "netfilter: conntrack: allow insertion clash of gre protocol",
  mainline: "v6.5",
  requires: ["71d8c47fc653"],
  apply: (base) => ({ allow_clash: (proto) => proto === "gre" || base.allow_clash(proto) }),
};
