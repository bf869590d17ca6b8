/**
 * 1397af5bfd7d "netfilter: conntrack: remove the percpu dying list" (v5.19),
 * with 8a75a2c17410 "netfilter: conntrack: remove unconfirmed list" of the same
 * series, which replaced the per-CPU unconfirmed list by an extension
 * generation id (not modelled: the model has no extensions). What matters here:
 * __nf_conntrack_confirm now sets IPS_CONFIRMED at its start, under the bucket
 * locks, before the DYING test, the chain walks and the clash handling, so an
 * entry may be CONFIRMED and never inserted (a merge, a failed clash,
 * chaintoolong, DYING): docs/kernel.md, "Where CONFIRMED is set", the window
 * 2d72afb34065 closes. Seen in a `recycle` scenario only, where confirm is two steps.
 */
import type { Patch } from "../patch.js";

export const confirmedEarly: Patch = {
  id: "1397af5bfd7d",
  commit: "1397af5bfd7d",
  title: "netfilter: conntrack: remove the percpu dying list (CONFIRMED set at the start of confirm)",
  mainline: "v5.19",
  requires: [],
  apply: () => ({ confirmedAtLock: () => true }),
};
