/**
 * S3 and S4: nf_nat_inet_fn -> nf_nat_setup_info, for the DNAT rule or the
 * null binding (nf_nat_alloc_null_binding) when no rule matches. Follows
 * net/netfilter/nf_nat_core.c of v4.18 (get_unique_tuple, find_appropriate_src,
 * nf_nat_used_tuple); where a patch changes it, the kernel hooks say so.
 */
import { IPS } from "../net/conn.js";
import type { Ctx, Manip, NatRange } from "../kernel.js";
import { Pc, type KState } from "../net/state.js";
import { invert, srcEqual, tuple, tupleEqual, type Tuple } from "../net/tuple.js";
import { hasPorts, ICMP_IDS, keyManip, natRemapsKey, withKey } from "../net/proto.js";
import { packetTuple } from "./resolve_normal_ct.js";
import { perScenario } from "../../scenario/per-scenario.js";
import { nf_ct_zone, nf_ct_zone_equal, zoneMatch } from "../net/zone.js";
import { walkFor } from "./nf_ct_gc_expired.js";
import type { PortChoice, StepNote } from "../note.js";

/** Endpoint indexes the DNAT step may choose from for packet `p` under the rule's endpoint set `rules` (KState.rules):
 * one unless a random rule with endpoints matches it. */
export function dnatChoices(ctx: Ctx, p: number, rules = 0): number {
  const d = ctx.sc.dnat;
  if (!d || d.choice === "consistent") return 1;
  return forService(ctx, packetTuple(ctx, p)) ? Math.max(1, d.sets[rules]!.length) : 1;
}

/** A consistent mapping: the same endpoint for the same tuple. */
function consistentEndpoint(t: Tuple, n: number): number {
  return (((t.src * 31 + t.sport) * 31 + t.dst) * 31 + t.dport) % n;
}

/** The DNAT rule's range for packet `p`'s entry: the endpoint `choice` picks (a
 * random rule, or the consistent one for the tuple), with its port (min == max);
 * -1 when no rule matches (no DNAT rule, or the packet is not for its service: the null binding's range). */
function dstEndpoint(ctx: Ctx, curr: Tuple, choice: number, rules: number): number {
  const d = ctx.sc.dnat;
  const set = d?.sets[rules];
  // A rule whose set is empty (no endpoints, the service deleted) matches nothing: the null binding.
  if (!set?.length || !forService(ctx, curr)) return -1;
  return set[d!.choice === "random" ? choice : consistentEndpoint(curr, set.length)]!;
}

/** Does the DNAT rule match tuple `t` (`-d VIP --dport P`; a protocol without ports by the address alone)? */
function forService(ctx: Ctx, t: Tuple): boolean {
  const vip = ctx.sc.dnat?.service;
  return vip !== undefined && t.dst === vip.addr && (!hasPorts(ctx.sc.protocol) || t.dport === vip.port);
}

/** Each endpoint's range, made once per scenario (the steps run millions of times). */
const endpointRanges = perScenario((sc): readonly NatRange[] =>
  (sc.dnat?.endpoints ?? []).map((ep) => Object.freeze({ addr: ep.addr, ports: hasPorts(sc.protocol) ? Object.freeze({ min: ep.port, max: ep.port }) : undefined, randomFully: false })),
);
const endpointRange = (ctx: Ctx, e: number): NatRange => endpointRanges(ctx.sc)[e]!;

/** nf_nat_used_tuple: would `t` (original direction) give a REPLY tuple that a
 * confirmed entry other than ours already holds? -> nf_conntrack_tuple_taken */
export function nf_nat_used_tuple(ctx: Ctx, st: KState, self: number, t: Tuple): boolean {
  return ctx.k.nf_conntrack_tuple_taken(ctx, st, invert(t), self) >= 0;
}

/** nf_conntrack_tuple_taken: lockless walk of the tuple's bucket; returns the
 * holder (-1: free). Keys match in the zone of the entry NAT works for
 * (zone = nf_ct_zone(ignored_conntrack), nf_ct_key_equal); the kernel's takenBy
 * decides which holders count, given both entries' zones. */
