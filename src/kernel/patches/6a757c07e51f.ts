/**
 * 6a757c07e51f "netfilter: conntrack: allow insertion of clashing entries"
 * (v5.6), with its three preparatory commits of the same series (remove two
 * args from resolve_clash, place confirm-bit setting in a helper, split
 * resolve_clash function). nf_ct_resolve_clash now:
 *   1. drops at once unless the protocol allows clashes;
 *   2. __nf_ct_resolve_clash: merges with the winner as before (counts insert_failed);
 *      it and nf_ct_resolve_clash_harder are functions of their own, overridable by name;
 *   3. nf_ct_resolve_clash_harder: if some entry already holds the loser's REPLY
 *      tuple, tries the same merge with it, else drops; otherwise links the loser
 *      by its REPLY node only (ORIGINAL node "fake added", so original-direction
 *      lookups still find the winner), status NAT_CLASH | FIXED_TIMEOUT, timeout
 *      1 s, never ASSURED; nothing is counted for it;
 *   4. a drop counts drop and insert_failed; confirm no longer counts.
 * The UDP tracker (nf_conntrack_udp_refresh_unreplied) deletes a NAT_CLASH
 * entry when its first reply arrives; c46172147ebb (v5.9) undoes that.
 * Read from the series' mails (2020-02) and a v5.10-era nf_conntrack_core.c.
 */
import { IPS } from "../net/conn.js";
import type { Ctx, Resolution } from "../kernel.js";
import type { Patch } from "../patch.js";
import type { KState } from "../net/state.js";
import { findNode, hashRemove } from "../net/table.js";
import { nf_ct_zone, zoneMatch } from "../net/zone.js";
import { HZ } from "../functions/time.js";

const DROP: Resolution = { kind: "drop" };

/** __nf_ct_resolve_clash: the loser goes on with entry `into`, or NF_DROP. */
function __nf_ct_resolve_clash(ctx: Ctx, st: KState, loser: number, into: number): Resolution {
  const w = st.pkts[into]!.ct!;
  if (!ctx.k.clashWinnerUsable(w) || !ctx.k.clashMergeable(w, st.pkts[loser]!.ct!, nf_ct_zone(ctx.sc, into), nf_ct_zone(ctx.sc, loser))) return DROP;
  ctx.k.countResolved(st.stats[ctx.sc.packets[loser]!.cpu]!, "merge");
  return { kind: "merge", into };
}

/** nf_ct_resolve_clash_harder: walk the loser's REPLY bucket, in the loser's zone. */
function nf_ct_resolve_clash_harder(ctx: Ctx, st: KState, loser: number): Resolution {
  const l = st.pkts[loser]!.ct!;
  const holder = findNode(st, l.reply, undefined, zoneMatch(ctx.sc, nf_ct_zone(ctx.sc, loser)));
  if (holder) return (ctx.k.__nf_ct_resolve_clash ?? __nf_ct_resolve_clash)(ctx, st, loser, holder.id);
  // "We want the clashing entry to go away real soon: 1 second timeout" (an absolute time: confirm adds no clock to it).
  if (ctx.sc.timed) l.timeout = st.now + HZ;
  l.status |= IPS.NAT_CLASH | IPS.FIXED_TIMEOUT;
  ctx.k.countResolved(st.stats[ctx.sc.packets[loser]!.cpu]!, "insert");
  return { kind: "insert" };
}

export const clashInsertion: Patch = {
  id: "6a757c07e51f",
  commit: "6a757c07e51f",
  title: "netfilter: conntrack: allow insertion of clashing entries",
  mainline: "v5.6",
  requires: ["71d8c47fc653"],
  apply: (base) => ({
    __nf_ct_resolve_clash,
    nf_ct_resolve_clash_harder,
    nf_ct_resolve_clash(ctx, st, loser, winner) {
      // The kernel's functions as finally patched (a later patch may change them); this file's otherwise.
      const k = ctx.k;
      let r: Resolution = DROP;
      if (k.allow_clash(ctx.sc.protocol)) {
        r = (k.__nf_ct_resolve_clash ?? __nf_ct_resolve_clash)(ctx, st, loser, winner);
        if (r.kind === "drop") r = (k.nf_ct_resolve_clash_harder ?? nf_ct_resolve_clash_harder)(ctx, st, loser);
      }
      if (r.kind === "drop") {
        const stats = st.stats[ctx.sc.packets[loser]!.cpu]!;
        stats.drop++;
        stats.insertFailed++;
      }
      return r;
    },
    // The counting moved into nf_ct_resolve_clash.
    confirmClashStats: () => {},
    countResolved: (stats, how) => {
      if (how === "merge") stats.insertFailed++;
    },
    nf_conntrack_udp_packet(ctx, st, id, dir) {
      const status = st.pkts[id]!.ct!.status;
      // Not replied yet, a NAT_CLASH entry, a packet in the REPLY direction (IP_CT_ESTABLISHED_REPLY): nf_ct_kill.
      if (!(status & IPS.NAT_CLASH) || status & IPS.SEEN_REPLY || dir !== "REPLY") return base.nf_conntrack_udp_packet(ctx, st, id, dir);
      hashRemove(st, id);
      return ctx.explain ? { kind: "nat-clash-kill", id } : undefined;
    },
  }),
};
