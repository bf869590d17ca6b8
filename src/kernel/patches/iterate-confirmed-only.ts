/**
 * "netfilter: conntrack: don't call iter for non-confirmed conntracks" (v4.13, in the series that added
 * nf_ct_iterate_destroy, 2843fb69980b; its commit id was not found, so the file is named by what it does). Up to
 * v4.12 get_next_corpse ended every table walk with the per-CPU unconfirmed lists, setting DYING on each entry the
 * iterator accepted (a flush: every one), and ctnl_untimeout cleared the timeout pointer of unconfirmed entries too.
 * From v4.13 the walks reach linked entries only; only nf_ct_iterate_destroy (module removal) still marks
 * unconfirmed entries, until v5.19 (docs/kernel.md, "The control plane").
 */
import type { Patch } from "../patch.js";

export const iterateConfirmedOnly: Patch = {
  id: "iterate-confirmed-only",
  commit: "iterate-confirmed-only",
  title: "netfilter: conntrack: don't call iter for non-confirmed conntracks (table walks reach linked entries only)",
  mainline: "v4.13",
  requires: [],
  apply: () => ({ iterateUnconfirmed: () => false }),
};
