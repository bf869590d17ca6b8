/**
 * S3 and S4: nf_nat_inet_fn -> nf_nat_setup_info, for the DNAT rule or the
 * null binding (nf_nat_alloc_null_binding) when no rule matches. Follows
 * net/netfilter/nf_nat_core.c of v4.18 (get_unique_tuple, find_appropriate_src,
 * nf_nat_used_tuple); where a patch changes it, the kernel hooks say so.
 */
import { IPS } from "../conn.js";
import type { Ctx, Manip, PortRange } from "../kernel.js";
import { findNode } from "../table.js";
import { Pc, type KState } from "../state.js";
import { invert, srcEqual, tuple, tupleEqual, type Tuple } from "../tuple.js";
import { formatHostPort } from "../../scenario/scenario.js";
import { nf_ct_zone, nf_ct_zone_equal, zoneMatch } from "../zone.js";

/** Endpoint indexes the DNAT step may choose from for packet `p`. */
export function dnatChoices(ctx: Ctx): number {
  const d = ctx.sc.dnat;
  if (!d || d.choice === "consistent") return 1;
  return d.endpoints.length;
}

/** A consistent mapping: the same endpoint for the same tuple. */
function consistentEndpoint(t: Tuple, n: number): number {
  return (((t.src * 31 + t.sport) * 31 + t.dst) * 31 + t.dport) % n;
}

/** S3: nf_nat_setup_info(ct, range, NF_NAT_MANIP_DST). The DNAT range names one
 * endpoint with its port (min == max), so get_unique_tuple keeps the choice
 * whatever the table holds: REPLY's source becomes the endpoint. */
export function nf_nat_setup_info_dst(ctx: Ctx, st: KState, p: number, choice: number): string {
  const pkt = st.pkts[p]!;
  const ct = pkt.ct!;
  const d = ctx.sc.dnat;
  let note = "no DNAT rule: null binding";
  if (d) {
    const e = d.choice === "random" ? choice : consistentEndpoint(ct.orig, d.endpoints.length);
    const ep = d.endpoints[e]!;
    const reply = tuple(ep.addr, ep.port, ct.reply.dst, ct.reply.dport);
    if (!tupleEqual(reply, ct.reply)) {
      ct.reply = reply;
      ct.status |= IPS.DST_NAT;
    }
    if (ctx.explain) note = `DNAT to ${formatHostPort(ep, ctx.sc.addrs)}${d.choice === "random" && d.endpoints.length > 1 ? ` (endpoint ${e + 1} of ${d.endpoints.length}, random)` : ""}`;
  }
  ct.status |= IPS.DST_NAT_DONE;
  pkt.pc = Pc.SNAT;
  return note;
}

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
  const hit = findNode(st, reply, (id) => id !== ignored && ctx.k.takenBy(self, st.pkts[id]!.ct!, zone, nf_ct_zone(ctx.sc, id)), zoneMatch(ctx.sc, zone));
  return hit ? hit.id : -1;
}

/** A source NAT range: one address (the null binding's current one, or
 * MASQUERADE's), optionally a port range, optionally --random-fully. */
interface SrcRange {
  readonly addr: number;
  readonly ports: PortRange | undefined;
  readonly randomFully: boolean;
}

function srcRange(ctx: Ctx, curr: Tuple): SrcRange {
  const sn = ctx.sc.snat;
  return sn.mode === "masquerade"
    ? { addr: sn.to!, ports: sn.ports, randomFully: sn.randomFully }
    : { addr: curr.src, ports: undefined, randomFully: false };
}

function inRange(t: Tuple, r: SrcRange): boolean {
  return t.src === r.addr && (!r.ports || (t.sport >= r.ports.min && t.sport <= r.ports.max));
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
function find_appropriate_src(ctx: Ctx, st: KState, p: number, orig: Tuple, r: SrcRange): Tuple | undefined {
  const zone = nf_ct_zone(ctx.sc, p);
  for (const id of st.bysource) {
    const ct = st.pkts[id]!.ct!;
    if (!srcEqual(ct.orig, orig) || !nf_ct_zone_equal(nf_ct_zone(ctx.sc, id), zone, "ORIGINAL")) continue;
    const mapped = invert(ct.reply);
    const result = tuple(mapped.src, mapped.sport, orig.dst, orig.dport);
    if (inRange(result, r)) return result;
  }
  return undefined;
}

/** get_unique_tuple(NF_NAT_MANIP_SRC) for a one-address range. */
function get_unique_tuple_src(ctx: Ctx, st: KState, p: number, orig: Tuple, r: SrcRange, random: number): { t: Tuple; how: string } {
  const used = (t: Tuple): boolean => ctx.k.nf_nat_used_tuple(ctx, st, p, t);
  if (!r.randomFully) {
    // 1) keep the current source if it is in range and free, or reuse an existing mapping.
    if (inRange(orig, r)) {
      if (!used(orig)) return { t: orig, how: "tuple free: keeps its source port" };
    } else {
      const found = find_appropriate_src(ctx, st, p, orig, r);
      if (found && !used(found)) return { t: found, how: "reuses the mapping of an entry with the same source (find_appropriate_src)" };
    }
  }
  // 2) find_best_ips_proto: the range has a single address.
  const t = tuple(r.addr, orig.sport, orig.dst, orig.dport);
  // 3) keep the port if it is in range and the tuple is free (not with --random-fully).
  if (!r.randomFully) {
    if (r.ports ? inRange(t, r) && (r.ports.min === r.ports.max || !used(t)) : !used(t)) {
      return { t, how: "tuple free: keeps its source port" };
    }
  }
  const holder = ctx.explain ? ctx.k.nf_conntrack_tuple_taken(ctx, st, invert(t), p) : -1;
  const port = ctx.k.uniqueSourcePort(st, t, r.ports, r.randomFully ? random : undefined, used);
  const why = r.randomFully
    ? `--random-fully: search from random offset ${random}`
    : holder >= 0
      ? `REPLY tuple taken by ${ctx.sc.packets[holder]!.name}'s confirmed entry: port search`
      : "port out of range: port search";
  return { t: tuple(t.src, port, t.dst, t.dport), how: ctx.explain ? `${why} picks ${port}` : "" };
}

/** S4: nf_nat_setup_info(ct, range, NF_NAT_MANIP_SRC): MASQUERADE, or the null
 * binding (the current address) when no SNAT rule matches. */
export function nf_nat_setup_info_src(ctx: Ctx, st: KState, p: number, choice: number): string {
  const pkt = st.pkts[p]!;
  const ct = pkt.ct!;
  const curr = invert(ct.reply);
  const { t, how } = get_unique_tuple_src(ctx, st, p, curr, srcRange(ctx, curr), choice);
  if (!tupleEqual(t, curr)) {
    ct.reply = invert(t);
    ct.status |= IPS.SRC_NAT;
  }
  ct.status |= IPS.SRC_NAT_DONE;
  st.bysource.unshift(p);
  pkt.pc = Pc.CONFIRM;
  return ctx.explain ? `${ctx.sc.snat.mode === "masquerade" ? "MASQUERADE" : "null binding"}: ${how}` : "";
}

/** nf_nat_setup_info for one manip: S3 (DST) or S4 (SRC). */
export function nf_nat_setup_info(ctx: Ctx, st: KState, p: number, manip: Manip, choice: number): string {
  return manip === "DST" ? nf_nat_setup_info_dst(ctx, st, p, choice) : nf_nat_setup_info_src(ctx, st, p, choice);
}
