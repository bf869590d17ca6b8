/**
 * v4.6: the kernel before clash resolution. A packet whose entry clashes at
 * confirm is dropped and counted in insert_failed (__nf_conntrack_confirm,
 * net/netfilter/nf_conntrack_core.c at v4.6). NAT picks a new source port from
 * the shared, unlocked per-protocol rover (nf_nat_proto_common.c).
 */
import { IPS } from "./net/conn.js";
import type { KernelBehaviour, Manip, PortRange } from "./kernel.js";
import type { KState } from "./net/state.js";
import { tuple, type Tuple } from "./net/tuple.js";
import { __nf_conntrack_find_get, init_conntrack } from "./functions/resolve_normal_ct.js";
import { find_appropriate_src, get_unique_tuple, nf_conntrack_tuple_taken, nf_nat_setup_info, nf_nat_used_tuple } from "./functions/nf_nat_core.js";
import { __nf_conntrack_confirm, nf_conntrack_confirm } from "./functions/nf_conntrack_confirm.js";
import { ctnetlink_change_timeout, nf_reinject, nfqnl_enqueue_packet } from "./functions/nfnetlink_queue.js";
import { br_forward, br_pass_frame_up } from "./functions/br_netfilter.js";
import { nf_conntrack_in_reply } from "./functions/reply.js";
import { __nf_conntrack_alloc, early_drop } from "./functions/early_drop.js";
import { nf_ct_delete } from "./functions/nf_ct_delete.js";
import { __nf_ct_refresh_acct } from "./functions/time.js";
import { death_by_timeout } from "./functions/nf_ct_gc_expired.js";

/** udp_timeouts (v4.6-v4.20): UDP_CT_UNREPLIED 30 s, UDP_CT_REPLIED 180 s. */
export const UDP_CT_UNREPLIED = 30_000;
const UDP_CT_REPLIED = 180_000;
/** tcp_timeouts: a SYN's entry is SYN_SENT (2 min), a SYN-ACK makes it SYN_RECV (60 s). */
const TCP_CONNTRACK_SYN_SENT = 120_000;
const TCP_CONNTRACK_SYN_RECV = 60_000;

/** nf_nat_l4proto_unique_tuple (nf_nat_proto_common.c): the rover is udp_port_rover, one for both manips. */
function nf_nat_l4proto_unique_tuple(st: KState, t: Tuple, range: PortRange | undefined, random: number | undefined, used: (t: Tuple) => boolean, manip: Manip): number {
  const dst = manip === "DST";
  let min: number, size: number;
  if (range) [min, size] = [range.min, range.max - range.min + 1];
  // "If it's dst rewrite, can't change port".
  else if (dst) return t.dport;
  // "If no range specified": keep ports below 1024 below 1024.
  else if (t.sport < 512) [min, size] = [1, 511];
  else if (t.sport < 1024) [min, size] = [600, 424];
  else [min, size] = [1024, 65536 - 1024];
  // NF_NAT_RANGE_PROTO_RANDOM_FULLY starts at a random offset, else at the rover.
  let off = random ?? st.rover;
  for (let i = 0; ; off = (off + 1) & 0xffff) {
    const port = min + (off % size);
    if (++i !== size && used(dst ? tuple(t.src, t.sport, t.dst, port) : tuple(t.src, port, t.dst, t.dport))) continue;
    if (random === undefined) st.rover = off; // the next search starts where this one ended
    return port;
  }
}

export const baseV46: KernelBehaviour = {
  __nf_conntrack_find_get,
  init_conntrack,
  __nf_conntrack_alloc,
  early_drop,
  nf_nat_setup_info,
  get_unique_tuple,
  find_appropriate_src,
  nf_nat_l4proto_unique_tuple,
  nf_nat_used_tuple,
  nf_conntrack_tuple_taken,
  __nf_conntrack_confirm,
  nf_ct_resolve_clash: () => ({ kind: "drop" }),
  nf_conntrack_in_reply,
  // udp_packet (v4.6-v5.15): a packet handled once SEEN_REPLY is set makes the flow a stream, ASSURED.
  nf_conntrack_udp_packet: (ctx, st, id) => {
    const ct = st.pkts[id]!.ct!;
    if (ct.status & IPS.SEEN_REPLY) {
      ctx.k.__nf_ct_refresh_acct(ctx, st, id, UDP_CT_REPLIED);
      ct.status |= IPS.ASSURED;
    } else ctx.k.__nf_ct_refresh_acct(ctx, st, id, UDP_CT_UNREPLIED);
    return undefined;
  },
  // The model's TCP flows are a SYN and its SYN-ACK: only their states' timeouts (tcp_packet's state machine is not modelled).
  nf_conntrack_tcp_packet: (ctx, st, id, dir) => {
    ctx.k.__nf_ct_refresh_acct(ctx, st, id, dir === "REPLY" ? TCP_CONNTRACK_SYN_RECV : TCP_CONNTRACK_SYN_SENT);
    return undefined;
  },
  nf_ct_delete,
  // get_next_corpse: `if (NF_CT_DIRECTION(h) != IP_CT_DIR_ORIGINAL) continue;` -- ORIGINAL nodes only.
  get_next_corpse: (_ctx, st, id) => !st.pkts[id]!.replyOnly,
  __nf_ct_refresh_acct,
  death_by_timeout,
  nf_conntrack_confirm,
  nfqnl_enqueue_packet,
  nf_reinject,
  ctnetlink_change_timeout,
  br_forward,
  br_pass_frame_up,
  takenBy: () => true,
  // No condition of its own: 71d8c47fc653 introduces the test, later patches narrow or widen it.
  clashMergeable: () => true,
  clashWinnerUsable: (w) => !(w.status & IPS.DYING),
  // No clash is resolved before 71d8c47fc653 (v4.7), which adds allow_clash, true for UDP.
  allow_clash: () => false,
  countResolved: () => {},
  confirmClashStats: (stats) => {
    stats.insertFailed++;
  },
  // CONFIRMED is set with the insert (__nf_conntrack_hash_insert's caller), under the locks.
  confirmedAtLock: () => false,
  // nf_ct_should_gc: nf_ct_is_expired(ct) && nf_ct_is_confirmed(ct) && !nf_ct_is_dying(ct), in that order.
  shouldGcConfirmedFirst: () => false,
  // ____nf_conntrack_find: `if (nf_ct_is_dying(ct)) continue;` before nf_ct_key_equal; __nf_conntrack_find_get refuses
  // a DYING candidate and, when nf_ct_key_equal fails after the reference, puts it and walks again (`goto begin`).
  lookupSkipsDying: () => true,
  // nf_conntrack_helper_unregister: unhelp() on the unconfirmed lists' entries clears their helper; nothing is dropped.
  unconfirmedDyingOnDestroy: () => false,
  extGenid: () => false,
  // ctnl_timeout_try_del: freed once refcount_dec_if_one says no rule holds it (entries hold no reference).
  timeoutRefcounted: () => false,
  // get_next_corpse, after the buckets: `hlist_nulls_for_each_entry(h, n, &pcpu->unconfirmed, hnnode) { ... if
  // (iter(ct, data)) set_bit(IPS_DYING_BIT, &ct->status); }`; ctnl_untimeout walks the unconfirmed lists too.
  iterateUnconfirmed: () => true,
  // __nfqnl_enqueue_packet queues whatever it is given: an skb of an unconfirmed entry it shares with others too.
  nfqueueSharedCheck: () => "none",
  // No bridge LOCAL_IN hook of br_netfilter's (62e7151ae3eb adds br_nf_local_in).
  brLocalInAsserts: () => false,
};
