/**
 * The search's verdicts against the expected outcome table of
 * docs/kernel.md, "Clash resolution per release", "Expected outcomes (clash races)"
 * and "Mitigations" (the spec), the counters each
 * version leaves, and the counterexamples replayed to the violation they claim.
 */
import { describe, expect, it } from "vitest";
import { checkReport, counterexample, runCheck } from "../src/app/check.js";
import { rebuildPath } from "../src/engine/path.js";
import { classifyDrop } from "../src/kernel/properties/classify.js";
import { allReplied, noDrop } from "../src/kernel/properties/properties.js";
import { cloneState, Fate, Pc, Reply, type KState } from "../src/kernel/net/state.js";
import { RELEASES } from "../src/kernel/variants.js";
import { compareVersions, parseVersion } from "../src/kernel/versions.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { wordNote } from "../src/report/notes.js";
import { wordChanges } from "../src/report/changes.js";

/** Every release the model tells apart (each other release is one of these kernels). */
const ALL: readonly string[] = RELEASES.map((r) => r.name);
type Release = string;
/** The releases older than `v` (which need not be one of ALL). */
const before = (v: Release): Release[] => ALL.filter((r) => compareVersions(parseVersion(r)!, parseVersion(v)!) < 0);

/** Which classes a property shows per kernel: docs/kernel.md's table "Expected outcomes (clash races)", read for each scenario. */
function spec(rows: [string[], Release[]][]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of ALL) out[k] = rows.flatMap(([classes, kernels]) => (kernels.includes(k) ? classes : [])).sort();
  return out;
}

// docs/kernel.md, table "Expected outcomes (clash races)", rows race1, race2, race3, no-nat, tcp
// and snat-port: race 1 drops until 4.19 (937963), race 2 until 5.0 (1032812), race 3 until 5.6;
// no NAT at all drops only on 4.6; TCP and the SNAT port race drop everywhere.
// Race 2 (a port NAT gave the loser) also shows where race 1 can: the loser's NAT ran after the winner confirmed.
const NO_DROP: Record<string, Record<string, string[]>> = {
  "dns-a-aaaa": spec([
    [["race1"], before("v4.19")],
    [["race2"], before("v5.0")],
  ]),
  "dns-a-aaaa-2-endpoints": spec([
    [["race1"], before("v4.19")],
    [["race2"], before("v5.0")],
    [["race3"], before("v5.6")],
  ]),
  "no-nat": spec([[["race1"], ["v4.6"]]]),
  "dns-3-packets": spec([
    [["race1"], before("v4.19")],
    [["race2"], before("v5.0")],
    [["race3"], before("v5.6")],
  ]),
  // TCP never resolves a clash; before 1032812 the loser may also have been re-ported.
  "tcp-syn": spec([
    [["race1"], [...ALL]],
    [["race2"], before("v5.0")],
  ]),
  // docs/kernel.md, "Mitigations".
  "single-request": spec([]),
  "single-request-reopen": spec([]),
  nodelocaldns: spec([]),
  // consistent hash: race 3 becomes race 1, so only races 1 and 2 remain, fixed by 4.19 and 5.0.
  "consistent-hash": spec([
    [["race1"], before("v4.19")],
    [["race2"], before("v5.0")],
  ]),
  "snat-port-race": spec([[["reply-clash"], [...ALL]]]),
  "snat-port-race-random-fully": spec([[["reply-clash"], [...ALL]]]),
};

// docs/kernel.md, row nat-clash-3-packets (and "NAT_CLASH entries"): v5.6-5.8 delete a
// NAT_CLASH entry on its first reply, so a packet
// merged into it loses its reply; c46172147ebb (v5.9) stops that.
const ALL_REPLIED: Record<string, Record<string, string[]>> = {
  "dns-3-packets": spec([[["reply-lost"], before("v5.9").filter((r) => !before("v5.6").includes(r))]]),
  "single-request": spec([]),
  "single-request-reopen": spec([]),
  nodelocaldns: spec([]),
  "consistent-hash": spec([]),
};

