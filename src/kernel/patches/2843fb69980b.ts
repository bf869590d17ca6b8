/**
 * 2843fb69980b "netfilter: conntrack: add nf_ct_iterate_destroy" (v4.13), which a helper's unregistration calls from
 * the same release on (read in a 4.13.4 tree: `nf_ct_iterate_destroy(unhelp, me);`; a 4.12 tree still walks the lists
 * itself). It first marks every entry on the per-CPU unconfirmed lists DYING (__nf_ct_unconfirmed_destroy), then
 * synchronize_net and the table walk: a packet between init_conntrack and confirm is dropped at confirm's DYING test
 * (insert_failed). v4.6-v4.12 cleared those entries' helper pointer (unhelp) and dropped nothing.
 */
import type { Patch } from "../patch.js";

export const iterateDestroy: Patch = {
  id: "2843fb69980b",
  commit: "2843fb69980b",
  title: "netfilter: conntrack: add nf_ct_iterate_destroy (helper removal marks unconfirmed entries DYING)",
  mainline: "v4.13",
  requires: [],
  apply: () => ({ unconfirmedDyingOnDestroy: () => true }),
};
