/**
 * How each protocol's tuple carries what is not an address (struct nf_conntrack_tuple's `u` unions), in the model's
 * four numbers (net/tuple.ts: src, sport, dst, dport), so that nf_ct_invert_tuple stays a swap for every protocol:
 * - udp, tcp: the ports.
 * - gre: the keys, in the ports' places (nf_conntrack_proto_gre.c: invert swaps them too); NAT does not change a
 *   key of a flow without a PPTP master (nf_nat_l4proto_unique_tuple returns early).
 * - icmp: an echo's id (src.u.icmp.id), which both directions keep (icmp_invert_tuple maps the type, not the id): the
 *   model writes it in both places, so the swap keeps it. The echo type is left out: a request and a reply of the same
 *   addresses and id are one tuple here (docs/kernel.md, "Protocols"). NAT remaps the id for either manip (keyptr =
 *   &tuple->src.u.icmp.id), over 0-65535 unless the range names ids.
 * - generic (any protocol without a tracker: IPIP, SIT): no ports, every packet between two addresses is one flow;
 *   NAT cannot re-port it.
 */
import type { Protocol } from "../../scenario/scenario.js";
import type { Manip, PortRange } from "../kernel.js";
import { tuple, type Tuple } from "./tuple.js";

/** The tuple of a packet from `src:sport` to `dst:dport` (a scenario's host:port; for icmp the source's port is the id). */
export function protoTuple(proto: Protocol, src: number, sport: number, dst: number, dport: number): Tuple {
  if (proto === "icmp") return tuple(src, sport, dst, sport);
  if (proto === "generic") return tuple(src, 0, dst, 0);
  return tuple(src, sport, dst, dport);
}

/** Can get_unique_tuple's search give the flow another key (nf_nat_l4proto_unique_tuple)? */
export const natRemapsKey = (proto: Protocol): boolean => proto === "udp" || proto === "tcp" || proto === "icmp";

/** Does the protocol have ports a DNAT endpoint's or a range's port applies to (NF_NAT_RANGE_PROTO_SPECIFIED)? */
export const hasPorts = (proto: Protocol): boolean => proto === "udp" || proto === "tcp";

/** The key the search moves: an icmp id sits at the source side whichever the manip (keyptr = &src.u.icmp.id). */
export const keyManip = (proto: Protocol, manip: Manip): Manip => (proto === "icmp" ? "SRC" : manip);

/** `t` with the key the search settled on, `key`, in the place `manip` changes (an icmp id in both). */
export function withKey(proto: Protocol, t: Tuple, manip: Manip, key: number): Tuple {
  if (proto === "icmp") return tuple(t.src, key, t.dst, key);
  return manip === "SRC" ? tuple(t.src, key, t.dst, t.dport) : tuple(t.src, t.sport, t.dst, key);
}

/** The ids an icmp search walks when the range names none: all of them (nf_nat_l4proto_unique_tuple: min 0, 65536). */
export const ICMP_IDS: PortRange = Object.freeze({ min: 0, max: 65535 });
