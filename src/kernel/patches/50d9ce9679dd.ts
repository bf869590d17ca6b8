/**
 * 50d9ce9679dd "netfilter: nf_nat: also check reverse tuple to obtain clashing entry" (v6.16; stable 6.6.94,
 * 6.12.34, 6.15.3). When the tuple finds no entry, nf_nat_used_tuple_new looks its inverse up too: a DNATed flow
 * holding our REPLY tuple is found by it (bugzilla.netfilter.org 1795: a DNATed flow, then the same socket straight
 * to the backend, which v6.12 declared free and confirm then dropped). `uses_nat` becomes IPS_NAT_MASK |
 * IPS_SEQ_ADJUST, as meant.
 */
import type { Patch } from "../patch.js";
import { IPS_NAT_MASK } from "../net/conn.js";
import { IPS_SEQ_ADJUST, nf_nat_used_tuple_new, V6_12, type Form } from "../functions/nf_nat_used_tuple_new.js";

export const V6_16: Form = { ...V6_12, usesNat: IPS_NAT_MASK | IPS_SEQ_ADJUST, invertedLookup: true };

export const reverseTupleLookup: Patch = {
  id: "50d9ce9679dd",
  commit: "50d9ce9679dd",
  title: "netfilter: nf_nat: also check reverse tuple to obtain clashing entry",
  mainline: "v6.16",
  requires: ["d8f84a9bc7c4"],
  apply: () => ({ nf_nat_used_tuple_new: nf_nat_used_tuple_new(V6_16) }),
};
