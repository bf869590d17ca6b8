/**
 * A bridged frame (scenario `bridge`; net/bridge/br_input.c, br_netfilter_hooks.c): br_netfilter ran inet conntrack
 * in the bridge's PREROUTING (S1, S2), so the frame carries an unconfirmed entry when the bridge copies it. Copies
 * share the entry (skb_clone takes a reference), and each goes on to a confirm of its own (docs/kernel.md, "Packets
 * that leave softirq").
 */
import type { Ctx } from "../kernel.js";
import { Fate, Pc, STALE, WARN, type KState } from "../net/state.js";
import { isConfirmed, makeCopy, putUninserted, skbEntry, skbRefs } from "../net/skb.js";
import { acceptQuery } from "./verdict.js";
import type { StepNote } from "../note.js";

/** The clones of bridged frame `p` (scenario `clones`), as the loader numbered them. */
export function clonesOf(ctx: Ctx, p: number): number[] {
  const out: number[] = [];
  ctx.sc.packets.forEach((q, i) => {
    if (q.cloneOf === p && q.copy === "clone") out.push(i);
  });
  return out;
}

/** br_forward for a `promisc` frame: the bridge forwards a copy out of each port (deliver_clone), sent on its own CPU,
 * before the frame goes up to br0's taps. */
export function br_forward(ctx: Ctx, st: KState, p: number): StepNote {
  const kids = clonesOf(ctx, p);
  for (const q of kids) makeCopy(st, p, q, skbEntry(st, p), Pc.CONFIRM);
  return ctx.explain ? { kind: "forward", clones: kids } : "";
}

/** br_pass_frame_up: the frame goes up through br0, through the bridge's LOCAL_IN hook (br_nf_local_in, from
 * 62e7151ae3eb, v6.8). A `promisc` frame (its clones forwarded before, br_forward) goes no further than br0's taps
 * (ip_rcv drops a frame for another host). A `broadcast` frame goes on up; a macvlan on br0 copies it for its
 * broadcast worker (macvlan_broadcast_enqueue), after LOCAL_IN. */
export function br_pass_frame_up(ctx: Ctx, st: KState, p: number): StepNote {
  const pkt = st.pkts[p]!;
  const promisc = ctx.sc.packets[p]!.bridge === "promisc";
  pkt.passedUp = true;
  const hook = ctx.k.br_nf_local_in ? ctx.k.br_nf_local_in(ctx, st, p) : undefined;
  // The hook's confirm may have accepted the frame as far as conntrack goes (its later confirm would find the entry
  // CONFIRMED); it still goes up, and is copied there, unless the confirm dropped it.
  const made = !promisc && pkt.fate !== Fate.DROPPED ? clonesOf(ctx, p) : [];
  for (const q of made) makeCopy(st, p, q, skbEntry(st, p), Pc.CONFIRM);
  if (promisc && pkt.fate === Fate.PENDING) {
    const e = skbEntry(st, p);
    acceptQuery(ctx, st, p);
    if (e >= 0 && !isConfirmed(st, e)) putUninserted(st, e);
  }
  return ctx.explain ? { kind: "pass-up", ...(hook !== undefined ? { hook } : {}), clones: made } : "";
}

/** Resets packet `p`'s entry (nf_reset_ct): it goes on untracked, and lets go of the entry. */
export function nf_reset_ct(st: KState, p: number): void {
  const e = skbEntry(st, p);
  st.pkts[p]!.reset = true;
  if (e >= 0 && !isConfirmed(st, e)) putUninserted(st, e);
}

/** 62e7151ae3eb (v6.8): br_nf_local_in, the bridge's LOCAL_IN hook at the last priority, confirms the entry of a
 * frame that is not for this host before it goes up, so that the copies made above see it confirmed. Before, it
 * WARNs when another skb still points at the unconfirmed entry (`WARN_ON_ONCE(refcount_read(&nfct->use) != 1)`, the
 * splat of CVE-2024-27018), and confirms anyway; 7d8dc1c7be8d (v6.11) resets the entry there instead. After confirm it
 * asserts `WARN_ON_ONCE(!nf_ct_is_confirmed(ct))` on `ct` as read before the call (ctx.k.brLocalInAsserts(), until
 * 479a54ab9208, v6.17): after a clash merge that is the loser, which the merge released. From 1397af5bfd7d (v5.19) to
 * 2d72afb34065 (v6.16) the loser carries the CONFIRMED bit confirm set when it took the locks, so the read passes. */
export function br_nf_local_in(ctx: Ctx, st: KState, p: number): StepNote {
  const pkt = st.pkts[p]!;
  const e = skbEntry(st, p);
  if (e < 0 || isConfirmed(st, e)) return ctx.explain ? { kind: "local-in", id: e, did: "confirmed-already", warn: false, stale: false } : "";
  // `WARN_ON_ONCE(refcount_read(&nfct->use) != 1)`, and on to confirm (7d8dc1c7be8d resets the entry instead).
  const shared = skbRefs(st, e) !== 1;
  if (shared) pkt.warn = WARN.LOCAL_IN_SHARED;
  // ct_hook->confirm(skb): nf_confirm, the wrapper's test and __nf_conntrack_confirm at once (no other CPU has the frame).
  let confirm = ctx.k.nf_conntrack_confirm(ctx, st, p);
  if (pkt.entered) confirm = ctx.k.nf_conntrack_confirm(ctx, st, p);
  let warn = false;
  let stale = false;
  if (ctx.k.brLocalInAsserts()) {
    stale = skbEntry(st, p) !== e;
    // From 1397af5bfd7d to 2d72afb34065 a loser carries the CONFIRMED bit confirm set under the locks.
    warn = !isConfirmed(st, e);
    if (stale) pkt.staleCt = STALE.LOCAL_IN;
    if (warn) pkt.warn = WARN.LOCAL_IN_UNCONFIRMED;
  }
  return ctx.explain ? { kind: "local-in", id: e, did: "confirm", confirm, warn, stale, ...(shared ? { shared } : {}) } : "";
}

/** 7d8dc1c7be8d (v6.11): br_nf_local_in refuses to confirm an unconfirmed entry another skb still points at:
 * `WARN_ON_ONCE(refcount_read(&nfct->use) != 1)`, then nf_reset_ct. */
export function localInShared(ctx: Ctx, st: KState, p: number): boolean {
  const e = skbEntry(st, p);
  if (e < 0 || isConfirmed(st, e) || skbRefs(st, e) === 1) return false;
  st.pkts[p]!.warn = WARN.LOCAL_IN_SHARED;
  nf_reset_ct(st, p);
  return true;
}
