/**
 * Use cases return data, report/ words it: app/changes.ts returns each step's changes as Change records and
 * app/explain.ts each explanation's sentences as a Why; report/changes.ts and report/explanation.ts word every kind
 * as the use cases did when they built the strings themselves (a change in one line, an explanation in its sentences).
 */
import { describe, expect, it } from "vitest";
import type { Change } from "../src/app/changes.js";
import type { StepRef, Why } from "../src/app/explain.js";
import { wordChange } from "../src/report/changes.js";
import { wordWhy } from "../src/report/explanation.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { formatTuple, tuple } from "../src/kernel/net/tuple.js";
import { IPS } from "../src/kernel/net/conn.js";
import { Fate } from "../src/kernel/net/state.js";

/** Packets A (0) and AAAA (1). */
const sc = resolveScenario("dns-a-aaaa");
const t1 = tuple(0, 40000, 1, 53);
const t2 = tuple(2, 53, 0, 1024);
const f = (t: ReturnType<typeof tuple>): string => formatTuple(t, sc.addrs);

/** One of each kind (the Record makes the compiler ask for a new kind), and its words. */
const CHANGES: { readonly [K in Change["kind"]]: readonly [Extract<Change, { kind: K }>, string] } = {
  "ct-new": [{ kind: "ct-new", packet: 0, orig: t1, reply: t2 }, `A.ct = ORIGINAL ${f(t1)}, REPLY ${f(t2)} (unconfirmed)`],
  "ct-new-timeout": [{ kind: "ct-new-timeout", packet: 1, timeout: 30000, confirmed: false, streamTs: 2000 }, "AAAA.ct timeout 30 s from confirm, stream_ts 2 s"],
  "ct-timeout": [{ kind: "ct-timeout", packet: 0, from: 30000, fromConfirmed: false, to: 31000, toConfirmed: true }, "A.ct timeout 30 s from confirm  =>  31 s"],
  "ct-stream-ts": [{ kind: "ct-stream-ts", packet: 0, from: 0, to: 1000 }, "A.ct stream_ts 0 s  =>  1 s"],
  "ct-tuple": [{ kind: "ct-tuple", packet: 0, dir: "REPLY", from: t2, to: t1 }, `A.ct REPLY ${f(t2)}  =>  ${f(t1)}`],
  "ct-status": [{ kind: "ct-status", packet: 1, added: IPS.CONFIRMED, removed: 0 }, "AAAA.ct status +CONFIRMED"],
  fate: [{ kind: "fate", packet: 1, fate: Fate.DROPPED }, "AAAA DROPPED"],
  uses: [{ kind: "uses", packet: 1, uses: 0 }, "AAAA continues with A's entry"],
  freed: [{ kind: "freed", packet: 0, refs: 1 }, "A puts its entry (references left: 1)"],
  reaped: [{ kind: "reaped", packet: 0 }, "A's entry reaped: it had timed out"],
  "table-add": [{ kind: "table-add", id: 0, replyOnly: false }, "hash table += A's entry (ORIGINAL and REPLY nodes)"],
  "table-remove": [{ kind: "table-remove", id: 1 }, "hash table -= AAAA's entry"],
  "bysource-add": [{ kind: "bysource-add", id: 0 }, "nf_nat_bysource += A's entry"],
  "bysource-remove": [{ kind: "bysource-remove", id: 0 }, "nf_nat_bysource -= A's entry"],
  clock: [{ kind: "clock", from: 0, to: 1000 }, "clock 0 s  =>  1 s"],
  rover: [{ kind: "rover", from: 1024, to: 1025 }, "udp port rover 1024  =>  1025"],
  stat: [{ kind: "stat", cpu: 1, stat: "insertFailed", from: 0, to: 1 }, "cpu1 insert_failed 0  =>  1"],
};

describe("each change kind words to one line", () => {
  for (const [kind, [c, words]] of Object.entries(CHANGES)) {
    it(kind, () => {
      expect(wordChange(c, sc)).toBe(words);
      expect(words).not.toMatch(/\n/);
    });
  }
});

const confirm: StepRef = { step: 6, by: "packet", packet: 1, function: "__nf_conntrack_confirm" };
const clock: StepRef = { step: 4, by: "clock", now: 30000 };
const gc: StepRef = { step: 5, by: "reaper", function: "gc_worker", packet: 0 };
const del: StepRef = { step: 7, by: "delete" };
const A = { id: 0, natClash: false };
const B = { id: 1, natClash: true };

