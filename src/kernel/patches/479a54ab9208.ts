/**
 * 479a54ab9208 (v6.17; CVE-2025-39894), no check of the confirmed bit in br_nf_local_in after confirm. After
 * confirm, br_nf_local_in asserted CONFIRMED on `ct` as read before the call: after a clash merge that is the loser,
 * which the merge released, and since 2d72afb34065 (v6.16) no longer carries CONFIRMED. The assertion is gone.
 */
import type { Patch } from "../patch.js";

export const noLocalInAssert: Patch = {
  id: "479a54ab9208",
  commit: "479a54ab9208",
  title: "netfilter: br_netfilter: do not check confirmed bit in br_nf_local_in() after confirm",
  mainline: "v6.17",
  requires: ["62e7151ae3eb"],
  apply: () => ({ brLocalInAsserts: () => false }),
};
