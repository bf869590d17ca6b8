/** Time: timeouts, the clock's steps, the reapers (lookups, the gc worker, v4.6's timers), the chain limit, and what the search finds with them. */
import { hasSkbs } from "../src/scenario/scenario.js";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { runCheck } from "../src/app/check.js";
import { IPS } from "../src/kernel/net/conn.js";
import { conntrackModel, type ConntrackModel } from "../src/model/model.js";
import { Fate, Pc, Reply, type KState } from "../src/kernel/net/state.js";
import { RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { scenarioFromData } from "../src/scenario/load.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";
import type { Scenario } from "../src/scenario/scenario.js";
import { expectedOutcome } from "./fixtures/lifecycle-outcomes.js";
import { DNS_NODE } from "./fixtures/dns-node.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const UNREDUCED = { reduce: { symmetry: false, por: false } };
const classes = (sc: Scenario, kernel: string): string[] => runCheck(sc, kernel, undefined, UNREDUCED).result.violations.map((v) => v.name).sort();

/** Every state the search reaches, with the model that made it (copies: the search reuses its states). */
function reachable(sc: Scenario, kernel: string): { model: ConntrackModel; states: KState[] } {
  const model = conntrackModel(sc, resolveKernel(kernel));
  const states: KState[] = [];
  runCheck(sc, kernel, undefined, { ...UNREDUCED, visit: (s: KState) => void states.push(structuredClone(s)) });
  return { model, states };
}

const fileData = (name: string): Record<string, unknown> => parse(readFileSync(`models/${name}.yaml`, "utf8")) as Record<string, unknown>;
const withData = (name: string, change: Record<string, unknown>): Scenario => {
  const data: Record<string, unknown> = { ...fileData(name), ...change };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete data[k];
  return scenarioFromData(data, `${name} (test)`);
};

describe("a scenario whose clock cannot move finds what the scenario without time finds", () => {
  // reply-within 0 (replies at once) makes a scenario timed: the clock and the reaper exist, but no reply may wait
  // past 0 s, so the clock has no step and nothing expires. Verdicts and classes must be those without it; states
  // may be more, as a timed state also holds SEEN_REPLY, ASSURED and the timeouts (their values tell entries apart).
  for (const name of builtinScenarioNames()) {
    const sc = resolveScenario(name);
    if (sc.timed || !sc.replies || sc.packets.length > 5) continue;
    if (sc.protocol !== "udp" && sc.protocol !== "tcp") {
      // Their trackers' timeouts are not modelled, so time is refused for them (docs/kernel.md, "Protocols").
      it(`${name}: time is refused for a ${sc.protocol} flow`, () => expect(() => withData(name, { "reply-within": "0s" })).toThrow(/protocol: .*time/));
      continue;
    }
    if (hasSkbs(sc) && sc.packets.some((p) => p.cloneOf !== undefined || p.bridge !== undefined)) {
      // Copies and a bridge are not modelled with time (docs/scenarios.md); a queue is.
      it(`${name}: time is refused for queued or copied packets`, () => expect(() => withData(name, { "reply-within": "0s" })).toThrow(/is not modelled with time/));
      continue;
    }
    it(`${name}: the same verdict and classes on every release, and no fewer states`, () => {
      const timed = withData(name, { "reply-within": "0s" });
      expect(timed.timed).toBe(true);
      for (const r of RELEASES) {
        const a = runCheck(sc, r.name, undefined, UNREDUCED).result;
        const b = runCheck(timed, r.name, undefined, UNREDUCED).result;
        expect([b.verdict, b.violations.map((v) => v.name)], `${name} ${r.name}`).toEqual([a.verdict, a.violations.map((v) => v.name)]);
        expect(b.states, `${name} ${r.name}`).toBeGreaterThanOrEqual(a.states);
      }
    });
  }
});

describe("timeouts and the clock", () => {
  const late = resolveScenario("nat-clash-reply-late");

  it("the clock stops only at instants where something changes, never past the last a reply may come", () => {
    const { states } = reachable(late, "v5.10");
    const nows = [...new Set(states.map((s) => s.now))].sort((a, b) => a - b);
    // 0, B's NAT_CLASH entry dying at 1 s, the replies' last instant at 1.5 s: nothing else happens before 1.5 s.
    expect(nows).toEqual([0, 1000, 1500]);
  });

  it("a timeout is a duration until confirm adds the clock; a NAT_CLASH entry's is its insertion + 1 s, fixed", () => {
    const { states } = reachable(late, "v5.10");
    const nows = new Set(states.map((s) => s.now));
    let unconfirmed = 0;
    let clash = 0;
    for (const s of states) {
      for (const p of s.pkts) {
        if (!p.ct) continue;
        if (!(p.ct.status & IPS.CONFIRMED)) {
          unconfirmed++;
          expect(p.ct.timeout).toBe(30_000); // UDP_CT_UNREPLIED, relative
        } else if (p.ct.status & IPS.NAT_CLASH) {
          clash++;
          expect(p.ct.status & IPS.FIXED_TIMEOUT).toBeTruthy();
          expect(p.ct.timeout).toBe(1000); // inserted at 0 s: nfct_time_stamp + HZ
        } else expect(nows.has(p.ct.timeout - 30_000), String(p.ct.timeout)).toBe(true); // confirmed or refreshed at an instant the clock reached: then + 30 s
      }
    }
    expect(unconfirmed).toBeGreaterThan(0);
    expect(clash).toBeGreaterThan(0);
  });

  it("a 1 s entry expires before a 30 s one: no state has the 30 s entry expired and the 1 s one alive", () => {
    for (const s of reachable(late, "v6.12").states) {
      const live = s.table.filter((id) => !(s.pkts[id]!.ct!.status & IPS.DYING));
      const expired = (id: number) => s.pkts[id]!.ct!.timeout - s.now <= 0;
      for (const a of live) for (const b of live) if (s.pkts[a]!.ct!.timeout > s.pkts[b]!.ct!.timeout && expired(a)) expect(expired(b)).toBe(true);
    }
  });

  it("row 14.4 (docs/kernel.md), NAT_CLASH entry expired before its reply: v5.0 drops B at confirm instead, v5.6 and later lose the reply", () => {
    for (const k of ["v5.0", "v5.6", "v5.9", "v5.10", "v6.12"]) {
      const want = expectedOutcome("14.4", k);
      const got = classes(late, k);
      if (want === "B dropped at S5") {
        expect(got, k).toContain("race3");
        expect(got, k).not.toContain("reply-expired");
      } else {
        expect(want, k).toBe("reply lost");
        expect(got, k).toContain("reply-expired");
      }
      // With every answer at once the same releases hold: the loss needs the late reply the search scheduled.
      expect(classes(withData("nat-clash-reply-late", { "reply-within": undefined }), k), k).not.toContain("reply-expired");
    }
  });

  it("the trace names the clock's step as the cause and the entry's fixed 1 s", () => {
    const r = cli("trace", "nat-clash-reply-late", "--kernel", "v5.10", "--class", "reply-expired", "--format", "json");
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out) as { explanation: { class: string; rule: string; causeStep: number; text: string }; steps: { actor: string; function: string; note: string; changes: string[] }[] };
    expect(j.explanation.rule).toBe("expired");
    const cause = j.steps[j.explanation.causeStep - 1]!;
    expect([cause.actor, cause.function]).toEqual(["clock", "tick"]);
    expect(cause.changes).toContain("clock 0 s  =>  1 s");
    expect(j.explanation.text).toMatch(/NAT_CLASH entry held until it timed out at 1 s \(IPS_FIXED_TIMEOUT/);
  });
});

describe("UDP's stream_ts and ASSURED with time (d535c8a69c19, b7b1d02fc439)", () => {
  // A flow answered at once, its socket's second query `at` later hits the entry with SEEN_REPLY set.
  const flowData = (at: string): Record<string, unknown> => ({
    ...DNS_NODE,
    name: "assured-later",
    description: "a flow's second query some time after the first was answered",
    cpus: 1,
    packets: [{ name: "Q1", cpu: 0 }, { name: "Q2", cpu: 0, at }],
    kernels: ["v6.12"],
  });
  const flow = (at: string): Scenario => scenarioFromData(flowData(at), "assured-later (test)");
  const ends = (sc: Scenario, k: string): KState[] => {
    const { model, states } = reachable(sc, k);
    return states.filter((s) => model.actions(s).length === 0);
  };
  const q1 = (s: KState) => s.pkts[0]!.ct!;

  it("v6.12: ASSURED only for a packet after stream_ts (2 s), and then 120 s; before it 30 s and not ASSURED", () => {
    for (const s of ends(flow("3s"), "v6.12")) expect([q1(s).status & IPS.ASSURED, q1(s).timeout]).toEqual([IPS.ASSURED, 3000 + 120_000]);
    for (const s of ends(flow("1.5s"), "v6.12")) expect([q1(s).status & IPS.ASSURED, q1(s).timeout]).toEqual([0, 1500 + 30_000]);
  });

  it("v5.10: ASSURED on any packet after the reply; the timeout waits for stream_ts all the same", () => {
    for (const s of ends(flow("1.5s"), "v5.10")) expect([q1(s).status & IPS.ASSURED, q1(s).timeout]).toEqual([IPS.ASSURED, 1500 + 30_000]);
    for (const s of ends(flow("3s"), "v5.10")) expect(q1(s).timeout).toBe(3000 + 120_000);
  });

  it("v4.6 (no stream_ts): 180 s once replied", () => {
    for (const s of ends(flow("1.5s"), "v4.6")) expect([q1(s).status & IPS.ASSURED, q1(s).timeout]).toEqual([IPS.ASSURED, 1500 + 180_000]);
  });

  it("past 30 s the entry has expired: from v4.9 Q2's lookup reaps it, v4.6's timer did at 30 s; Q2 makes a new one", () => {
    for (const k of ["v4.6", "v5.10"]) {
      for (const s of ends(flow("31s"), k)) {
        expect(s.pkts[0]!.expired, k).toBe(true);
        expect(s.pkts[1]!.uses, k).toBe(1);
      }
    }
  });

  it("v4.6 moves a confirmed entry's timer only by HZ or more (mod_timer_pending); v4.9+ writes now + extra", () => {
    // Q2 at 0.5 s, unreplied (no answer yet: replies at once would set SEEN_REPLY first), so 30 s again.
    const unreplied = (at: string): Scenario => scenarioFromData({ ...flowData(at), replies: false }, "unreplied (test)");
    for (const s of ends(unreplied("0.5s"), "v4.6")) expect(q1(s).timeout).toBe(30_000);
    for (const s of ends(unreplied("0.5s"), "v4.18")) expect(q1(s).timeout).toBe(30_500);
    for (const s of ends(unreplied("1s"), "v4.6")) expect(q1(s).timeout).toBe(31_000);
  });
});

describe("the reapers (lookup-reaps-expired)", () => {
  const sc = resolveScenario("lookup-reaps-expired");

  it("from v4.9 a lookup that reaps OLD sets DYING first: the other query's confirm can clash with it (dying-winner) until v6.12", () => {
    for (const k of ["v4.18", "v4.19", "v5.0", "v5.6", "v5.10"]) {
      expect(classes(sc, k), k).toContain("dying-winner");
      // A drop against OLD while the other packet's lookup holds it DYING and has not unlinked it yet.
      const during = reachable(sc, k).states.filter((s) => [1, 2].some((p) => s.pkts[p]!.fate === Fate.DROPPED && s.pkts[p]!.clashWith === 0 && s.pkts[3 - p]!.reaping === 0));
      expect(during.length, k).toBeGreaterThan(0);
    }
    // The gc worker does the same: its DYING before its unlink (the shortest trace).
    const r = cli("trace", "lookup-reaps-expired", "--kernel", "v5.10", "--class", "dying-winner", "--format", "json");
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out) as { steps: { actor: string; function: string; note: string; violation: string | null }[] };
    const reap = j.steps.findIndex((s) => /OLD's entry expired: nf_ct_gc_expired -> nf_ct_kill sets DYING/.test(s.note));
    const drop = j.steps.findIndex((s) => s.violation === "dying-winner");
    expect(reap).toBeGreaterThanOrEqual(0);
    expect(drop).toBeGreaterThan(reap);
    expect(j.steps[drop]!.note).toMatch(/clash with OLD's entry/);
  });

  it("the gc worker (v4.9+) and v4.6's timer reap too, in two steps; no query sent at 31 s finds OLD's entry", () => {
    for (const k of ["v4.6", "v5.10"]) {
      const { model, states } = reachable(sc, k);
      const reaper = model.actorNames.indexOf(k === "v4.6" ? "timer" : "gc");
      expect(reaper, k).toBeGreaterThan(0);
      let reaped = 0;
      for (const s of states) for (const a of model.actions(s)) if (a.actor === reaper && model.next(s, a).pkts[0]!.expired) reaped++;
      expect(reaped, k).toBeGreaterThan(0);
      // v4.6: the timer fires at 30 s, before the clock may go on; v4.9+: the lookups skip (and reap) it.
      expect(states.filter((s) => s.pkts.slice(1).some((p) => p.uses === 0)), k).toEqual([]);
    }
    // So v4.6 has no dying-winner here (its timer is through before A and AAAA are sent); v4.18's lookups reap while the other confirms.
    expect(classes(sc, "v4.6")).not.toContain("dying-winner");
  });

  it("v4.6's timer fires at its entry's expiry: the clock does not pass an expired entry whose timer has not run", () => {
    const { states } = reachable(sc, "v4.6");
    for (const s of states) {
      if (s.gc >= 0) continue;
      const overdue = s.table.filter((id) => !(s.pkts[id]!.ct!.status & IPS.DYING) && s.pkts[id]!.ct!.timeout < s.now);
      expect(overdue, `at ${s.now}`).toEqual([]);
    }
  });

  it("a kernel with f330a7fdbe16 but not b87a2f9199ea has no timer and no gc worker: only lookups reap", () => {
    const model = conntrackModel(sc, resolveKernel("v4.6+f330a7fdbe16"));
    expect(model.actorNames).toEqual(["cpu0", "cpu1", "clock"]);
  });

  it("no run is left with a packet half-reaped or the clock stopped before every reply came", () => {
    const { model, states } = reachable(sc, "v6.12");
    for (const s of states.filter((x) => model.actions(x).length === 0)) {
      expect(s.gc).toBe(-1);
      for (const p of s.pkts) {
        expect(p.reaping).toBe(-1);
        expect(p.pc).toBe(Pc.DONE);
        expect(p.reply).not.toBe(Reply.PENDING);
      }
    }
  });
});

describe("what a review of the time model found", () => {
  const base = { ...DNS_NODE, cpus: 1, kernels: ["v5.10"] };
  it("an after-reply packet's answer window starts when it is sent, not at 0 s", () => {
    const sc = scenarioFromData({ ...base, name: "after-reply-window", description: "t", "reply-within": "1.5s", packets: [{ name: "A", cpu: 0, at: "2s" }, { name: "B", cpu: 0, "after-reply": "A" }] }, "t");
    const late = reachable(sc, "v5.10").states.filter((s) => s.pkts[1]!.reply === Reply.DELIVERED && s.now > s.pkts[1]!.sentAt);
    expect(late.length).toBeGreaterThan(0);
    for (const s of late) expect(s.now).toBeLessThanOrEqual(s.pkts[1]!.sentAt + 1500);
  });

  it("a reply whose own entry ctnetlink deleted is reply-lost, though an older entry of its tuple timed out", () => {
    const sc = scenarioFromData({ ...base, cpus: 2, name: "misclass", description: "t", deletes: ["A"], packets: [{ name: "OLD", cpu: 0 }, { name: "A", cpu: 0, at: "31s" }, { name: "AAAA", cpu: 1, at: "31s" }] }, "t");
    const r = runCheck(sc, "v5.10", "all-replied", UNREDUCED).result;
    expect(r.violations.map((v) => v.name)).toContain("reply-lost");
    for (const s of reachable(sc, "v5.10").states) {
      if (s.pkts[1]!.reply === Reply.EXPIRED) expect(s.pkts[s.pkts[1]!.uses]!.expired || s.pkts[1]!.uses === 0).toBe(true);
    }
  });

  it("a reaped entry leaves nf_nat_bysource (freed: remove_nat_bysrc)", () => {
    for (const s of reachable(resolveScenario("lookup-reaps-expired"), "v5.10").states) for (const id of s.bysource) expect(s.pkts[id]!.expired, `${id}`).toBe(false);
  });

  it("a patch that sets a timeout in a scenario without time is a one-line error, exit 2", () => {
    const f = join(mkdtempSync(join(tmpdir(), "ctmc-time-")), "untimed.mjs");
    writeFileSync(f, 'export default { id: "untimed", title: "t", requires: [], apply: (base) => ({ nf_conntrack_udp_packet: (ctx, st, id, dir) => { st.pkts[id].ct.timeout = 7; return base.nf_conntrack_udp_packet(ctx, st, id, dir); } }) };\n');
    const r = cli("check", "dns-a-aaaa", "--kernel", "v5.10+untimed", "--patch", f);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/timeout or stream_ts was set in a scenario without time/);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });
});

describe("the SUSE patch with time: where the 2 s stream switch keeps it from helping", () => {
  it("on v6.12 it changes nothing though answers may come until 3 s; on v5.10 it makes some of B's NAT_CLASH entries ASSURED", () => {
    const r = cli("compare", "examples/scenarios/nat-clash-early-drop-3-queries-late.yaml", "--kernels", "v5.10,v5.10+nat-clash-assured,v6.12,v6.12+nat-clash-assured", "--patch", "examples/patches/nat-clash-assured.mjs", "--json");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { kernels: string[]; rows: { states: number; drops: { class: string; states: number }[] }[][] };
    const cell = (k: string) => j.rows[j.kernels.indexOf(k)]![0]!;
    const evicted = (k: string) => cell(k).drops.find((d) => d.class === "reply-evicted")?.states ?? 0;
    expect([cell("v6.12+nat-clash-assured").states, cell("v6.12+nat-clash-assured").drops]).toEqual([cell("v6.12").states, cell("v6.12").drops]);
    expect(evicted("v5.10+nat-clash-assured")).toBeGreaterThan(0);
    expect(evicted("v5.10+nat-clash-assured")).toBeLessThan(evicted("v5.10"));
  }, 120_000);
});

describe("the chain limit (d7e7747ac5c2, dns-long-chains)", () => {
  const sc = resolveScenario("dns-long-chains");
  it("row 12.5 (docs/kernel.md): no limit before v5.15, a drop at confirm after; counted in chaintoolong and insert_failed", () => {
    for (const k of ["v5.10", "v6.12"]) {
      const want = expectedOutcome("12.5", k);
      expect(classes(sc, k).includes("chain-too-long"), `${k}: ${want}`).toBe(want.startsWith("drop"));
    }
    const r = cli("compare", "dns-long-chains", "--kernels", "v6.12", "--json");
    const j = JSON.parse(r.out) as { rows: { counters: { insert_failed: number; chaintoolong?: number }[] }[][] };
    const counters = j.rows[0]![0]!.counters;
    expect(counters.length).toBeGreaterThan(0);
    for (const c of counters) expect(c.chaintoolong).toBe(c.insert_failed);
  });

  it("the (max_chainlen + 2)-th other node ends the walk: max + 1 of them pass (chainlen++ > max_chainlen)", () => {
    expect(classes(withData("dns-long-chains", { chains: { "max-chainlen": 1, "other-nodes": 2 } }), "v6.12")).toEqual([]);
    expect(classes(withData("dns-long-chains", { chains: { "max-chainlen": 1, "other-nodes": 3 } }), "v6.12")).toEqual(["chain-too-long"]);
  });

  it("a clash is found before the count runs out: the second query of the flow clashes as without the limit", () => {
    // Only a query that finds no node of its key is refused: A, B... each first of its flow; here both are the first (neither is inserted).
    const { model, states } = reachable(sc, "v6.12");
    for (const s of states.filter((x) => model.actions(x).length === 0)) for (const p of s.pkts) expect(p.fate).toBe(Fate.DROPPED);
  });
});

describe("bad time and chain input is one line, exit 2", () => {
  for (const [field, value, want] of [
    ["reply-within", "soon", /reply-within: expected a length of time with its unit, such as 500ms, 1\.5s or 2min/],
    ["reply-within", "2h", /reply-within: expected a length of time/],
    ["reply-within", 31, /reply-within: expected a length of time with its unit/],
    ["chains", { "max-chainlen": 9, "other-nodes": 1 }, /chains\.max-chainlen: expected a small limit, 0 to 3/],
  ] as const) {
    it(`${field}: ${JSON.stringify(value)}`, () => {
      const data = { ...fileData("dns-long-chains"), [field]: value };
      expect(() => scenarioFromData(data, "bad.yaml")).toThrow(want);
    });
  }
  it("chains and conntrack-max together are refused: the other flows' nodes would count against the limit", () => {
    expect(() => scenarioFromData({ ...fileData("dns-long-chains"), "conntrack-max": 2 }, "bad.yaml")).toThrow(/chains: expected chains or conntrack-max, not both/);
  });
  it("reply-within needs replies, and a packet has either at or after-reply", () => {
    expect(() => scenarioFromData({ ...fileData("dns-a-aaaa"), "reply-within": "1s" }, "bad.yaml")).toThrow(/reply-within: needs replies: true/);
    const data = fileData("lookup-reaps-expired");
    const packets = [...(data["packets"] as object[]), { name: "Z", cpu: 1, at: "1s", "after-reply": "OLD" }];
    expect(() => scenarioFromData({ ...data, packets }, "bad.yaml")).toThrow(/packets\[3\]\.at: expected either at \(a send time\) or after-reply/);
  });
});
