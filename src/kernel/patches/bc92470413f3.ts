/**
 * bc92470413f3 "netfilter: conntrack: add clash resolution stat counter"
 * (v5.10). A resolved clash (merged, or inserted as NAT_CLASH) counts in
 * clash_resolve; insert_failed now counts only failures (with drop).
 */
import type { Patch } from "../patch.js";

export const clashResolveCounter: Patch = {
  id: "bc92470413f3",
  commit: "bc92470413f3",
  title: "netfilter: conntrack: add clash resolution stat counter",
  mainline: "v5.10",
  requires: ["6a757c07e51f"],
  apply: () => ({
    countResolved: (stats) => {
      stats.clashResolve++;
    },
  }),
};
