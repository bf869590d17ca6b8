/**
 * Steps return what happened as data (kernel/note.ts), report/notes.ts words it (issue 28). Every kind is worded in
 * one line; a user's step may pass a built-in step's note on; and the words are the ones the steps gave when they
 * built strings themselves: test/fixtures/notes-0518dd0.json holds every note of the counterexample of each
 * violation class of every built-in scenario on every release, as `trace` printed them at 0518dd0.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isNote, NOTE_KINDS, type Note } from "../src/kernel/note.js";
import { wordNote } from "../src/report/notes.js";
import { resolveScenario, builtinScenarioNames } from "../src/scenario/registry.js";
import { tuple } from "../src/kernel/net/tuple.js";
import { counterexample, runCheck } from "../src/app/check.js";
import { resolveKernel } from "../src/kernel/variants.js";
import { guardOf, HookFault } from "../src/user-patch/guards.js";
import { initialState } from "../src/kernel/net/state.js";
import type { Ctx } from "../src/kernel/kernel.js";

/** A scenario with two random DNAT endpoints, MASQUERADE and two packets. */
const sc = resolveScenario("dns-a-aaaa-2-endpoints");
const t = tuple(0, 40000, 1, 53);
const u = tuple(1, 53, 0, 1024);

/** At least one note of each kind, every variant of its words. The mapped type refuses a kind left out. */
const SAMPLES: { readonly [K in Note["kind"]]: readonly Extract<Note, { kind: K }>[] } = {
  hit: [
    { kind: "hit", id: 0, dir: "ORIGINAL" },
    { kind: "hit", id: 1, dir: "REPLY", reaped: 0, tracker: { kind: "nat-clash-kill", id: 1 } },
    { kind: "hit", id: 1, dir: "REPLY", tracker: "a user's tracker" },
  ],
  miss: [{ kind: "miss" }, { kind: "miss", reaped: 1 }],
  "expired-kill": [{ kind: "expired-kill", id: 0 }, { kind: "expired-kill", id: 0, reaped: 1 }],
  notrack: [{ kind: "notrack" }],
  "walk-reaches": [{ kind: "walk-reaches", id: 0, dir: "REPLY", slot: 2 }],
  "walk-unlinked": [{ kind: "walk-unlinked", id: 0 }],
  "lockless-miss": [
    { kind: "lockless-miss", reason: "freed" },
    { kind: "lockless-miss", reason: "dying", id: 1 },
    { kind: "lockless-miss", reason: "key-changed", now: -1 },
    { kind: "lockless-miss", reason: "key-changed", now: 1 },
  ],
  "walk-restart": [
    { kind: "walk-restart", now: -1 },
    { kind: "walk-restart", now: 1 },
  ],
  "unlink-crash": [{ kind: "unlink-crash", id: 0 }],
  "new-entry": [
    { kind: "new-entry", max: 0, evicted: [] },
    { kind: "new-entry", max: 2, evicted: [0, 1], tracker: "t" },
    { kind: "new-entry", max: 0, evicted: [], slot: { slot: 0, reused: true, was: 1 } },
    { kind: "new-entry", max: 0, evicted: [], slot: { slot: 0, reused: true, was: -1 } },
    { kind: "new-entry", max: 0, evicted: [], slot: { slot: 3, reused: false, was: -1 } },
  ],
  "table-full": [{ kind: "table-full", max: 2 }],
  dnat: [
    { kind: "dnat", endpoint: 1, of: 2, random: true },
    { kind: "dnat", endpoint: 0, of: 2, random: false },
  ],
  "dnat-null": [{ kind: "dnat-null" }],
  snat: [
    { kind: "snat", masquerade: true, how: { why: "free" } },
    { kind: "snat", masquerade: false, how: { why: "reuse" } },
    { kind: "snat", masquerade: true, how: { why: "keeps-dport" } },
    { kind: "snat", masquerade: true, how: { why: "random", offset: 7, port: 1031 } },
    { kind: "snat", masquerade: true, how: { why: "taken", by: 0, port: 1024 } },
    { kind: "snat", masquerade: true, how: { why: "out-of-range", port: 1024 } },
    { kind: "snat", masquerade: false, how: { why: "not-remapped" } },
    { kind: "snat", masquerade: false, how: { why: "free-new", by: 0 } },
    { kind: "snat", masquerade: false, how: { why: "given", port: 40000 } },
  ],
  inserted: [{ kind: "inserted" }],
  clash: [
    { kind: "clash", winner: 0, dir: "ORIGINAL", outcome: { kind: "merge", into: 0 } },
    { kind: "clash", winner: 0, dir: "REPLY", outcome: { kind: "insert" } },
    { kind: "clash", winner: 1, dir: "ORIGINAL", outcome: { kind: "drop" } },
  ],
  locks: [{ kind: "locks", confirmedEarly: false }, { kind: "locks", confirmedEarly: true }],
  "own-dying": [{ kind: "own-dying", dying: false }, { kind: "own-dying", dying: true }],
  chaintoolong: [{ kind: "chaintoolong", limit: 3 }],
  "reply-untracked": [{ kind: "reply-untracked", tuple: u }],
  "reply-unanswered": [{ kind: "reply-unanswered", to: t }],
  "reply-delivered": [{ kind: "reply-delivered", sent: u, id: 0, dir: "REPLY", delivered: u, tracker: { kind: "nat-clash-kill", id: 0 } }],
  "reply-misrouted": [{ kind: "reply-misrouted", sent: u, id: 1, dir: "REPLY", delivered: u, expected: t }],
  "reply-lost": [{ kind: "reply-lost", sent: u }],
  "reply-evicted": [{ kind: "reply-evicted", sent: u, id: 0 }],
  "reply-expired": [{ kind: "reply-expired", sent: u, id: 0, at: 31000 }],
  "nat-clash-kill": [{ kind: "nat-clash-kill", id: 1 }],
  "delete-mark": [{ kind: "delete-mark", id: 0 }],
  "delete-unlink": [{ kind: "delete-unlink", id: 0 }],
  rules: [{ kind: "rules", set: 0 }],
  dump: [{ kind: "dump", listed: [0], hidden: [] }, { kind: "dump", listed: [], hidden: [1] }],
  "flush-walk": [{ kind: "flush-walk", reached: [0, 1], missed: [], unconfirmed: [] }, { kind: "flush-walk", reached: [0], missed: [1], unconfirmed: [] }, { kind: "flush-walk", reached: [], missed: [], unconfirmed: [1] }],
  "delete-enoent": [{ kind: "delete-enoent", id: 1 }],
  "helper-removal": [
    { kind: "helper-removal", stage: "unconfirmed-destroy", entries: [0] },
    { kind: "helper-removal", stage: "synchronize_net", entries: [] },
    { kind: "helper-removal", stage: "bump-genid", entries: [1] },
    { kind: "helper-removal", stage: "iterate", entries: [] },
  ],
  "genid-drop": [{ kind: "genid-drop" }],
  "timeout-removal": [
    { kind: "timeout-removal", stage: "rule-removed", entries: [], freed: false },
    { kind: "timeout-removal", stage: "untimeout", entries: [0], freed: false },
    { kind: "timeout-removal", stage: "untimeout", entries: [], freed: false },
    { kind: "timeout-removal", stage: "free", entries: [1], freed: true },
    { kind: "timeout-removal", stage: "free", entries: [1], freed: false },
    { kind: "timeout-removal", stage: "free", entries: [], freed: true },
  ],
  "timer-fired": [{ kind: "timer-fired", id: 0 }],
  "reap-unlink": [{ kind: "reap-unlink", id: 0 }],
  "gc-left": [{ kind: "gc-left", id: 0 }],
  "gc-walk-reaches": [{ kind: "gc-walk-reaches", id: 0, slot: 1 }],
  "no-longer-expired": [{ kind: "no-longer-expired", saw: 0, now: 0 }, { kind: "no-longer-expired", saw: 0, now: 1 }, { kind: "no-longer-expired", saw: 0, now: -1 }],
  "expired-freed": [{ kind: "expired-freed", saw: 0 }],
  "should-gc-first": [
    { kind: "should-gc-first", id: 0, saw: 0, confirmedFirst: false, holds: true },
    { kind: "should-gc-first", id: 1, saw: 0, confirmedFirst: true, holds: false },
  ],
  "should-gc-rest": [
    { kind: "should-gc-rest", id: 0, confirmedFirst: false, holds: true },
    { kind: "should-gc-rest", id: 0, confirmedFirst: true, holds: false },
  ],
  "gc-patched": [{ kind: "gc-patched", id: 0, killed: true }, { kind: "gc-patched", id: 0, killed: false }],
  tick: [{ kind: "tick", now: 1500 }, { kind: "tick", now: 250 }],
  "confirm-test": [{ kind: "confirm-test", id: 0, confirmed: false }, { kind: "confirm-test", id: 0, confirmed: true }, { kind: "confirm-test", id: -1, confirmed: true }],
  "confirmed-clone": [{ kind: "confirmed-clone", id: 0 }],
  enqueue: [
    { kind: "enqueue", queued: [0, 1], dropped: [], segmented: true },
    { kind: "enqueue", queued: [], dropped: [0, 1], segmented: true },
    { kind: "enqueue", queued: [1], dropped: [], segmented: false },
  ],
  reinject: [
    { kind: "reinject", verdict: "drop" },
    { kind: "reinject", verdict: "accept", shared: true },
    { kind: "reinject", verdict: "accept", update: { kind: "update", found: 0, misrouted: true } },
    { kind: "reinject", verdict: "accept", update: "" },
    { kind: "reinject", verdict: "accept" },
  ],
  update: [{ kind: "update", found: -1, misrouted: false }, { kind: "update", found: 0, misrouted: false }],
  "pass-up": [
    { kind: "pass-up", clones: [1] },
    { kind: "pass-up", clones: [], hook: { kind: "local-in", id: 0, did: "confirmed-already", warn: false, stale: false } },
    { kind: "pass-up", clones: [], hook: "" },
  ],
  forward: [{ kind: "forward", clones: [1] }],
  "local-in": [
    { kind: "local-in", id: 0, did: "confirm", confirm: { kind: "inserted" }, warn: false, stale: false },
    { kind: "local-in", id: 0, did: "confirm", confirm: { kind: "clash", winner: 1, dir: "ORIGINAL", outcome: { kind: "merge", into: 1 } }, warn: true, stale: true },
    { kind: "local-in", id: 0, did: "confirm", warn: false, stale: true },
    { kind: "local-in", id: 0, did: "confirm", confirm: { kind: "inserted" }, warn: false, stale: false, shared: true },
    { kind: "local-in", id: 0, did: "reset-promisc", warn: false, stale: false },
    { kind: "local-in", id: 0, did: "reset-shared", warn: true, stale: false },
  ],
  chose: [
    { kind: "chose", note: { kind: "inserted" }, picks: [1, 0], of: [2, 3] },
    { kind: "chose", note: "", picks: [0], of: [2] },
  ],
};

