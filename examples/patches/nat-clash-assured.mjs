// The SUSE patch of 2024 as a user patch: "nf_conntrack_proto_udp: Set ASSURED for
// NAT_CLASH entries to avoid packets dropped" (Yadan Fan, after Hannes Reinecke's
// "do not accept packets with IPS_NAT_CLASH"; netfilter-devel, Oct. 2024; acked by
// Florian Westphal, questioned by Pablo Neira Ayuso, not merged). It deletes the early
// return c46172147ebb put into nf_conntrack_udp_packet for NAT_CLASH entries, so that
// such an entry is refreshed and made ASSURED like any other, and early drop skips it.
//   conntrack-mc review examples/patches/nat-clash-assured.mjs nat-clash-early-drop --base v5.10
export default {
  id: "nat-clash-assured",
  title: "nf_conntrack_udp_packet: no early return for NAT_CLASH entries, so they can become ASSURED",
  requires: ["c46172147ebb"],
  apply: (base, lib) => ({
    nf_conntrack_udp_packet: (ctx, st, id, dir) => {
      const ct = st.pkts[id].ct;
      if (!(ct.status & lib.IPS.NAT_CLASH)) return base.nf_conntrack_udp_packet(ctx, st, id, dir);
      // Without the early return the entry takes the path of every other entry: ask the
      // kernel's function as it would run for an entry without the bit, then put the bit back.
      ct.status &= ~lib.IPS.NAT_CLASH;
      const note = base.nf_conntrack_udp_packet(ctx, st, id, dir);
      ct.status |= lib.IPS.NAT_CLASH;
      return note;
    },
  }),
};
