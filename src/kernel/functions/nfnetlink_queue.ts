/**
 * NFQUEUE (net/netfilter/nfnetlink_queue.c, nf_queue.c): a rule's verdict NF_QUEUE moves the packet, with its
 * unconfirmed entry, out of softirq into the queue of a user-space program, which reinjects it later, in any order,
 * with a verdict (docs/kernel.md, "Packets that leave softirq"). Meanwhile the entry is in no bucket: other packets of
 * the flow go on through S1..S5 and may confirm an entry of their own first.
 */
import type { Ctx } from "../kernel.js";
import { DROP_WHY, Nfq, Reply, type KState } from "../net/state.js";
import { isConfirmed, makeCopy, putUninserted, skbEntry, skbRefs } from "../net/skb.js";
import { findNode } from "../net/table.js";
import { nf_ct_zone, zoneMatch } from "../net/zone.js";
import { acceptQuery, dropQuery } from "./verdict.js";
import type { StepNote } from "../note.js";

/** The segments after the first of GSO packet `p` (scenario `segments`), as the loader numbered them. */
export function segmentsOf(ctx: Ctx, p: number): number[] {
  const out: number[] = [];
  ctx.sc.packets.forEach((q, i) => {
    if (q.cloneOf === p && q.copy === "segment") out.push(i);
  });
  return out;
}


/** How many packets went to the queue before. */
const queuedSoFar = (st: KState): number => st.pkts.reduce((n, q) => n + (q.nfq !== Nfq.NONE ? 1 : 0), 0);

/** Packet `q` is dropped for an unconfirmed entry with more than one reference (nf_ct_drop_unconfirmed). */
function dropShared(st: KState, q: number, why: number): void {
  const e = skbEntry(st, q);
  st.pkts[q]!.dropWhy = why;
  dropQuery(st, q);
  putUninserted(st, e);
}

/** Q1, Q2: nfqnl_enqueue_packet. Without NFQA_CFG_F_GSO a GSO packet is segmented first (skb_gso_segment): its
 * segments are made here, each an skb pointing at the packet's entry. ctx.k.nfqueueSharedCheck() says where the
 * releases refuse an unconfirmed entry with more than one reference: nowhere (to v6.10), on each segment (7d8dc1c7be8d,
 * v6.11: the aggregate still holds its reference then, so every segment of a new flow is dropped), or on the packet
 * before segmentation, marking the later segments for a second test at reinject (207b3ebacb61, v7.0). */
export function nfqnl_enqueue_packet(ctx: Ctx, st: KState, p: number): StepNote {
  const check = ctx.k.nfqueueSharedCheck();
  const e = skbEntry(st, p);
  const unconfirmed = e >= 0 && !isConfirmed(st, e);
  const rest = ctx.sc.nfqueue!.gso ? [] : segmentsOf(ctx, p);
  const dropped: number[] = [];
  const queued: number[] = [];
  if (check === "aggregate" && unconfirmed && skbRefs(st, e) > 1) {
    dropShared(st, p, DROP_WHY.QUEUE_SHARED);
    return ctx.explain ? { kind: "enqueue", queued, dropped: [p], segmented: false } : "";
  }
  for (const q of rest) makeCopy(st, p, q, e);
  const segs = [p, ...rest];
  // While it segments, the aggregate skb still holds its reference: every segment sees at least two.
  const shared = unconfirmed && (rest.length > 0 || skbRefs(st, e) > 1);
  let seq = queuedSoFar(st);
  for (const q of segs) {
    if (check === "segments" && shared) {
      dropped.push(q);
      st.pkts[q]!.dropWhy = DROP_WHY.QUEUE_SHARED;
      dropQuery(st, q);
      continue;
    }
    const pkt = st.pkts[q]!;
    pkt.nfq = Nfq.QUEUED;
    pkt.qseq = seq++;
    pkt.marked = check === "aggregate" && q !== p && unconfirmed;
    queued.push(q);
  }
  if (dropped.length) putUninserted(st, e);
  return ctx.explain ? { kind: "enqueue", queued, dropped, segmented: rest.length > 0 } : "";
}