function checkAgainst(property: typeof noDrop, table: Record<string, Record<string, string[]>>): void {
  for (const [scenario, byKernel] of Object.entries(table)) {
    describe(`${property.name}: ${scenario}`, () => {
      for (const [kernel, classes] of Object.entries(byKernel)) {
        it(`${kernel}: ${classes.length ? `violated by ${classes.join(", ")}` : "holds"}`, () => {
          const run = runCheck(resolveScenario(scenario), kernel, property);
          const r = run.result;
          expect(r.complete).toBe(true);
          expect(r.verdict).toBe(classes.length ? "violated" : "holds");
          expect(r.violations.map((v) => v.name).sort()).toEqual(classes);
          // Every class's counterexample replays from the initial state to a state of that class.
          for (const v of r.violations) {
            const path = rebuildPath(run.model, r.links, v.first);
            expect(path.actions.length).toBe(v.depth);
            expect(property.violations(path.states.at(-1)!)).toContain(v.name);
            const steps = counterexample(run, v.name)!.steps;
            expect(steps).toHaveLength(v.depth);
            if (property === noDrop) expect(steps.at(-1)!.decisive && steps.at(-1)!.function).toBe("__nf_conntrack_confirm");
          }
        });
      }
    });
  }
}

checkAgainst(noDrop, NO_DROP);
checkAgainst(allReplied, ALL_REPLIED);

it("the spec's releases are the tool's, oldest first", () => {
  expect(ALL[0]).toBe("v4.6");
  expect(before("v4.19")).toEqual(["v4.6", "v4.7", "v4.9", "v4.13", "v4.18"]);
});

function terminalStates(scenario: string, kernel: string): KState[] {
  const out: KState[] = [];
  runCheck(resolveScenario(scenario), kernel, "no-drop", {
    visit: (s) => {
      // The search lends its scratch state to `visit`: keep a copy.
      if (s.pkts.every((p) => p.pc === Pc.DONE && p.reply !== Reply.PENDING)) out.push(cloneState(s));
    },
  });
  return out;
}

const sum = (s: KState, f: "insertFailed" | "drop" | "clashResolve"): number => s.stats.reduce((a, c) => a + c[f], 0);

describe("counters follow each version (docs/kernel.md, Counters)", () => {
  // insert_failed: every clash until 5.6; from 5.6 not for a NAT_CLASH insertion;
  // from 5.10 only failures. drop: failed resolutions from 4.7. clash_resolve: from 5.10.
  for (const kernel of ALL) {
    it(`${kernel}: insert_failed, drop and clash_resolve in every finished run`, () => {
      const at = ALL.indexOf(kernel);
      for (const scenario of Object.keys(NO_DROP)) {
        for (const s of terminalStates(scenario, kernel)) {
          const clashed = s.pkts.filter((p) => p.clashWith >= 0);
          const drops = clashed.filter((p) => p.fate === Fate.DROPPED).length;
          const inserts = clashed.filter((p) => p.fate === Fate.ACCEPTED && p.replyOnly).length;
          const merges = clashed.filter((p) => p.fate === Fate.ACCEPTED && !p.replyOnly).length;
          const v56 = at >= ALL.indexOf("v5.6");
          const v510 = at >= ALL.indexOf("v5.10");
          expect(sum(s, "insertFailed")).toBe(drops + (v510 ? 0 : merges) + (v56 ? 0 : inserts));
          expect(sum(s, "drop")).toBe(kernel === "v4.6" ? 0 : drops);
          expect(sum(s, "clashResolve")).toBe(v510 ? merges + inserts : 0);
        }
      }
    });
  }

  it("NAT_CLASH insertions happen, and only from v5.6", () => {
    const inserted = (k: string): number => terminalStates("dns-a-aaaa-2-endpoints", k).filter((s) => s.pkts.some((p) => p.replyOnly)).length;
    expect(inserted("v5.0")).toBe(0);
    expect(inserted("v5.6")).toBeGreaterThan(0);
    expect(inserted("v6.12")).toBeGreaterThan(0);
  });
});

