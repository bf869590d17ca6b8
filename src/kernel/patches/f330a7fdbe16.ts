/**
 * f330a7fdbe16 "netfilter: conntrack: get rid of conntrack timer" (v4.9,
 * inferred from 4.9-based trees). No timer per entry: ct->timeout is a 32-bit
 * jiffies stamp, and a lockless walk that meets an expired entry hands it to
 * nf_ct_gc_expired and skips it (____nf_conntrack_find, nf_conntrack_tuple_taken,
 * early_drop_list; steps/nf_ct_gc_expired.ts). nf_ct_gc_expired takes a
 * reference (atomic_inc_not_zero) and nf_ct_kill's the entry if
 * nf_ct_should_gc: expired && CONFIRMED && !DYING, in that order. A refresh
 * writes now + extra (v4.6 moved the timer only by HZ or more). Read at
 * torvalds/linux 48f4e7f7 (a v4.19-era nf_conntrack_core.c) and 5.10.13.
 * Without b87a2f9199ea nothing reaps an entry no walk passes.
 */
import type { Patch } from "../patch.js";
import { nf_ct_gc_expired, nf_ct_should_gc } from "../functions/nf_ct_gc_expired.js";
import { refreshStamp } from "../functions/time.js";

export const noTimer: Patch = {
  id: "f330a7fdbe16",
  commit: "f330a7fdbe16",
  title: "netfilter: conntrack: get rid of conntrack timer",
  mainline: "v4.9",
  requires: [],
  // __nf_ct_refresh_acct: a stamp, now + extra, with no timer to move and no HZ rule.
  apply: () => ({ nf_ct_should_gc, nf_ct_gc_expired, __nf_ct_refresh_acct: refreshStamp }),
};