/** Q3, Q4: nf_reinject with the program's verdict: on NF_ACCEPT, nf_ct_hook->update (nf_conntrack_update, v4.18+),
 * then the rest of the hooks from where the packet left (S4, confirm), one step each on the program's thread. */
export function nf_reinject(ctx: Ctx, st: KState, p: number, verdict: "accept" | "drop"): StepNote {
  const pkt = st.pkts[p]!;
  pkt.nfq = Nfq.RUNNING;
  if (verdict === "drop") {
    dropShared(st, p, DROP_WHY.VERDICT);
    return ctx.explain ? { kind: "reinject", verdict } : "";
  }
  // nfqnl_recv_verdict parses the verdict's NFQA_CT (the ctnetlink glue) before it reinjects.
  const t = ctx.sc.nfqueue!.timeout;
  const e = skbEntry(st, p);
  if (t !== undefined && e >= 0) {
    ctx.k.ctnetlink_change_timeout(ctx, st, e, t);
    pkt.timeoutSet = true;
  }
  const update = ctx.k.nf_conntrack_update ? ctx.k.nf_conntrack_update(ctx, st, p) : undefined;
  return ctx.explain ? { kind: "reinject", verdict, ...(update !== undefined ? { update } : {}), ...(t !== undefined && e >= 0 ? { timeout: t } : {}) } : "";
}

/** ctnetlink_change_timeout until 73db1b8f2bb6 (v6.4): `ct->timeout = nfct_time_stamp + timeout * HZ`, a time even on
 * an unconfirmed entry, whose timeout is a duration until confirm adds the clock (a4b4766c3ceb, v4.4). */
export function ctnetlink_change_timeout(_ctx: Ctx, st: KState, id: number, ms: number): void {
  st.pkts[id]!.ct!.timeout = st.now + ms;
}

/** 368982cd7d1b (v4.18) to 8af79d3edb5f (v6.12): nf_conntrack_update resolves a clash for an unconfirmed entry
 * itself. It rebuilds the packet's ORIGINAL tuple before NAT, looks it up; if an entry W holds it (another packet
 * confirmed it meanwhile), the packet drops its own entry, takes W and is rewritten with W's NAT. The remaining hooks
 * then find W's NAT done and W confirmed: the packet leaves. Only in OUTPUT does nf_reroute route it again; in
 * POSTROUTING it keeps the route chosen for its own endpoint (bugzilla.netfilter.org 1766). */
export function nfConntrackUpdateClash(ctx: Ctx, st: KState, p: number): StepNote {
  const pkt = st.pkts[p]!;
  const e = skbEntry(st, p);
  if (e < 0 || isConfirmed(st, e)) return ctx.explain ? { kind: "update", found: -1, misrouted: false } : "";
  const own = st.pkts[e]!.ct!;
  const h = findNode(st, own.orig, undefined, zoneMatch(ctx.sc, nf_ct_zone(ctx.sc, e)));
  if (!h) return ctx.explain ? { kind: "update", found: -1, misrouted: false } : "";
  const w = st.pkts[h.id]!.ct!;
  const misrouted = ctx.sc.nfqueue?.hook === "postrouting" && (w.reply.src !== own.reply.src || w.reply.sport !== own.reply.sport);
  pkt.uses = h.id;
  pkt.attached = true;
  putUninserted(st, e);
  acceptQuery(ctx, st, p);
  if (misrouted) {
    // Its destination is W's endpoint, its route towards its own: the host there drops it, nothing answers.
    pkt.misrouted = true;
    pkt.reply = Reply.NONE;
  }
  return ctx.explain ? { kind: "update", found: h.id, misrouted } : "";
}
