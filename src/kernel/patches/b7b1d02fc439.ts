/**
 * b7b1d02fc439 "netfilter: conntrack: set on IPS_ASSURED if flows enters
 * internal stream state" (v5.16; 5.10.80 and 5.4.y stable). nf_conntrack_udp_packet
 * sets ASSURED only together with the switch to the stream timeout, that is on
 * a packet handled with SEEN_REPLY set *and* after stream_ts, two seconds after
 * the flow's first packet; before, any packet after SEEN_REPLY did (a DNS query
 * after the answer to an earlier one, on the same socket).
 * In a scenario without time every run happens at 0 s, so stream_ts never
 * passes and no UDP entry becomes ASSURED; in a timed one only a packet after
 * stream_ts (2 s after the first; patches/d535c8a69c19.ts) sets it.
 * Read from the 5.10 stable review of the patch; the UDP timeout and ASSURED
 * rules per release are in docs/kernel.md, "Timeouts".
 */
import { IPS } from "../net/conn.js";
import type { Patch } from "../patch.js";

export const assuredOnStream: Patch = {
  id: "b7b1d02fc439",
  commit: "b7b1d02fc439",
  title: "netfilter: conntrack: set on IPS_ASSURED if flows enters internal stream state",
  mainline: "v5.16",
  requires: [],
  apply: (base) => ({
    nf_conntrack_udp_packet: (ctx, st, id, dir) => {
      const ct = st.pkts[id]!.ct!;
      // `stream`: SEEN_REPLY and time_after(jiffies, stream_ts), the switch to UDP_CT_REPLIED; only then ASSURED.
      const stream = ctx.sc.timed && (ct.status & IPS.SEEN_REPLY) !== 0 && st.now > ct.streamTs;
      const assured = ct.status & IPS.ASSURED;
      const note = base.nf_conntrack_udp_packet(ctx, st, id, dir);
      if (!stream) ct.status = (ct.status & ~IPS.ASSURED) | assured;
      return note;
    },
  }),
};
