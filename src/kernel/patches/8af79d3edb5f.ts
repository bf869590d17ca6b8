/**
 * 8af79d3edb5f "netfilter: nfnetlink_queue: remove old clash resolution logic" (v6.12; bugzilla.netfilter.org 1766). The update
 * hook no longer looks for an entry that won: a reinjected packet goes on to __nf_conntrack_confirm, whose clash
 * resolution (a merge, or from 6a757c07e51f a NAT_CLASH insert) decides, and its own entry keeps its own endpoint.
 * nf_conntrack_update remains for user-space helpers, which the model has none of.
 */
import type { Patch } from "../patch.js";

export const nfqueueNoClashLogic: Patch = {
  id: "8af79d3edb5f",
  commit: "8af79d3edb5f",
  title: "netfilter: nfnetlink_queue: remove old clash resolution logic (a reinjected packet's clash is confirm's)",
  mainline: "v6.12",
  requires: ["368982cd7d1b"],
  apply: () => ({ nf_conntrack_update: () => "" }),
};
