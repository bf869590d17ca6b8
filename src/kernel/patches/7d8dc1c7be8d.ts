/**
 * 7d8dc1c7be8d (v6.11), "drop packets with cloned unconfirmed conntracks": nfqnl_enqueue_packet drops a packet whose unconfirmed entry has more
 * than one reference (nf_ct_drop_unconfirmed): only the last copy can be queued. br_nf_local_in WARNs and resets the
 * entry instead of confirming one another skb shares.
 */
import type { Patch } from "../patch.js";
import { localInShared } from "../functions/br_netfilter.js";

export const dropSharedUnconfirmed: Patch = {
  id: "7d8dc1c7be8d",
  commit: "7d8dc1c7be8d",
  title: "netfilter: nfnetlink_queue: refuse a shared unconfirmed entry at enqueue; br_nf_local_in resets one (WARN)",
  mainline: "v6.11",
  requires: ["62e7151ae3eb", "751de2012eaf"],
  apply: (base) => ({
    nfqueueSharedCheck: () => "segments",
    br_nf_local_in(ctx, st, p) {
      // After 751de2012eaf's test of a promisc frame, which comes first in br_nf_local_in.
      if (ctx.sc.packets[p]!.bridge === "promisc" || !localInShared(ctx, st, p)) return base.br_nf_local_in!(ctx, st, p);
      return ctx.explain ? { kind: "local-in", id: p, did: "reset-shared", warn: true, stale: false } : "";
    },
  }),
};
