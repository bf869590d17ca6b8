/**
 * 590b52e10d41 (after 71d8c47fc653; in v4.9 already, since the 4.9 stable
 * backport of ed07d9a021df says it re-enables clash resolution for NAT
 * "disabled in 590b52e10d41"). Modelled as v4.7: its first form, `!nfct_nat(ct)`,
 * sits in a tree that still has the timer-based early_drop (before v4.9), and it
 * fixes 71d8c47fc653 of the same cycle; the exact release is inferred, not read
 * from a tag (docs/versions.md). nf_ct_resolve_clash refuses a winner
 * with NAT set up, `(ct->status & IPS_NAT_DONE_MASK) == 0`, because the loser
 * might carry another mapping. On a host whose NAT table is active every entry
 * has NAT_DONE bits (null bindings), so there every clash drops again.
 * The v4.18 form of the test is the one read (the "-" side of the stable
 * backports of ed07d9a021df); an earlier `!nfct_nat(ct)` form behaves the same
 * in these scenarios, since every entry of a NAT host gets the NAT extension.
 */
import { IPS_NAT_DONE_MASK } from "../net/conn.js";
import type { Patch } from "../patch.js";

export const natDoneTest: Patch = {
  id: "590b52e10d41",
  commit: "590b52e10d41",
  title: "netfilter: conntrack: no clash resolution for entries with NAT set up (IPS_NAT_DONE_MASK)",
  mainline: "v4.7",
  requires: ["71d8c47fc653"],
  apply: (base) => ({
    clashMergeable: (w, l, wz, lz) => base.clashMergeable(w, l, wz, lz) && (w.status & IPS_NAT_DONE_MASK) === 0,
  }),
};