export function nf_conntrack_tuple_taken(ctx: Ctx, st: KState, reply: Tuple, ignored: number): number {
  const self = st.pkts[ignored]!.ct!;
  const zone = nf_ct_zone(ctx.sc, ignored);
  // v4.9+: an expired holder is reaped (nf_ct_gc_expired) and skipped; DYING ones are not skipped here.
  const hit = walkFor(ctx, st, reply, zoneMatch(ctx.sc, zone), "now", (id) => id !== ignored && ctx.k.takenBy(self, st.pkts[id]!.ct!, zone, nf_ct_zone(ctx.sc, id)));
  return hit && "id" in hit ? hit.id : -1;
}

/** The SNAT range: MASQUERADE's address (ports, --random-fully), or the null binding's current source address. */
function srcRange(ctx: Ctx, curr: Tuple): NatRange {
  const sn = ctx.sc.snat;
  return sn.mode === "masquerade"
    ? { addr: sn.to!, ports: sn.ports, randomFully: sn.randomFully }
    : { addr: curr.src, ports: undefined, randomFully: false };
}

/** in_range for `manip`: the address and the port (when the range has ports) the manip changes are in it. */
function inRange(t: Tuple, r: NatRange, manip: Manip): boolean {
  const src = manip === "SRC";
  const port = src ? t.sport : t.dport;
  return (src ? t.src : t.dst) === r.addr && (!r.ports || (port >= r.ports.min && port <= r.ports.max));
}

/** Choices the SNAT step makes: a random offset into the port range with --random-fully. */
export function snatChoices(ctx: Ctx): number {
  const sn = ctx.sc.snat;
  if (!sn.randomFully) return 1;
  return sn.ports ? sn.ports.max - sn.ports.min + 1 : 65536 - 1024;
}

/** find_appropriate_src: reuse the mapping of an entry with the same original
 * source in the same ORIGINAL zone (nf_ct_zone_equal(ct, zone, IP_CT_DIR_ORIGINAL),
 * zone = packet `p`'s entry's); nf_nat_bysource holds entries from setup time on, confirmed or not. */
export function find_appropriate_src(ctx: Ctx, st: KState, p: number, orig: Tuple, r: NatRange): Tuple | undefined {
  const zone = nf_ct_zone(ctx.sc, p);
  for (const id of st.bysource) {
    const ct = st.pkts[id]!.ct!;
    if (!srcEqual(ct.orig, orig) || !nf_ct_zone_equal(nf_ct_zone(ctx.sc, id), zone, "ORIGINAL")) continue;
    const mapped = invert(ct.reply);
    const result = withKey(ctx.sc.protocol, tuple(mapped.src, mapped.sport, orig.dst, orig.dport), "SRC", mapped.sport);
    if (inRange(result, r, "SRC")) return result;
  }
  return undefined;
}

/** Why get_unique_tuple chose the tuple it returned, for traces (set only when ctx.explain). */
const chosenBecause = new WeakMap<Tuple, PortChoice>();
function because(ctx: Ctx, t: Tuple, why: PortChoice): Tuple {
  if (ctx.explain) chosenBecause.set(t, why);
  return t;
}

const FREE: PortChoice = Object.freeze({ why: "free" });
const REUSE: PortChoice = Object.freeze({ why: "reuse" });
const KEEPS_DPORT: PortChoice = Object.freeze({ why: "keeps-dport" });

