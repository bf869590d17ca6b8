/**
 * d535c8a69c19 "netfilter: conntrack: udp: only extend timeout to stream mode
 * after 2s", with 294304e4c522 "netfilter: conntrack: udp: set stream timeout
 * to 2 minutes" (Dec 2018; v5.0 inferred). While the entry is unconfirmed the
 * tracker sets stream_ts = jiffies + 2 s; once SEEN_REPLY is set a packet
 * refreshes to UDP_CT_UNREPLIED (30 s) until time_after(jiffies, stream_ts),
 * then to UDP_CT_REPLIED, now 120 s. ASSURED is set as before, on any packet
 * handled with SEEN_REPLY. Read in a v5.0-era nf_conntrack_proto_udp.c (find_string id 31096554).
 */
import { IPS } from "../net/conn.js";
import type { Patch } from "../patch.js";
import { UDP_CT_UNREPLIED } from "../base-v4.6.js";
import { HZ } from "../functions/time.js";

const UDP_CT_REPLIED = 120_000;

export const udpStreamAfter2s: Patch = {
  id: "d535c8a69c19",
  commit: "d535c8a69c19",
  title: "netfilter: conntrack: udp: only extend timeout to stream mode after 2s",
  mainline: "v5.0",
  requires: [],
  apply: () => ({
    nf_conntrack_udp_packet(ctx, st, id) {
      const ct = st.pkts[id]!.ct!;
      if (!(ct.status & IPS.CONFIRMED) && ctx.sc.timed) ct.streamTs = st.now + 2 * HZ;
      if (ct.status & IPS.SEEN_REPLY) {
        // time_after(jiffies, stream_ts): strictly later.
        ctx.k.__nf_ct_refresh_acct(ctx, st, id, st.now > ct.streamTs && ctx.sc.timed ? UDP_CT_REPLIED : UDP_CT_UNREPLIED);
        ct.status |= IPS.ASSURED;
      } else ctx.k.__nf_ct_refresh_acct(ctx, st, id, UDP_CT_UNREPLIED);
      return undefined;
    },
  }),
};
