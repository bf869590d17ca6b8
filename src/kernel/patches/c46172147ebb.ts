/**
 * c46172147ebb "netfilter: conntrack: do not auto-delete clash entries on
 * reply" (v5.9, 5.8.y stable). A second packet can be merged into a NAT_CLASH
 * entry; deleting the entry on the first reply lost the second packet's reply.
 * Now the entry stays until its 1 s fixed timeout: nf_conntrack_udp_packet
 * returns early for it after the refresh (a no-op: FIXED_TIMEOUT), so it is
 * never ASSURED either.
 */
import { IPS } from "../net/conn.js";
import type { Patch } from "../patch.js";

export const noAutoDelete: Patch = {
  id: "c46172147ebb",
  commit: "c46172147ebb",
  title: "netfilter: conntrack: do not auto-delete clash entries on reply",
  mainline: "v5.9",
  requires: ["6a757c07e51f"],
  apply: (base) => ({
    nf_conntrack_udp_packet: (ctx, st, id, dir) => (st.pkts[id]!.ct!.status & IPS.NAT_CLASH ? undefined : base.nf_conntrack_udp_packet(ctx, st, id, dir)),
  }),
};
