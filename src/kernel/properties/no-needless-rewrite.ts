/**
 * no-needless-rewrite, on a NAT host whose source NAT is a null binding (no rule matches): no entry's source port
 * is rewritten when the entry holding the REPLY tuple it wanted is its own flow's reverse twin (the other end sent a
 * first packet too) without NAT, which confirm could merge (a4e6a1031e77). The kernel's conntrack_reverse_clash
 * selftest checks this ("No SNAT performed for null bindings"); d8f84a9bc7c4 made NAT leave such a tuple free.
 * A rewrite that another flow's entry forces (a DNATed flow holding the REPLY tuple, bugzilla 1795) is needed, not
 * reported. docs/kernel.md, "Reverse-direction NAT clashes".
 */
import { IPS, IPS_NAT_MASK } from "../net/conn.js";
import { invert, tupleEqual } from "../net/tuple.js";
import { NONE, type KernelProperty } from "./property.js";
import { sameHostPort, type Scenario } from "../../scenario/scenario.js";

const REWRITE = Object.freeze(["port-rewrite"]);

/** Some packet goes the other way of another: both ends of one flow send (only then can a reverse twin exist). */
function bothEnds(sc: Scenario): boolean {
  return sc.packets.some((p) => sc.packets.some((q) => sameHostPort(q.from, p.to) && sameHostPort(q.to, p.from)));
}

export const noNeedlessRewrite: KernelProperty = {
  name: "no-needless-rewrite",
  kind: "invariant",
  description: "no source port is rewritten by a null binding because of the flow's own reverse twin (conntrack_reverse_clash)",
  classes: { "port-rewrite": "a null binding re-ported the entry: the REPLY tuple it wanted belonged to its reverse twin, which confirm could have merged" },
  gate: (sc) =>
    sc.protocol === "tcp" || sc.protocol === "gre" || sc.protocol === "generic"
      ? `needs a protocol whose clashes confirm may merge and whose key NAT may change (udp, icmp), not ${sc.protocol}`
      : sc.natTable && sc.snat.mode === "null-binding" && bothEnds(sc)
        ? undefined
        : "needs a NAT host whose source NAT is a null binding (nat-table: true, snat: null-binding) and packets from both ends of one flow",
  violations(s) {
    for (let i = 0; i < s.pkts.length; i++) {
      const ct = s.pkts[i]!.ct;
      if (!ct || !(ct.status & IPS.SRC_NAT)) continue;
      const twin = invert(ct.orig);
      for (let j = 0; j < s.pkts.length; j++) {
        const x = s.pkts[j]!.ct;
        if (j !== i && x && !(x.status & IPS_NAT_MASK) && tupleEqual(x.orig, twin)) return REWRITE;
      }
    }
    return NONE;
  },
};
