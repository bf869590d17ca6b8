/**
 * The reply to an accepted query, taken as one step: the endpoint answers the
 * tuple it saw, the node looks the reply up (resolve_normal_ct, usually a hit
 * on an entry's REPLY node), the protocol's tracker sees it (nf_conntrack_udp_packet, nf_conntrack_tcp_packet)
 * and NAT translates it back with that entry (nf_nat_packet). The client's
 * connected socket accepts it only from the address and port it sent to.
 */
import type { Ctx } from "../kernel.js";
import { Reply, type KState } from "../net/state.js";
import { invert, tupleEqual, type Tuple } from "../net/tuple.js";
import { packetTuple } from "./resolve_normal_ct.js";
import { packetZone, zoneMatch } from "../net/zone.js";
import { nf_conntrack_handle_packet } from "./nf_conntrack_handle_packet.js";
import { evictedHolder } from "./early_drop.js";
import { expiredHolder, lookupAccepts, walkFor } from "./nf_ct_gc_expired.js";
import type { StepNote } from "../note.js";

/** The tuple the endpoint answers to: the query as it left the node, inverted.
 * NAT mangled it with the entry it had at the NAT hooks: its own (confirm, which
 * may merge it into another entry, runs after every NAT hook), or the entry a
 * lookup hit found. Traces use it too, to say why a reply was lost. */
export function replySentTo(st: KState, p: number): Tuple {
  const pkt = st.pkts[p]!;
  // nf_conntrack_update (v4.18-v6.11) rewrote a reinjected packet with the NAT of the entry it attached it to.
  if (pkt.attached) return st.pkts[pkt.uses]!.ct!.reply;
  return (pkt.ct ?? st.pkts[pkt.uses]!.ct!).reply;
}

export function nf_conntrack_in_reply(ctx: Ctx, st: KState, p: number): StepNote {
  const pkt = st.pkts[p]!;
  const expected = invert(packetTuple(ctx, p));
  if (pkt.uses < 0) {
    // Untracked: nothing was translated on the way out, nothing is on the way back.
    pkt.reply = Reply.DELIVERED;
    return ctx.explain ? { kind: "reply-untracked", tuple: expected } : "";
  }
  const sent = replySentTo(st, p);
  // The query reached the service address itself, untranslated: nothing there answers.
  const vip = ctx.sc.dnat?.service;
  if (vip && sent.src === vip.addr && sent.sport === vip.port) {
    pkt.reply = Reply.UNANSWERED;
    return ctx.explain ? { kind: "reply-unanswered", to: invert(sent) } : "";
  }
  // The answer is looked up in the query's template zone: the rules that gave the
  // query its zone match its answer too (with --zone-orig only the REPLY id, 0, applies to a REPLY node).
  // v4.9+ in a timed scenario: an expired entry the walk meets is reaped at once and skipped.
  const found = walkFor(ctx, st, sent, zoneMatch(ctx.sc, packetZone(ctx.sc, p)), "now", lookupAccepts(ctx, st));
  const hit = found && "id" in found ? found : undefined;
  if (!hit) {
    // An entry early drop evicted, or one that timed out, would have matched: the reply is lost because of that.
    const gone = evictedHolder(st, sent);
    const old = gone < 0 ? expiredHolder(ctx, st, p, sent) : -1;
    pkt.reply = gone >= 0 ? Reply.EVICTED : old >= 0 ? Reply.EXPIRED : Reply.LOST;
    if (!ctx.explain) return "";
    if (gone >= 0) return { kind: "reply-evicted", sent, id: gone };
    if (old >= 0) return { kind: "reply-expired", sent, id: old, at: st.pkts[old]!.ct!.timeout };
    return { kind: "reply-lost", sent };
  }
  const x = st.pkts[hit.id]!.ct!;
  const delivered = hit.dir === "REPLY" ? invert(x.orig) : invert(x.reply);
  const tracker = nf_conntrack_handle_packet(ctx, st, hit.id, hit.dir);
  pkt.reply = tupleEqual(delivered, expected) ? Reply.DELIVERED : Reply.MISROUTED;
  if (!ctx.explain) return "";
  const matched = { sent, id: hit.id, dir: hit.dir, delivered, ...(tracker ? { tracker } : {}) };
  return pkt.reply === Reply.DELIVERED ? { kind: "reply-delivered", ...matched } : { kind: "reply-misrouted", ...matched, expected };
}
