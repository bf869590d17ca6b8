/**
 * 368982cd7d1b "netfilter: nfnetlink_queue: resolve clash for unconfirmed conntracks" (v4.18). A queued packet's entry
 * may clash with one another packet of the flow confirmed while it waited: at reinject, nf_ct_hook->update looks the
 * packet's pre-NAT tuple up and, on a hit, attaches the packet to that entry and redoes its NAT with it. It keeps the
 * route chosen for its own entry's destination outside OUTPUT: bugzilla.netfilter.org 1766, removed by 8af79d3edb5f.
 */
import type { Patch } from "../patch.js";
import { nfConntrackUpdateClash } from "../functions/nfnetlink_queue.js";

export const nfqueueUpdate: Patch = {
  id: "368982cd7d1b",
  commit: "368982cd7d1b",
  title: "netfilter: nfnetlink_queue: resolve clash for unconfirmed conntracks (nf_conntrack_update attaches a queued packet to the entry that won)",
  mainline: "v4.18",
  requires: [],
  apply: () => ({ nf_conntrack_update: nfConntrackUpdateClash }),
};
