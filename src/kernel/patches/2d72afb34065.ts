/**
 * 2d72afb34065 "netfilter: nf_conntrack: fix crash due to removal of
 * uninitialised entry" (v6.16; stable 6.1.147, 6.6.100, 6.12.40). A lockless
 * reader whose stale pointer's slot was reused by a new entry could see it
 * CONFIRMED (set early since 1397af5bfd7d), expired (its timeout still a
 * duration) and not DYING, kill it, and unlink nodes confirm never linked. Now
 * IPS_CONFIRMED is set only once the entry is in the table (after
 * __nf_conntrack_hash_insert, and in nf_ct_resolve_clash_harder after the
 * REPLY node is added), and nf_ct_should_gc tests CONFIRMED first, then (after
 * an acquire barrier) expired and not DYING. Read at gregkh/linux 1129c0011b90
 * (a mainline tree with the fix) and the fix's mails.
 */
import type { Patch } from "../patch.js";
import { nf_ct_should_gc_confirmed_first } from "../functions/nf_ct_gc_expired.js";

export const confirmedAfterInsert: Patch = {
  id: "2d72afb34065",
  commit: "2d72afb34065",
  title: "netfilter: nf_conntrack: fix crash due to removal of uninitialised entry",
  mainline: "v6.16",
  requires: ["f330a7fdbe16"],
  apply: () => ({
    confirmedAtLock: () => false,
    shouldGcConfirmedFirst: () => true,
    nf_ct_should_gc: nf_ct_should_gc_confirmed_first,
  }),
};