describe("wordNote", () => {
  it("words every kind of note in one line, and the list of kinds is the union's", () => {
    expect([...NOTE_KINDS].sort()).toEqual(Object.keys(SAMPLES).sort());
    expect(Object.isFrozen(NOTE_KINDS)).toBe(true);
    for (const kind of NOTE_KINDS) {
      for (const n of SAMPLES[kind] as readonly Note[]) {
        expect(isNote(n)).toBe(true);
        const w = wordNote(n, sc);
        expect(w, kind).not.toBe("");
        expect(w, kind).not.toMatch(/[\u0000-\u001f\u007f-\u009f]|undefined|NaN|\[object/);
      }
    }
  });

  it("gives a user's words as they are, and the words each step gave when it built them", () => {
    expect(wordNote("", sc)).toBe("");
    expect(wordNote("my own words", sc)).toBe("my own words");
    const words = (n: Note): string => wordNote(n, sc);
    expect(words({ kind: "hit", id: 1, dir: "REPLY", reaped: 0, tracker: { kind: "nat-clash-kill", id: 1 } })).toBe(
      "nf_ct_delete_from_lists: A's expired entry unlinked; hit: AAAA's entry (REPLY); packet accepted; nf_conntrack_udp_refresh_unreplied: first reply of a NAT_CLASH entry, nf_ct_kill deletes it",
    );
    expect(words({ kind: "dnat", endpoint: 1, of: 2, random: true })).toBe("DNAT to 10.244.2.9:53 (endpoint 2 of 2, random)");
    expect(words({ kind: "snat", masquerade: true, how: { why: "taken", by: 0, port: 1024 } })).toBe("MASQUERADE: REPLY tuple taken by A's confirmed entry: port search picks 1024");
    expect(words({ kind: "new-entry", max: 0, evicted: [], slot: { slot: 0, reused: true, was: 1 } })).toBe("new unconfirmed entry in slot 0, the memory of AAAA's freed entry");
    expect(words({ kind: "new-entry", max: 2, evicted: [0, 1], slot: { slot: 3, reused: false, was: -1 } })).toBe("table full (nf_conntrack_max 2): early_drop evicted A's and AAAA's entry; new unconfirmed entry");
    expect(words({ kind: "should-gc-first", id: 1, saw: 0, confirmedFirst: true, holds: true })).toBe(
      "entry read expired (slot now AAAA's entry): nf_ct_gc_expired takes a reference on AAAA's entry; nf_ct_should_gc reads it CONFIRMED",
    );
    expect(words({ kind: "chose", note: { kind: "inserted" }, picks: [1, 0], of: [2, 3] })).toBe("no clash: entry inserted, CONFIRMED (patch chose 2 of 2, 1 of 3)");
    expect(words({ kind: "reply-expired", sent: u, id: 0, at: 31000 })).toBe("reply 10.96.0.10:53 -> 10.244.0.5:1024: no entry matches (A's timed out at 31 s), not translated back: lost");
  });
});

describe("a user's step may return a built-in step's note", () => {
  const ctx = { sc, explain: true } as unknown as Ctx;
  const run = (r: unknown): unknown => {
    const st = initialState(sc.packets.length, sc.cpus, 0);
    return (guardOf("init_conntrack")(() => r) as (...a: unknown[]) => unknown)(ctx, st, 0, 0);
  };
  const refused = (r: unknown): string => {
    try {
      run(r);
    } catch (e) {
      if (e instanceof HookFault) return e.text;
      throw e;
    }
    return "accepted";
  };
  it("takes a Note or a line of its own, as it is", () => {
    const note: Note = { kind: "new-entry", max: 0, evicted: [] };
    expect(run(note)).toBe(note);
    expect(run("")).toBe("");
    expect(run("mine")).toBe("mine");
    const tracker = guardOf("nf_conntrack_udp_packet")(() => ({ kind: "nat-clash-kill", id: 0 })) as (...a: unknown[]) => unknown;
    expect(tracker(ctx, initialState(sc.packets.length, sc.cpus, 0), 0, "REPLY")).toEqual({ kind: "nat-clash-kill", id: 0 });
  });
  it("refuses an object that is no note, and a string of two lines", () => {
    expect(refused({ kind: "mine" })).toMatch(/^returned \{ kind: "mine" \}: expected a string of one line .* or the note a built-in step returned$/);
    expect(refused({ note: "x" })).toMatch(/^returned/);
    expect(refused("two\nlines")).toMatch(/^returned/);
    expect(refused(42)).toMatch(/^returned 42: expected a string of one line/);
  });
});

interface Fixture {
  readonly commit: string;
  readonly notes: readonly string[];
  readonly traces: readonly (readonly [string, string, string, readonly number[]])[];
}

describe("the notes of every class's counterexample are worded as 0518dd0's steps worded them", () => {
  const fx = JSON.parse(readFileSync("test/fixtures/notes-0518dd0.json", "utf8")) as Fixture;
  const expected = new Map(fx.traces.map(([s, k, c, ix]) => [`${s} ${k} ${c}`, ix.map((i) => fx.notes[i]!)]));
  // The releases 0518dd0 named, and the scenarios it had: a later release or scenario has no wording to keep.
  const releases = [...new Set(fx.traces.map(([, k]) => k))];
  const NEWER = ["bridge-clones", "nfqueue-dns", "nfqueue-gso", "dnat-entry-deleted", "endpoint-removed", "endpoint-removed-resync", "flush-nat-clash", "gre-clash", "helper-removed", "icmp-echo-clash", "ipip-clash", "reverse-clash", "reverse-nat-direct", "timeout-removed"];
  it("the fixture covers releases and scenarios the tool still has", () => {
    expect(releases.length).toBeGreaterThanOrEqual(10);
    for (const k of releases) expect(() => resolveKernel(k)).not.toThrow();
    expect([...new Set(fx.traces.map(([s]) => s))].filter((s) => !builtinScenarioNames().includes(s))).toEqual([]);
  });
  for (const name of builtinScenarioNames().filter((n) => !NEWER.includes(n))) {
    it(name, () => {
      const scenario = resolveScenario(name);
      for (const release of releases) {
        const run = runCheck(scenario, release);
        for (const v of run.result.violations) {
          const key = `${name} ${release} ${v.name}`;
          const cx = counterexample(run, v.name)!;
          expect(
            cx.steps.map((s) => wordNote(s.note, scenario)),
            key,
          ).toEqual(expected.get(key));
          expected.delete(key);
        }
      }
      expect([...expected.keys()].filter((k) => k.startsWith(`${name} `)), "classes the fixture has and the search no longer finds").toEqual([]);
    });
  }
});
