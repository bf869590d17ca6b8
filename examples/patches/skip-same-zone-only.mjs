// 07998281c268 "netfilter: conntrack: skip identical origin tuple in same zone
// only", written as a patch of your own against v5.10. Since 1032812 (v5.0)
// nf_conntrack_tuple_taken ignores a confirmed holder of the wanted REPLY tuple
// when its ORIGINAL tuple equals ours ("the same flow"). With directional zones
// (--zone-orig) two flows can have equal ORIGINAL tuples in different zones; the
// skip must then not apply, or NAT keeps the port and confirm drops the second.
//   conntrack-mc compare split-zones --patch examples/patches/skip-same-zone-only.mjs \
//     --kernels v5.10,v5.10+skip-same-zone-only
//
// takenBy(self, other, zone, otherZone) gets both entries and their zones;
// lib.nf_ct_zone_equal(entryZone, zone, dir) compares the ids in one direction.
export default {
  id: "skip-same-zone-only",
  title: "nf_conntrack_tuple_taken: skip an identical ORIGINAL tuple only in the same ORIGINAL zone",
  requires: ["1032812"],
  apply: (base, lib) => ({
    // v5.10's takenBy ignores the holder when the ORIGINAL tuples are equal;
    // count it again when it is in another ORIGINAL zone than ours.
    takenBy: (self, other, zone, otherZone) =>
      base.takenBy(self, other, zone, otherZone) || (lib.tupleEqual(self.orig, other.orig) && !lib.nf_ct_zone_equal(otherZone, zone, "ORIGINAL")),
  }),
};
