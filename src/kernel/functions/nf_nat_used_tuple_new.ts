/**
 * nf_nat_used_tuple_new (net/netfilter/nf_nat_core.c, d8f84a9bc7c4, v6.12): get_unique_tuple's test of a SRC
 * manip's current tuple (SNAT, MASQUERADE or a null binding, the tuple in range, no random-fully). When both ends
 * of a flow send a first packet at once, the other end's entry holds the REPLY tuple ours wants; re-porting ours
 * then broke the flow, although confirm can merge the two (a4e6a1031e77). So a holder that is a reverse twin of
 * ours without NAT leaves the tuple free. The three releases of the function differ in the points `Form` names
 * (docs/kernel.md, "Reverse-direction NAT clashes"): each patch file gives its form.
 */
import { IPS_NAT_MASK, type Conn } from "../net/conn.js";
import type { Ctx } from "../kernel.js";
import type { KState } from "../net/state.js";
import type { Hit } from "../net/table.js";
import { invert, tupleEqual, type Tuple } from "../net/tuple.js";
import { nf_ct_zone, zoneMatch } from "../net/zone.js";
import { lookupAccepts, walkFor } from "./nf_ct_gc_expired.js";

export interface Form {
  /** `uses_nat`: the status bits that make an entry count as NATed, ours (before the lookups) and the holder's. */
  readonly usesNat: number;
  /** 50d9ce9679dd: when the tuple itself finds nothing, look up its inverse too. */
  readonly invertedLookup: boolean;
  /** Until 5ec8ca26fe93: a holder found by its ORIGINAL node is taken (`thash->tuple.dst.dir != IP_CT_DIR_REPLY`). */
  readonly directionCheck: boolean;
  /** Until 5ec8ca26fe93: the holder's REPLY must equal our ORIGINAL too, not only its ORIGINAL our REPLY. */
  readonly bothPairs: boolean;
}

/** IPS_SEQ_ADJUST_BIT: bit number 6. d8f84a9bc7c4 used it as a mask, 6 = IPS_SEEN_REPLY | IPS_ASSURED. */
export const IPS_SEQ_ADJUST_BIT = 6;

/** nf_conntrack_find_get(net, zone, t): a confirmed entry with a node of key `t` in `self`'s zone that a reference can
 * be taken on (the lookup of resolve_normal_ct, by tuple). */
function nf_conntrack_find_get(ctx: Ctx, st: KState, self: number, t: Tuple): Hit | undefined {
  const found = walkFor(ctx, st, t, zoneMatch(ctx.sc, nf_ct_zone(ctx.sc, self)), "now", lookupAccepts(ctx, st));
  return found && "id" in found ? found : undefined;
}

/** The function in form `f`: is `t` taken for packet `self`'s entry? */
export function nf_nat_used_tuple_new(f: Form): (ctx: Ctx, st: KState, self: number, t: Tuple) => boolean {
  return (ctx, st, self, t) => {
    const k = ctx.k;
    if (!k.nf_nat_used_tuple(ctx, st, self, t)) return false;
    if (!k.allow_clash(ctx.sc.protocol)) return true;
    const ours: Conn = st.pkts[self]!.ct!;
    if (ours.status & f.usesNat) return true;
    const hit = nf_conntrack_find_get(ctx, st, self, t) ?? (f.invertedLookup ? nf_conntrack_find_get(ctx, st, self, invert(t)) : undefined);
    // "clashing entry went away"
    if (!hit) return false;
    if (f.directionCheck && hit.dir !== "REPLY") return true;
    const x = st.pkts[hit.id]!.ct!;
    // "clashing connection subject to NAT? Retry with new tuple."
    if (x.status & f.usesNat) return true;
    return !(tupleEqual(x.orig, ours.reply) && (!f.bothPairs || tupleEqual(x.reply, ours.orig)));
  };
}

/** d8f84a9bc7c4's form (v6.12). */
export const V6_12: Form = { usesNat: IPS_NAT_MASK | IPS_SEQ_ADJUST_BIT, invertedLookup: false, directionCheck: true, bothPairs: true };

/** IPS_SEQ_ADJUST, the mask 50d9ce9679dd meant: never set in the model (no helper adjusts sequence numbers). */
export const IPS_SEQ_ADJUST = 1 << 6;