/** One of each kind, and its sentences. */
const WHYS: { readonly [K in Why["kind"]]: readonly [Extract<Why, { kind: K }>, string] } = {
  "lifetime-off": [
    { kind: "lifetime-off", packet: 0, step: 6, set: 30_000, lifetime: 32_000, verdict: { step: 4, by: "packet", packet: 0, function: "nf_reinject" } },
    "A's entry was confirmed at step 6 to live 32 s, not the 30 s its queue verdict set at step 4 (A's nf_reinject): ctnetlink_change_timeout stored now + t in the unconfirmed entry, and confirm added the clock again (fixed by 73db1b8f2bb6, v6.4)",
  ],
  "skb-drop": [
    { kind: "skb-drop", packet: 1, step: 7, cls: "confirmed-clone", entry: 0, linked: confirm },
    "AAAA was dropped at step 7 (confirmed-clone): __nf_conntrack_confirm found A's entry CONFIRMED by step 6 (AAAA's __nf_conntrack_confirm), another skb sharing it, once it held the locks: WARN_ON_ONCE",
  ],
  warn: [
    { kind: "warn", packet: 0, step: 7, cls: "confirmed-clone-warn", entry: 0, linked: confirm, dropped: true },
    "a WARN_ON fired at step 7 (confirmed-clone-warn): __nf_conntrack_confirm found A's entry CONFIRMED by step 6 (AAAA's __nf_conntrack_confirm) once it held the locks: another skb sharing the entry passed nf_conntrack_confirm's test with it and won; the packet is dropped",
  ],
  "stale-ct": [
    { kind: "stale-ct", packet: 1, step: 8, cls: "confirm-events", entry: 1, into: 0, linked: confirm },
    "at step 8 nf_conntrack_confirm delivered its cached events on AAAA's entry as read before confirm, which the merge into A's entry (linked at step 6 (AAAA's __nf_conntrack_confirm)) had released (confirm-events)",
  ],
  "misrouted-query": [
    { kind: "misrouted-query", packet: 1, step: 9, into: 0, route: { src: 2, sport: 53, dst: 0, dport: 40000 }, to: { src: 1, sport: 53, dst: 0, dport: 40000 }, dnat: { step: 3, by: "packet", packet: 1, function: "nf_nat_setup_info(DST)" }, linked: confirm },
    "AAAA was routed towards 10.244.1.7:53 at step 3 (AAAA's nf_nat_setup_info(DST)); at step 9 nf_conntrack_update attached it to A's entry, linked at step 6 (AAAA's __nf_conntrack_confirm), and rewrote it to 10.96.0.10:53: the route stayed (POSTROUTING), the packet left the wrong way and no answer came",
  ],
  "no-entry": [{ kind: "no-entry", packet: 0, step: 3 }, "A was dropped at step 3 (no-entry) before it had an entry: the scenario sets no conntrack-max, so a patch's step dropped it"],
  "table-full": [
    { kind: "table-full", packet: 0, step: 3, max: 1 },
    "A was dropped at step 3 (table-full): init_conntrack found 1 entry (nf_conntrack_max 1) and early_drop evicted nothing (the kernel's early_drop evicts only entries neither ASSURED nor DYING, and the chains it walked held none it could; an expired one it reaps on the way makes no room for this packet)",
  ],
  "dying-loser": [
    { kind: "dying-loser", packet: 1, step: 9, cls: "dying-loser", kill: gc },
    "AAAA was dropped at step 9 (dying-loser) by __nf_conntrack_confirm's test of its own entry: DYING, which step 5 (gc_worker on A's entry) had killed (a reaper whose walk reached its recycled memory); insert_failed, not inserted",
  ],
  "stale-survivor": [
    { kind: "stale-survivor", packet: 0, step: 7, endpoint: tuple(1, 53, 0, 40000), nat: { step: 3, by: "packet", packet: 0, function: "nf_nat_setup_info(DST)" }, dump: { step: 6, by: "control", function: "ctnetlink_dump_table" } },
    "A's entry, NATed to 10.96.0.10:53 at step 3 (A's nf_nat_setup_info(DST)), was linked at step 7, after step 6 (the control plane's ctnetlink_dump_table) had listed the table without it (unconfirmed, it was in no bucket): no delete saw it, and the flow's later packets go to the removed endpoint",
  ],
  "genid-drop": [
    { kind: "genid-drop", packet: 0, step: 5, bump: { step: 4, by: "control", function: "nf_ct_ext_bump_genid" } },
    "A was dropped at step 5 (genid-drop) by __nf_conntrack_confirm's nf_ct_ext_valid_pre: its extensions were stamped before step 4 (the control plane's nf_ct_ext_bump_genid) bumped the genid (c56716c69ce1); insert_failed, not inserted",
  ],
  "confirm-drop": [
    { kind: "confirm-drop", packet: 1, step: 9, cls: "chain-too-long", chains: { otherNodes: 3, maxChainlen: 2 } },
    "AAAA was dropped at step 9 (chain-too-long) by __nf_conntrack_confirm: its ORIGINAL chain held 3 nodes of other flows, past max_chainlen 2 + 1 (d7e7747ac5c2)",
  ],
  clash: [
    { kind: "clash", packet: 0, step: 10, cls: "race2", which: "ORIGINAL", tuple: t1, entry: { id: 1, natClash: false }, linked: confirm, dying: del },
    `A was dropped at step 10 (race2): __nf_conntrack_confirm found its ORIGINAL tuple ${f(t1)} in AAAA's entry, linked at step 6 (AAAA's __nf_conntrack_confirm), which step 7 (nf_ct_delete, conntrack -D) had marked DYING`,
  ],
  "lost-removed": [
    { kind: "lost-removed", packet: 1, sent: t2, entry: B, at: { step: 17, by: "packet", packet: 1, function: "nf_conntrack_udp_packet" }, how: "tracker-kill", protocol: "udp", replier: 1 },
    `AAAA's reply was lost: it was sent to ${f(t2)}, which no entry held after step 17 deleted AAAA's NAT_CLASH entry (nf_ct_kill, as the UDP tracker saw AAAA's reply)`,
  ],
  "lost-merged": [
    { kind: "lost-merged", packet: 1, sent: t2, at: confirm, into: 0, orig: t1, reply: t2, freed: true, everLinked: false },
    `AAAA's reply was lost: it was sent to ${f(t2)}, its own entry's REPLY tuple, but step 6 (AAAA's __nf_conntrack_confirm) merged AAAA into A's entry, whose tuples (ORIGINAL ${f(t1)}, REPLY ${f(t2)}) do not carry it, and freed its own entry, which was never linked`,
  ],
  "lost-none": [{ kind: "lost-none", packet: 0, sent: t2, step: 12 }, `A's reply was lost: it was sent to ${f(t2)}, which no entry held at step 12`],
  misrouted: [
    { kind: "misrouted", packet: 1, sent: t2, hit: 0, dir: "REPLY", delivered: t1, expected: t2, merged: { at: confirm, into: 0 }, linked: null },
    `AAAA's reply was misrouted: sent to ${f(t2)}, it matched A's entry (REPLY), which translated it to ${f(t1)}, not back to ${f(t2)} where AAAA's socket waits; step 6 (AAAA's __nf_conntrack_confirm) merged AAAA into A's entry`,
  ],
  unanswered: [
    { kind: "unanswered", packet: 1, left: confirm, own: false, uses: 0, sent: t2 },
    `AAAA's query went unanswered: it left at step 6 (AAAA's __nf_conntrack_confirm) with A's entry, whose REPLY tuple ${f(t2)} still has the service address as its source (no DNAT): it went to the virtual service address, where no host answers`,
  ],
  evicted: [
    { kind: "evicted", packet: 0, sent: t2, entry: A, at: { step: 5, by: "packet", packet: 1, function: "init_conntrack" }, by: 1 },
    `A's reply was lost: it was sent to ${f(t2)}, which A's entry held until step 5 (AAAA's init_conntrack): AAAA's init_conntrack found the table full and early_drop evicted it (not ASSURED)`,
  ],
  "evicted-none": [{ kind: "evicted-none", packet: 0, sent: t2 }, `A's reply was lost: the entry that held ${f(t2)} had been evicted`],
  "expired-none": [{ kind: "expired-none", packet: 0, sent: t2 }, `A's reply was lost: the entry that held ${f(t2)} had timed out`],
  expired: [
    { kind: "expired", packet: 1, sent: t2, entry: B, timeout: 1000, fixed: true, merge: null, replyAt: 2000, tick: clock },
    `AAAA's reply was lost: it was sent to ${f(t2)}, which AAAA's NAT_CLASH entry held until it timed out at 1 s (IPS_FIXED_TIMEOUT: no packet refreshes it); the reply came at 2 s, after step 4 (the clock, to 30 s)`,
  ],
  "crash-none": [{ kind: "crash-none", step: 8, cls: "unlink-unlinked" }, "the kernel went wrong at step 8 (unlink-unlinked)"],
  crash: [
    { kind: "crash", step: 8, cls: "unlink-unlinked", entry: A, reached: null, made: null, confirmed: confirm, kill: gc },
    "step 8 unlinked A's entry, which is not in the table (confirm never inserted it): the kernel crashes in hlist_nulls_del_rcu; step 6 (AAAA's __nf_conntrack_confirm) set IPS_CONFIRMED on it before deciding to insert; step 5 (gc_worker on A's entry) read it as nf_ct_should_gc wants (expired, CONFIRMED, not DYING, over two reads) and killed it",
  ],
};

describe("each explanation kind words to the sentences it was", () => {
  for (const [kind, [why, words]] of Object.entries(WHYS)) {
    it(kind, () => {
      expect(wordWhy(why, sc)).toBe(words);
      expect(words).not.toMatch(/\n/);
    });
  }
});
