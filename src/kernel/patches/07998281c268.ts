/**
 * 07998281c268 "netfilter: conntrack: skip identical origin tuple in same zone
 * only" (v5.11; stable 5.10.17, 4.19.y, 4.14.y, 4.9.y), a fix to 1032812
 * (4e35c1cb9460). nf_conntrack_tuple_taken ignored a confirmed holder of the
 * wanted REPLY tuple whenever its ORIGINAL tuple equalled ours; with
 * directional zones two flows can have equal ORIGINAL tuples in different
 * ORIGINAL zones and share the REPLY zone, so NAT kept the port and confirm then
 * dropped the second flow ("because NAT clash resolution was elided"). The skip
 * now also needs nf_ct_zone_equal(ct, zone, IP_CT_DIR_ORIGINAL).
 *
 * Read: the patch as sent to net for 5.11 (<20210209213511.23298-2-pablo@netfilter.org>,
 * nf_conntrack_core.c index 234b7cab37c3..ff0168736f6e: its "-" side, the code
 * before, skips on `nf_ct_tuple_equal(&ignored_conntrack->...ORIGINAL, &ct->...ORIGINAL)`
 * alone), and nf_conntrack_tuple_taken at gregkh/linux 1129c0011b90
 * (net/netfilter/nf_conntrack_core.c), which has the zone test. First mainline
 * release: v5.11, since the commit was merged after v5.11-rc7 (mainline
 * revlists list it after "Merge tag 'trace-v5.11-rc7'"; v5.11 was tagged
 * 2021-02-14). No v5.11 release is modelled, so v5.19 and later have it here; v5.10
 * mainline lacks it (stable 5.10.17 has it).
 */
import type { Patch } from "../patch.js";
import { tupleEqual } from "../net/tuple.js";
import { NF_CT_DEFAULT_ZONE, nf_ct_zone_equal } from "../net/zone.js";

export const skipSameZoneOnly: Patch = {
  id: "07998281c268",
  commit: "07998281c268",
  title: "netfilter: conntrack: skip identical origin tuple in same zone only",
  mainline: "v5.11",
  requires: ["1032812"],
  apply: (base) => ({
    // A holder 1032812's same-origin skip ignored counts again unless it is also
    // in our ORIGINAL zone: the skip is now "same ORIGINAL tuple and zone".
    takenBy: (self, other, zone = NF_CT_DEFAULT_ZONE, otherZone = NF_CT_DEFAULT_ZONE) =>
      base.takenBy(self, other, zone, otherZone) || (tupleEqual(self.orig, other.orig) && !nf_ct_zone_equal(otherZone, zone, "ORIGINAL")),
  }),
};
