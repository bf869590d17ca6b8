/**
 * The search's verdicts against the expected outcome table of
 * ../shared/kernel-reference.md section 6 (the spec), and the counterexamples
 * replayed to the drop they claim.
 */
import { describe, expect, it } from "vitest";
import { checkReport, counterexample, runCheck } from "../src/check.js";
import { rebuildPath } from "../src/engine/path.js";
import { classifyDrop } from "../src/kernel/classify.js";
import { Fate, type KState } from "../src/kernel/state.js";
import { resolveScenario } from "../src/scenario/registry.js";

// Reference section 6, rows "no NAT at all", "race 1", "race 2", "race 3", read
// for the built-in scenarios: which drop classes each kernel leaves reachable.
// dns-a-aaaa can show race 1 and race 2; with two endpoints also race 3.
// v4.18+1032812: 1032812 turns race 2 into race 1, which v4.18 still drops.
const SPEC: Record<string, Record<string, string[]>> = {
  "dns-a-aaaa": { "v4.6": ["race1", "race2"], "v4.18": ["race1", "race2"], "v4.19": ["race2"], "v5.0": [], "v4.18+1032812": ["race1"] },
  "dns-a-aaaa-2-endpoints": {
    "v4.6": ["race1", "race2", "race3"],
    "v4.18": ["race1", "race2", "race3"],
    "v4.19": ["race2", "race3"],
    "v5.0": ["race3"],
    "v4.18+1032812": ["race1", "race3"],
  },
  "no-nat": { "v4.6": ["race1"], "v4.18": [], "v4.19": [], "v5.0": [], "v4.18+1032812": [] },
};

function terminalStates(scenario: string, kernel: string): KState[] {
  const out: KState[] = [];
  runCheck(resolveScenario(scenario), kernel, "no-drop", {
    visit: (s) => {
      if (s.pkts.every((p) => p.fate !== Fate.PENDING)) out.push(s);
    },
  });
  return out;
}

const sum = (s: KState, f: "insertFailed" | "drop" | "clashResolve"): number => s.stats.reduce((a, c) => a + c[f], 0);

for (const [scenario, byKernel] of Object.entries(SPEC)) {
  describe(scenario, () => {
    for (const [kernel, classes] of Object.entries(byKernel)) {
      it(`${kernel}: ${classes.length ? `violated by ${classes.join(", ")}` : "holds"}`, () => {
        const run = runCheck(resolveScenario(scenario), kernel);
        const r = run.result;
        expect(r.complete).toBe(true);
        expect(r.verdict).toBe(classes.length ? "violated" : "holds");
        expect(r.violations.map((v) => v.name).sort()).toEqual([...classes].sort());

        // Every class's counterexample replays from the initial state to a drop of that class.
        for (const v of r.violations) {
          const path = rebuildPath(run.model, r.links, v.first);
          expect(path.actions.length).toBe(v.depth);
          const last = path.states.at(-1)!;
          const dropped = last.pkts.filter((p) => p.fate === Fate.DROPPED);
          expect(dropped.length).toBeGreaterThan(0);
          expect(dropped.map((p) => classifyDrop(p.ct!, last.pkts[p.clashWith]!.ct!))).toContain(v.name);
          const steps = counterexample(run, v.name)!.steps;
          expect(steps.at(-1)!.decisive).toBe(true);
          expect(steps.at(-1)!.function).toBe("__nf_conntrack_confirm");
        }
      });
    }
  });
}

describe("counters follow each version (reference sections 5 and 6)", () => {
  it("v4.6 counts a clash in insert_failed only; v4.7+ also counts failed resolutions in drop", () => {
    for (const scenario of Object.keys(SPEC)) {
      for (const kernel of ["v4.6", "v4.18", "v4.19", "v5.0"]) {
        for (const s of terminalStates(scenario, kernel)) {
          const clashes = s.pkts.filter((p) => p.clashWith >= 0).length;
          const drops = s.pkts.filter((p) => p.fate === Fate.DROPPED).length;
          expect(sum(s, "insertFailed")).toBe(clashes);
          expect(sum(s, "drop")).toBe(kernel === "v4.6" ? 0 : drops);
          expect(sum(s, "clashResolve")).toBe(0);
        }
      }
    }
  });

  it("a resolved clash still counts insert_failed before v5.10 (the 'ok (IF)' cells)", () => {
    for (const [scenario, kernel] of [
      ["no-nat", "v4.18"],
      ["dns-a-aaaa", "v4.19"],
      ["dns-a-aaaa", "v5.0"],
    ] as const) {
      const resolved = terminalStates(scenario, kernel).filter((s) => s.pkts.some((p) => p.clashWith >= 0 && p.fate === Fate.ACCEPTED));
      expect(resolved.length).toBeGreaterThan(0);
      for (const s of resolved) {
        expect(sum(s, "insertFailed")).toBe(1);
        expect(sum(s, "drop")).toBe(0);
      }
    }
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
    expect(steps[loserSnat]!.note).toMatch(/taken by .* confirmed entry: port search picks 1024/);
    expect(steps[loserSnat]!.changes.join("\n")).toMatch(/=>\s+\S+ -> 10\.244\.0\.5:1024/);
  });

  it("race 1 on v4.18: both packets finish NAT before either confirms", () => {
    const steps = counterexample(runCheck(resolveScenario("dns-a-aaaa"), "v4.18"), "race1")!.steps;
    const firstConfirm = steps.findIndex((s) => s.function === "__nf_conntrack_confirm");
    const snats = steps.flatMap((s, i) => (s.function === "nf_nat_setup_info(SRC)" ? [i] : []));
    expect(snats).toHaveLength(2);
    expect(Math.max(...snats)).toBeLessThan(firstConfirm);
  });

  it("is deterministic: the same check gives the same counts and trace", () => {
    const a = checkReport(runCheck(resolveScenario("dns-a-aaaa-2-endpoints"), "v4.19"));
    const b = checkReport(runCheck(resolveScenario("dns-a-aaaa-2-endpoints"), "v4.19"));
    const strip = (r: typeof a) => ({ ...r, seconds: 0, statesPerSecond: 0 });
    expect(strip(a)).toEqual(strip(b));
  });

  it("DFS reaches the same verdict and drop classes as BFS", () => {
    for (const scenario of Object.keys(SPEC)) {
      for (const kernel of Object.keys(SPEC[scenario]!)) {
        const bfs = runCheck(resolveScenario(scenario), kernel).result;
        const dfs = runCheck(resolveScenario(scenario), kernel, "no-drop", { order: "dfs" }).result;
        expect(dfs.states).toBe(bfs.states);
        expect(dfs.violations.map((v) => [v.name, v.states]).sort()).toEqual(bfs.violations.map((v) => [v.name, v.states]).sort());
      }
    }
  });
});
