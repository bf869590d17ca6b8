/**
 * d7e7747ac5c2 "netfilter: refuse insertion if chain has grown too large"
 * (v5.15, inferred). __nf_conntrack_confirm counts the nodes of the ORIGINAL
 * chain, then (from 0 again) of the REPLY chain, that do not hold its key:
 * `if (chainlen++ > max_chainlen) goto chaintoolong;` after the key test, so
 * the (max_chainlen + 2)-th such node ends the walk: chaintoolong and
 * insert_failed counted, NF_DROP, the entry freed. c9c3b6811f74 draws
 * max_chainlen per call from [8, 32), c77737b736ce (v6.3) from [50, 80); the
 * model takes the scenario's small `chains: max-chainlen` instead, so the path
 * is reachable with a few entries: such a value is not a kernel value. A
 * scenario's `other-nodes` are older than its own entries, so a walk meets the
 * scenario's nodes with its key first (a clash is found before the count
 * runs out) and then those. Read in the patch's mail (list v1) and c9c3b6811f74's base.
 */
import type { Patch } from "../patch.js";
import { findNode } from "../net/table.js";
import { dropUninserted } from "../functions/verdict.js";
import { nf_ct_zone, zoneMatch } from "../net/zone.js";

export const chainTooLong: Patch = {
  id: "d7e7747ac5c2",
  commit: "d7e7747ac5c2",
  title: "netfilter: refuse insertion if chain has grown too large",
  mainline: "v5.15",
  requires: [],
  apply: (base) => ({
    __nf_conntrack_confirm(ctx, st, p) {
      const chains = ctx.sc.chains;
      const pkt = st.pkts[p]!;
      // The walk comes after the locks and the test of its own DYING (confirm's first steps with recycled memory).
      if (!chains || chains.otherNodes <= chains.maxChainlen + 1 || (ctx.sc.recycle && !pkt.dyingChecked)) return base.__nf_conntrack_confirm(ctx, st, p);
      // A node holding the ORIGINAL key comes before the count runs out: the clash path, as without the limit.
      if (findNode(st, pkt.ct!.orig, undefined, zoneMatch(ctx.sc, nf_ct_zone(ctx.sc, p)))) return base.__nf_conntrack_confirm(ctx, st, p);
      const stats = st.stats[ctx.sc.packets[p]!.cpu]!;
      stats.chainTooLong++;
      stats.insertFailed++;
      // The locks are released with the drop.
      pkt.locked = pkt.dyingChecked = false;
      dropUninserted(st, p);
      return ctx.explain ? { kind: "chaintoolong", limit: chains.maxChainlen + 1 } : "";
    },
  }),
};
