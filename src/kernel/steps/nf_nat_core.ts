/**
 * S3 and S4: nf_nat_inet_fn -> nf_nat_setup_info, for the DNAT rule or the
 * null binding (nf_nat_alloc_null_binding) when no rule matches. Follows
 * net/netfilter/nf_nat_core.c of v4.18 (get_unique_tuple, find_appropriate_src,
 * nf_nat_used_tuple); where a patch changes it, the kernel hooks say so.
 */
import { IPS, type Conn } from "../conn.js";
import type { Ctx } from "../kernel.js";
import { Pc, type KState } from "../state.js";
import { invert, srcEqual, tupleEqual, type Tuple } from "../tuple.js";
import { formatHostPort } from "../../scenario/scenario.js";

/** Endpoint indexes the DNAT step may choose from for packet `p`. */
export function dnatChoices(ctx: Ctx, st: KState, p: number): number {
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
    const reply = { ...ct.reply, src: ep.addr, sport: ep.port };
    if (!tupleEqual(reply, ct.reply)) {
      ct.reply = reply;
      ct.status |= IPS.DST_NAT;
    }
    note = `DNAT to ${formatHostPort(ep, ctx.sc.addrs)}${d.choice === "random" && d.endpoints.length > 1 ? ` (endpoint ${e + 1} of ${d.endpoints.length}, random)` : ""}`;
  }
  ct.status |= IPS.DST_NAT_DONE;
  pkt.pc = Pc.SNAT;
  return note;
}

/** nf_nat_used_tuple: would `t` (original direction) give a REPLY tuple that a
 * confirmed entry other than ours already holds? -> nf_conntrack_tuple_taken */
export function nf_nat_used_tuple(ctx: Ctx, st: KState, self: number, t: Tuple): boolean {
  return nf_conntrack_tuple_taken(ctx, st, invert(t), self);
}

/** nf_conntrack_tuple_taken: lockless walk of the tuple's bucket. */
export function nf_conntrack_tuple_taken(ctx: Ctx, st: KState, reply: Tuple, ignored: number): boolean {
  const self = st.pkts[ignored]!.ct!;
  return takenByWhom(ctx, st, reply, ignored, self) >= 0;
}

function takenByWhom(ctx: Ctx, st: KState, reply: Tuple, ignored: number, self: Conn): number {
  for (let i = st.table.length - 1; i >= 0; i--) {
    const id = st.table[i]!;
    if (id === ignored) continue;
    const other = st.pkts[id]!.ct!;
    if (!(other.status & IPS.CONFIRMED)) continue;
    if ((tupleEqual(other.orig, reply) || tupleEqual(other.reply, reply)) && ctx.k.takenBy(self, other)) return id;
  }
  return -1;
}

interface Range {
  /** The one address the range maps to (null binding: the current one; MASQUERADE: the node's). */
  readonly addr: number;
}

function inRange(t: Tuple, r: Range): boolean {
  return t.src === r.addr;
}

/** find_appropriate_src: reuse the mapping of an entry with the same original
 * source (nf_nat_bysource holds entries from setup time on, confirmed or not). */
function find_appropriate_src(st: KState, orig: Tuple, r: Range): Tuple | undefined {
  for (const id of st.bysource) {
    const ct = st.pkts[id]!.ct!;
    if (!srcEqual(ct.orig, orig)) continue;
    const mapped = invert(ct.reply);
    const result = { ...mapped, dst: orig.dst, dport: orig.dport };
    if (inRange(result, r)) return result;
  }
  return undefined;
}

/** get_unique_tuple(NF_NAT_MANIP_SRC) with a one-address range and no port range. */
function get_unique_tuple_src(ctx: Ctx, st: KState, p: number, orig: Tuple, r: Range): { t: Tuple; how: string } {
  const used = (t: Tuple): boolean => nf_nat_used_tuple(ctx, st, p, t);
  // 1) keep the current source if it is in range and free, or reuse an existing mapping.
  if (inRange(orig, r)) {
    if (!used(orig)) return { t: orig, how: "tuple free: keeps its source port" };
  } else {
    const found = find_appropriate_src(st, orig, r);
    if (found && !used(found)) return { t: found, how: "reuses the mapping of an entry with the same source (find_appropriate_src)" };
  }
  // 2) find_best_ips_proto: the range has a single address.
  const t = { ...orig, src: r.addr };
  // 3) keep the port if the tuple is free, else the protocol searches one.
  if (!used(t)) return { t, how: "tuple free: keeps its source port" };
  const holder = takenByWhom(ctx, st, invert(t), p, st.pkts[p]!.ct!);
  const port = ctx.k.uniqueSourcePort(ctx, st, p, t, used);
  return {
    t: { ...t, sport: port },
    how: `REPLY tuple taken by ${ctx.sc.packets[holder]!.name}'s confirmed entry: port search picks ${port}`,
  };
}

/** S4: nf_nat_setup_info(ct, range, NF_NAT_MANIP_SRC): MASQUERADE, or the null
 * binding (the current address) when no SNAT rule matches. */
export function nf_nat_setup_info_src(ctx: Ctx, st: KState, p: number): string {
  const pkt = st.pkts[p]!;
  const ct = pkt.ct!;
  const curr = invert(ct.reply);
  const sn = ctx.sc.snat;
  const r: Range = { addr: sn.mode === "masquerade" ? sn.to! : curr.src };
  const { t, how } = get_unique_tuple_src(ctx, st, p, curr, r);
  if (!tupleEqual(t, curr)) {
    ct.reply = invert(t);
    ct.status |= IPS.SRC_NAT;
  }
  ct.status |= IPS.SRC_NAT_DONE;
  st.bysource.unshift(p);
  pkt.pc = Pc.CONFIRM;
  return `${sn.mode === "masquerade" ? "MASQUERADE" : "null binding"}: ${how}`;
}
