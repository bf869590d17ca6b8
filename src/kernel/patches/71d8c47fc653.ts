/**
 * 71d8c47fc653 "netfilter: conntrack: introduce clash resolution on insertion
 * race" (v4.7). nf_ct_resolve_clash: for protocols with allow_clash (UDP), a
 * loser whose winner is not dying and can be referenced continues with the
 * winner's entry (NF_ACCEPT); otherwise `drop` is counted and NF_DROP returned.
 * confirm still counts insert_failed either way. Read at torvalds/linux
 * 71d8c47fc653711c41bc3282e5b0e605b3727956: no NAT test yet (590b52e10d41).
 */
import type { Patch } from "../patch.js";
import { nf_ct_zone } from "../net/zone.js";

export const clashResolution: Patch = {
  id: "71d8c47fc653",
  commit: "71d8c47fc653",
  title: "netfilter: conntrack: introduce clash resolution on insertion race",
  mainline: "v4.7",
  requires: [],
  apply: (base) => ({
    // struct nf_conntrack_l4proto's new allow_clash: set for UDP (and UDP-Lite), not for TCP.
    allow_clash: (proto) => proto === "udp" || base.allow_clash(proto),
    nf_ct_resolve_clash(ctx, st, loser, winner) {
      const w = st.pkts[winner]!.ct!;
      const l = st.pkts[loser]!.ct!;
      const allowClash = ctx.k.allow_clash(ctx.sc.protocol);
      // !nf_ct_is_dying(ct) && atomic_inc_not_zero(&ct->ct_general.use): a
      // linked winner always has a reference, so only DYING can refuse it.
      if (allowClash && ctx.k.clashWinnerUsable(w) && ctx.k.clashMergeable(w, l, nf_ct_zone(ctx.sc, winner), nf_ct_zone(ctx.sc, loser))) return { kind: "merge", into: winner };
      st.stats[ctx.sc.packets[loser]!.cpu]!.drop++;
      return { kind: "drop" };
    },
  }),
};
