/**
 * 751de2012eaf "netfilter: br_netfilter: skip conntrack input hook for promisc packets" (v6.9; CVE-2024-27018). A frame
 * that reaches br0 only because br0 is promiscuous is also forwarded, by a copy made before: confirming it at the
 * bridge's LOCAL_IN raced that copy's confirm. br_nf_local_in now resets such a frame's entry (nf_reset_ct) instead.
 */
import type { Patch } from "../patch.js";
import { nf_reset_ct } from "../functions/br_netfilter.js";

export const promiscSkip: Patch = {
  id: "751de2012eaf",
  commit: "751de2012eaf",
  title: "netfilter: br_netfilter: skip conntrack input hook for promisc packets (br_nf_local_in resets their entry)",
  mainline: "v6.9",
  requires: ["62e7151ae3eb"],
  apply: (base) => ({
    br_nf_local_in(ctx, st, p) {
      if (ctx.sc.packets[p]!.bridge !== "promisc") return base.br_nf_local_in!(ctx, st, p);
      nf_reset_ct(st, p);
      return ctx.explain ? { kind: "local-in", id: p, did: "reset-promisc", warn: false, stale: false } : "";
    },
  }),
};
