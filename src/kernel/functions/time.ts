/**
 * Time in a timed scenario (one with `reply-within` or a packet's `at`): the
 * clock nfct_time_stamp (jiffies at HZ 1000: ms), entry timeouts and their
 * refresh, and the clock's own step.
 *
 * ct->timeout holds a duration while the entry is unconfirmed and a time once
 * confirm added the clock (__nf_conntrack_confirm: `ct->timeout +=
 * nfct_time_stamp`); nf_ct_is_expired is `(s32)(timeout - now) <= 0`
 * (include/net/netfilter/nf_conntrack.h), so an unconfirmed entry's duration
 * read as a time looks expired, as the kernel's does.
 *
 * The clock is abstract: it stops only at the instants where something can
 * change, the next of: an entry's expiry, the first jiffy after a UDP entry's
 * stream_ts (time_after is strict), a packet's send time (`at`), the last
 * instant a pending reply may arrive (its `at` plus `reply-within`). A query's
 * way through the hooks (S1 to S5) takes no time on this scale: the clock does
 * not move while a query that was sent is not through. So what the search finds
 * happens at those instants; a schedule that needs a packet between two of them
 * (a refresh at 0.5 s, say) is not explored, which can hide an order of two
 * expiries but never adds a behaviour the kernel lacks.
 */
import { IPS } from "../net/conn.js";
import type { Ctx } from "../kernel.js";
import { Fate, Pc, Reply, type KState } from "../net/state.js";
import type { Scenario } from "../../scenario/scenario.js";
import type { StepNote } from "../note.js";

/** HZ: the model's clock counts milliseconds, as jiffies do at HZ 1000. */
export const HZ = 1000;

/** Does the scenario track what only a table limit or time reads: SEEN_REPLY and ASSURED? */
export const tracksLife = (sc: Scenario): boolean => sc.conntrackMax > 0 || sc.timed;

/** nf_ct_is_expired on entry `id`: (s32)(ct->timeout - nfct_time_stamp) <= 0. Never in a scenario without time. */
export function nf_ct_is_expired(ctx: Ctx, st: KState, id: number): boolean {
  return ctx.sc.timed && st.pkts[id]!.ct!.timeout - st.now <= 0;
}

/** v4.6's __nf_ct_refresh_acct, the timeout part, `extra` ms: none with IPS_FIXED_TIMEOUT; an unconfirmed
 * entry's becomes the duration (confirm adds the clock); a confirmed one's timer moves to now + extra
 * (mod_timer_pending) only when that is at least HZ later than it was (`newtime - expires >= HZ`). */
export function __nf_ct_refresh_acct(ctx: Ctx, st: KState, id: number, extra: number): void {
  if (!ctx.sc.timed) return;
  const ct = st.pkts[id]!.ct!;
  if (ct.status & IPS.FIXED_TIMEOUT) return;
  if (!(ct.status & IPS.CONFIRMED)) ct.timeout = extra;
  else if (st.now + extra - ct.timeout >= HZ) ct.timeout = st.now + extra;
}

/** f330a7fdbe16's __nf_ct_refresh_acct (no timer): a confirmed entry's timeout is now + extra, whatever it was. */
export function refreshStamp(ctx: Ctx, st: KState, id: number, extra: number): void {
  if (!ctx.sc.timed) return;
  const ct = st.pkts[id]!.ct!;
  if (ct.status & IPS.FIXED_TIMEOUT) return;
  ct.timeout = ct.status & IPS.CONFIRMED ? st.now + extra : extra;
}

/** When packet `p` is sent (ms from the start). */
export const sentAt = (sc: Scenario, p: number): number => sc.packets[p]!.at ?? 0;

/** The last instant packet `p`'s reply may reach the node: `reply-within` after its query was sent. */
export const replyDeadline = (sc: Scenario, st: KState, p: number): number => st.pkts[p]!.sentAt + sc.replyWithin;

/** Is packet `p`'s query sent and not through (or being sent now)? The clock waits for it. */
function inFlight(sc: Scenario, st: KState, p: number): boolean {
  const pkt = st.pkts[p]!;
  if (pkt.pc === Pc.DONE) return false;
  if (pkt.pc !== Pc.LOOKUP || pkt.reaping >= 0) return true;
  const dep = sc.packets[p]!.afterReply;
  if (dep !== undefined) return st.pkts[dep]!.reply === Reply.DELIVERED;
  return sentAt(sc, p) <= st.now;
}

/** Is the run over: every query through, every reply in? Then neither the clock nor a reaper moves. */
export function runOver(st: KState): boolean {
  for (const p of st.pkts) if (p.pc !== Pc.DONE || p.reply === Reply.PENDING) return false;
  return true;
}

/** The instant the clock may move to from `st`, or -1: none while a query is in flight, nor when
 * nothing is left to come; never past the last instant a pending reply may arrive. With `timers`
 * (v4.6) an expired entry's timer fires at its expiry: the clock waits until death_by_timeout is through. */
export function nextTick(sc: Scenario, st: KState, timers: boolean): number {
  if (!sc.timed) return -1;
  if (timers && (st.gc >= 0 || st.table.some((id) => !(st.pkts[id]!.ct!.status & IPS.DYING) && st.pkts[id]!.ct!.timeout - st.now <= 0))) return -1;
  let next = Infinity;
  let limit = Infinity;
  let waiting = false;
  const at = (t: number): void => {
    if (t > st.now && t < next) next = t;
  };
  for (let p = 0; p < st.pkts.length; p++) {
    const pkt = st.pkts[p]!;
    if (inFlight(sc, st, p)) return -1;
    if (pkt.pc === Pc.LOOKUP && pkt.fate === Fate.PENDING && sc.packets[p]!.afterReply === undefined) {
      waiting = true;
      at(sentAt(sc, p));
    }
    if (pkt.reply === Reply.PENDING) {
      waiting = true;
      const d = replyDeadline(sc, st, p);
      at(d);
      if (d < limit) limit = d;
    }
  }
  if (!waiting) return -1;
  for (const id of st.table) {
    const ct = st.pkts[id]!.ct!;
    if (ct.status & IPS.DYING) continue;
    at(ct.timeout);
    if (ct.streamTs > 0) at(ct.streamTs + 1);
  }
  return next <= limit && next !== Infinity ? next : -1;
}

/** The clock's step: nfct_time_stamp moves to the next instant (nextTick). */
export function tick(ctx: Ctx, st: KState): StepNote {
  const next = nextTick(ctx.sc, st, !ctx.k.nf_ct_gc_expired);
  if (next < 0) throw new Error("the clock has no step to take");
  st.now = next;
  return ctx.explain ? { kind: "tick", now: next } : "";
}

/** 1500 -> "1.5 s", 31000 -> "31 s", 250 -> "250 ms". */
export function formatMs(ms: number): string {
  return ms < 1000 && ms > 0 ? `${ms} ms` : `${ms / 1000} s`;
}
