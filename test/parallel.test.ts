/**
 * The parallel search (worker threads, hash-partitioned breadth-first levels)
 * against the serial one: the same state graph, violation classes and
 * shortest depths; counterexamples that replay; the same numbering and
 * parents on every run; budgets that stop it and say so.
 */
import { describe, expect, it } from "vitest";
import { counterexample, REDUCTIONS, runCheck, type CheckOptions } from "../src/app/check.js";
import { rebuildPath } from "../src/engine/path.js";
import type { SearchResult } from "../src/engine/search.js";
import { oneFlowScenario } from "../src/scenario/one-flow.js";
import { resolveScenario } from "../src/scenario/registry.js";

const facts = (r: SearchResult) => ({
  verdict: r.verdict,
  complete: r.complete,
  states: r.states,
  transitions: r.transitions,
  terminal: r.terminalStates,
  maxDepth: r.maxDepth,
  // In the order they are listed (and the default counterexample picked): shallowest, ties by name.
  classes: r.violations.map((v) => ({ name: v.name, states: v.states, depth: v.depth })),
});

const CASES = [
  ["dns-a-aaaa-2-endpoints", "v4.18", "no-drop"],
  ["dns-3-packets", "v5.6", "all-replied"],
  ["dns-3-packets", "v5.9", "all-replied"],
  ["snat-port-race", "v5.0", "no-drop"],
  ["dying-winner", "v6.12", "no-drop"],
] as const;

describe("parallel search", () => {
  for (const [name, kernel, property] of CASES) {
    it(`${name} on ${kernel} (${property}): the serial search's graph and classes, with 2 and 3 workers, sweeping or keeping every fingerprint`, () => {
      const sc = resolveScenario(name);
      for (const [reduce, sweep] of [["none", true], ["symmetry", true], ["none", false]] as const) {
        const opts: CheckOptions = { reduce: REDUCTIONS[reduce], sweep };
        const serial = runCheck(sc, kernel, property, opts).result;
        expect(serial.workers).toBe(1);
        for (const workers of [2, 3]) {
          const run = runCheck(sc, kernel, property, { ...opts, workers });
          expect(run.result.workers).toBe(workers);
          expect([run.result.swept, run.result.restarted]).toEqual([sweep, false]);
          expect(facts(run.result), `${reduce}, ${workers} workers`).toEqual(facts(serial));
          // Every class's first state is rebuilt by replay, at its breadth-first depth, and shows the class.
          for (const v of run.result.violations) {
            const path = rebuildPath(run.model, run.result.links, v.first);
            expect(path.actions.length).toBe(v.depth);
            const last = path.states[path.states.length - 1]!;
            const prop = run.properties.find((p) => p.name === v.property)!;
            const shown = prop.kind === "invariant" || run.model.actions(last).length === 0 ? prop.violations(last) : [];
            expect(shown).toContain(v.name);
            expect(counterexample(run, v.name)?.steps.length).toBe(v.depth);
          }
        }
      }
    });
  }

  it("numbers states and picks parents alike on every run", () => {
    // Big enough that successors cross between workers in many batches a level.
    const sc = oneFlowScenario(5);
    const runs = [0, 1, 2].map(() => runCheck(sc, "v5.0", "no-drop", { reduce: REDUCTIONS.none, workers: 2 }).result);
    const shape = (r: SearchResult) => ({
      firsts: r.violations.map((v) => [v.name, v.first]),
      links: Array.from({ length: r.states }, (_, i) => r.links.parentOf(i) * 256 + r.links.viaOf(i)),
    });
    expect(shape(runs[1]!)).toEqual(shape(runs[0]!));
    expect(shape(runs[2]!)).toEqual(shape(runs[0]!));
  });

  it("stops at --max-states and says so", () => {
    const sc = resolveScenario("dns-3-packets");
    const full = runCheck(sc, "v5.6", "no-drop", { reduce: REDUCTIONS.none }).result;
    const r = runCheck(sc, "v5.6", "no-drop", { reduce: REDUCTIONS.none, workers: 2, maxStates: 1500 }).result;
    expect(r.complete).toBe(false);
    expect(r.budget).toBe("max-states");
    expect(r.states).toBeGreaterThanOrEqual(1500);
    expect(r.states).toBeLessThan(full.states);
  });

  it("stops at --max-seconds and says so", () => {
    const sc = oneFlowScenario(6);
    const r = runCheck(sc, "v5.0", "no-drop", { reduce: REDUCTIONS.none, workers: 2, maxSeconds: 1 }).result;
    expect(r.complete).toBe(false);
    expect(r.budget).toBe("max-seconds");
    expect(r.states).toBeGreaterThan(0);
    // A stopped search still reports what it found: violated if it met a violation, else incomplete.
    expect(r.verdict).toBe(r.violations.length > 0 ? "violated" : "incomplete");
  });

  it("runs serially where workers cannot help: depth-first, or with a visit callback", () => {
    const sc = resolveScenario("dns-a-aaaa");
    expect(runCheck(sc, "v5.0", "no-drop", { workers: 2, order: "dfs" }).result.workers).toBe(1);
    expect(runCheck(sc, "v5.0", "no-drop", { workers: 2, visit: () => {} }).result.workers).toBe(1);
  });
});
