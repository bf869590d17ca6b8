/**
 * 207b3ebacb61 (v7.0; CVE-2026-45859), the shared-unconfirmed check before segmentation.
 * 7d8dc1c7be8d's check ran on each segment of a GSO packet, while the aggregate still held a reference: every segment
 * of a new flow was dropped when the queue lacked F_GSO. The check now runs on the packet before segmentation; the
 * later segments are marked, and at reinject one whose entry is still unconfirmed and shared is dropped.
 */
import type { Patch } from "../patch.js";
import { DROP_WHY } from "../net/state.js";
import { isConfirmed, putUninserted, skbEntry, skbRefs } from "../net/skb.js";
import { dropQuery } from "../functions/verdict.js";

export const sharedCheckBeforeGso: Patch = {
  id: "207b3ebacb61",
  commit: "207b3ebacb61",
  title: "netfilter: nfnetlink_queue: do shared-unconfirmed check before segmentation (later segments checked at reinject)",
  mainline: "v7.0",
  requires: ["7d8dc1c7be8d"],
  apply: (base) => ({
    nfqueueSharedCheck: () => "aggregate",
    nf_reinject(ctx, st, p, verdict) {
      const e = skbEntry(st, p);
      if (verdict === "drop" || !st.pkts[p]!.marked || e < 0 || isConfirmed(st, e) || skbRefs(st, e) <= 1) return base.nf_reinject(ctx, st, p, verdict);
      st.pkts[p]!.dropWhy = DROP_WHY.REINJECT_SHARED;
      dropQuery(st, p);
      putUninserted(st, e);
      return ctx.explain ? { kind: "reinject", verdict, shared: true } : "";
    },
  }),
};