/** get_unique_tuple for a one-address range (v4.18 nf_nat_core.c). */
export function get_unique_tuple(ctx: Ctx, st: KState, p: number, orig: Tuple, r: NatRange, manip: Manip, random: number): Tuple {
  const k = ctx.k;
  // 1) SRC only: keep the current source if it is in range and free, or reuse an existing mapping.
  if (manip === "SRC" && !r.randomFully) {
    if (inRange(orig, r, manip)) {
      // v6.12+: the current tuple is tested with nf_nat_used_tuple_new (a reverse twin leaves it free).
      if (!(k.nf_nat_used_tuple_new ?? k.nf_nat_used_tuple)(ctx, st, p, orig)) {
        // Traces say when the tuple was held and nf_nat_used_tuple_new let it through (bugzilla 1795 on v6.12).
        const held = ctx.explain && k.nf_nat_used_tuple_new ? k.nf_conntrack_tuple_taken(ctx, st, invert(orig), p) : -1;
        return because(ctx, orig, held >= 0 ? { why: "free-new", by: held } : FREE);
      }
    } else {
      const found = k.find_appropriate_src(ctx, st, p, orig, r);
      if (found && !k.nf_nat_used_tuple(ctx, st, p, found)) return because(ctx, found, REUSE);
    }
  }
  // 2) find_best_ips_proto: the range has a single address.
  const t = manip === "SRC" ? tuple(r.addr, orig.sport, orig.dst, orig.dport) : tuple(orig.src, orig.sport, r.addr, orig.dport);
  // 3) keep the port if it is in range and the tuple is free (not with --random-fully).
  if (!r.randomFully) {
    if (r.ports ? inRange(t, r, manip) && (r.ports.min === r.ports.max || !k.nf_nat_used_tuple(ctx, st, p, t)) : !k.nf_nat_used_tuple(ctx, st, p, t)) {
      return because(ctx, t, manip === "SRC" ? FREE : KEEPS_DPORT);
    }
  }
  // A GRE flow without a PPTP master, or a protocol without ports, keeps its tuple although it is taken.
  const proto = ctx.sc.protocol;
  if (!natRemapsKey(proto)) return because(ctx, t, { why: "not-remapped" });
  const holder = ctx.explain && manip === "SRC" ? k.nf_conntrack_tuple_taken(ctx, st, invert(t), p) : -1;
  // An icmp id is one field in both places (net/proto.ts): the search moves it as a source port, over every id.
  const keyed = keyManip(proto, manip);
  const used = (u: Tuple): boolean => k.nf_nat_used_tuple(ctx, st, p, proto === "icmp" ? withKey(proto, u, keyed, u.sport) : u);
  const ids = proto === "icmp" && !r.ports ? ICMP_IDS : r.ports;
  const port = k.nf_nat_l4proto_unique_tuple(st, t, ids, r.randomFully ? random : undefined, used, keyed);
  const picked = withKey(proto, t, keyed, port);
  if (!ctx.explain) return picked;
  const why: PortChoice = r.randomFully ? { why: "random", offset: random, port } : holder >= 0 ? { why: "taken", by: holder, port } : { why: "out-of-range", port };
  return because(ctx, picked, why);
}

/** nf_nat_setup_info(ct, range, manip): S3 (DST: the DNAT rule, or the null binding when no
 * rule matches) and S4 (SRC: MASQUERADE, or the null binding). The new tuple of the manip's
 * side replaces the REPLY tuple's other side (nf_conntrack_alter_reply). */
export function nf_nat_setup_info(ctx: Ctx, st: KState, p: number, manip: Manip, choice: number): StepNote {
  const pkt = st.pkts[p]!;
  const ct = pkt.ct!;
  const curr = invert(ct.reply);
  // The ruleset current at this instant: a control plane may have changed the endpoints since S1 (st.rules).
  const endpoint = manip === "DST" ? dstEndpoint(ctx, curr, choice, st.rules) : -1;
  // Without a DNAT rule, the null binding's range: the current destination address alone.
  const range = manip === "SRC" ? srcRange(ctx, curr) : endpoint >= 0 ? endpointRange(ctx, endpoint) : { addr: curr.dst, ports: undefined, randomFully: false };
  const t = ctx.k.get_unique_tuple(ctx, st, p, curr, range, manip, choice);
  if (!tupleEqual(t, curr)) {
    ct.reply = invert(t);
    ct.status |= manip === "SRC" ? IPS.SRC_NAT : IPS.DST_NAT;
  }
  if (manip === "DST") {
    ct.status |= IPS.DST_NAT_DONE;
    pkt.pc = Pc.SNAT;
    const d = ctx.sc.dnat;
    if (!ctx.explain) return "";
    if (!d || endpoint < 0) return { kind: "dnat-null" };
    return { kind: "dnat", endpoint, of: d.sets[st.rules]!.length, random: d.choice === "random", ...(st.rules !== 0 ? { set: st.rules } : {}) };
  }
  ct.status |= IPS.SRC_NAT_DONE;
  st.bysource.unshift(p);
  pkt.pc = Pc.CONFIRM;
  if (!ctx.explain) return "";
  const how: PortChoice = chosenBecause.get(t) ?? { why: "given", port: t.sport };
  return { kind: "snat", masquerade: ctx.sc.snat.mode === "masquerade", how };
}
