/**
 * struct nf_conn, the parts the clash races touch: the two tuples and the
 * status bits (include/uapi/linux/netfilter/nf_conntrack_common.h).
 */
import type { Tuple } from "./tuple.js";

/** enum ip_conntrack_dir: IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY. */
export type Dir = "ORIGINAL" | "REPLY";

/** enum ip_conntrack_status bits, with the kernel's bit numbers. */
export const IPS = {
  /** Set by nf_conntrack_in after the tracker ran on the first packet that matched the REPLY node; the model
   * tracks it (and ASSURED) only in a scenario with conntrack-max, where early drop reads them. */
  SEEN_REPLY: 1 << 1,
  /** The tracker judged the flow worth keeping: early drop skips it. */
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
  /** v5.6+: kernel-internal, shares the bit of IPS_UNTRACKED. */
  NAT_CLASH: 1 << 12,
} as const;

export const IPS_NAT_MASK = IPS.SRC_NAT | IPS.DST_NAT;
/** Every bit the model tracks (the packed state holds these ten). */
export const IPS_TRACKED = Object.values(IPS).reduce((m, b) => m | b, 0);
/** Both NAT manips are set up (IPS_NAT_DONE_MASK). */
export const IPS_NAT_DONE_MASK = IPS.SRC_NAT_DONE | IPS.DST_NAT_DONE;

export function statusNames(status: number): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(IPS)) if (status & bit) names.push(name);
  return names;
}

export interface Conn {
  /** tuplehash[IP_CT_DIR_ORIGINAL].tuple */
  orig: Tuple;
  /** tuplehash[IP_CT_DIR_REPLY].tuple */
  reply: Tuple;
  /** IPS bits (lib.IPS). */
  status: number;
  /** ct->timeout in ms: a duration while unconfirmed, the time it expires once confirm added the clock
   * (nf_ct_is_expired). Only a timed scenario sets it; elsewhere 0. */
  timeout: number;
  /** UDP's ct->proto.udp.stream_ts (v5.0+): 2 s after the first packet, set while unconfirmed; 0 elsewhere. */
  streamTs: number;
}
