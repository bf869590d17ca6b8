/**
 * Patch 1032812 = 4e35c1cb9460 "netfilter: nat: skip nat clash resolution for
 * same-origin entries" (v5.0). nf_conntrack_tuple_taken ignores a confirmed
 * entry whose ORIGINAL tuple equals ours: it is the same flow, so NAT keeps the
 * source port and confirm can resolve the clash. Race 2 becomes race 1.
 */
import type { Patch } from "../patch.js";
import { tupleEqual } from "../net/tuple.js";

export const patch1032812: Patch = {
  id: "1032812",
  commit: "4e35c1cb9460",
  title: "netfilter: nat: skip nat clash resolution for same-origin entries",
  mainline: "v5.0",
  requires: [],
  apply: (base) => ({
    takenBy: (self, other, zone, otherZone) => base.takenBy(self, other, zone, otherZone) && !tupleEqual(self.orig, other.orig),
  }),
};
