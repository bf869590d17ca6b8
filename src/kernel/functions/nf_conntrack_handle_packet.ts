/**
 * What nf_conntrack_in does with a packet once resolve_normal_ct found its
 * entry: the protocol's tracker (nf_conntrack_handle_packet), then, for a
 * packet that matched the REPLY node, IPS_SEEN_REPLY, set only after the
 * tracker ran, so that packet itself is still handled as unreplied
 * (net/netfilter/nf_conntrack_core.c, nf_conntrack_in).
 *
 * SEEN_REPLY, and the ASSURED the UDP tracker sets from it, matter only to
 * early drop and to timeouts: a scenario without conntrack-max or time leaves them out, so that states differing in nothing else are
 * one state, and its counts stay what they were before the model had them.
 */
import { IPS } from "../net/conn.js";
import type { Ctx } from "../kernel.js";
import type { KState } from "../net/state.js";
import type { Dir } from "../net/table.js";
import { tracksLife } from "./time.js";
import type { TrackerNote } from "../note.js";

/** The tracker's note for traces, if it said anything. */
export function nf_conntrack_handle_packet(ctx: Ctx, st: KState, id: number, dir: Dir): TrackerNote | undefined {
  const note = ctx.sc.protocol === "tcp" ? ctx.k.nf_conntrack_tcp_packet(ctx, st, id, dir) : ctx.k.nf_conntrack_udp_packet(ctx, st, id, dir);
  if (dir === "REPLY" && tracksLife(ctx.sc)) st.pkts[id]!.ct!.status |= IPS.SEEN_REPLY;
  return note;
}