describe("the races look the way the reference describes them", () => {
  it("race 2 on v4.19: the loser's source NAT runs after the winner's confirm and re-ports it to 1024", () => {
    const steps = counterexample(runCheck(resolveScenario("dns-a-aaaa"), "v4.19"), "race2")!.steps;
    const loser = steps.at(-1)!.packet;
    const winnerConfirm = steps.findIndex((s) => s.packet !== loser && s.function === "__nf_conntrack_confirm");
    const loserSnat = steps.findIndex((s) => s.packet === loser && s.function === "nf_nat_setup_info(SRC)");
    expect(winnerConfirm).toBeGreaterThanOrEqual(0);
    expect(loserSnat).toBeGreaterThan(winnerConfirm);
    expect(wordNote(steps[loserSnat]!.note, resolveScenario("dns-a-aaaa"))).toMatch(/taken by .* confirmed entry: port search picks 1024/);
    expect(wordChanges(steps[loserSnat]!.changes, resolveScenario("dns-a-aaaa")).join("\n")).toMatch(/=>\s+\S+ -> 10\.244\.0\.5:1024/);
  });

  it("race 1 on v4.18: both packets finish NAT before either confirms", () => {
    const steps = counterexample(runCheck(resolveScenario("dns-a-aaaa"), "v4.18"), "race1")!.steps;
    const firstConfirm = steps.findIndex((s) => s.function === "__nf_conntrack_confirm");
    const snats = steps.flatMap((s, i) => (s.function === "nf_nat_setup_info(SRC)" ? [i] : []));
    expect(snats).toHaveLength(2);
    expect(Math.max(...snats)).toBeLessThan(firstConfirm);
  });

  it("the v5.6 lost reply: a packet merged into a NAT_CLASH entry whose first reply deleted it", () => {
    const cx = counterexample(runCheck(resolveScenario("dns-3-packets"), "v5.6", "all-replied"), "reply-lost")!;
    const last = cx.path.states.at(-1)!;
    const lost = last.pkts.findIndex((p) => p.reply === Reply.LOST);
    const entry = last.pkts[lost]!.uses;
    // The lost reply's entry was a NAT_CLASH entry shared by two packets...
    expect(last.pkts[entry]!.replyOnly).toBe(true);
    expect(last.pkts.filter((p) => p.fate === Fate.ACCEPTED && p.uses === entry)).toHaveLength(2);
    // ...and another packet's reply deleted it before this one came back.
    expect(cx.steps.some((s) => /first reply of a NAT_CLASH entry, nf_ct_kill deletes it/.test(wordNote(s.note, resolveScenario("dns-3-packets"))))).toBe(true);
    expect(last.table).not.toContain(entry);
  });

  it("drops in the SNAT port race are clashes of two different flows on the REPLY tuple", () => {
    const last = counterexample(runCheck(resolveScenario("snat-port-race"), "v6.12"))!.path.states.at(-1)!;
    const dropped = last.pkts.find((p) => p.fate === Fate.DROPPED)!;
    expect(classifyDrop(dropped.ct!, last.pkts[dropped.clashWith]!.ct!)).toBe("reply-clash");
  });

  it("is deterministic: the same check gives the same counts and trace", () => {
    const a = checkReport(runCheck(resolveScenario("dns-3-packets"), "v5.6", "all-replied"));
    const b = checkReport(runCheck(resolveScenario("dns-3-packets"), "v5.6", "all-replied"));
    // Timings and the process's memory are measurements, not results.
    const strip = (r: typeof a) => ({ ...r, seconds: 0, statesPerSecond: 0, verdictSeconds: 0, peakMemoryMiB: 0, command: { wallSeconds: 0, peakMemoryMiB: 0 } });
    expect(strip(a)).toEqual(strip(b));
  });

  it("DFS reaches the same states and violation classes as BFS", () => {
    for (const scenario of Object.keys(NO_DROP)) {
      for (const kernel of ["v4.18", "v5.0", "v5.6", "v6.12"]) {
        const bfs = runCheck(resolveScenario(scenario), kernel).result;
        const dfs = runCheck(resolveScenario(scenario), kernel, undefined, { order: "dfs" }).result;
        expect(dfs.states).toBe(bfs.states);
        expect(dfs.violations.map((v) => [v.property, v.name, v.states]).sort()).toEqual(bfs.violations.map((v) => [v.property, v.name, v.states]).sort());
      }
    }
  });
});
