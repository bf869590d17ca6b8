/**
 * 73db1b8f2bb6 (v6.4; CVE-2023-53635), ctnetlink's timeout change on an unconfirmed entry. Until confirm an entry's
 * timeout is a duration, to which confirm adds the clock; ctnetlink_change_timeout stored a time (now + t), so an entry
 * whose queue verdict set its timeout lived t plus the uptime at the verdict. It stores the duration while unconfirmed.
 */
import type { Patch } from "../patch.js";
import { IPS } from "../net/conn.js";

export const relativeTimeoutChange: Patch = {
  id: "73db1b8f2bb6",
  commit: "73db1b8f2bb6",
  title: "netfilter: conntrack: a timeout set on an unconfirmed entry is a duration (ctnetlink_change_timeout)",
  mainline: "v6.4",
  requires: [],
  apply: () => ({
    ctnetlink_change_timeout(_ctx, st, id, ms) {
      const ct = st.pkts[id]!.ct!;
      ct.timeout = ct.status & IPS.CONFIRMED ? st.now + ms : ms;
    },
  }),
};
