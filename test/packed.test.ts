/**
 * The search's fast path (states packed into words, decoded into scratch
 * states and stepped in place) against the plain path (whole states copied
 * per step): the same state graph for every built-in scenario and release,
 * and decode(encode(s)) equal to s for every reachable state.
 */
import { describe, expect, it } from "vitest";
import { resolveProperty } from "../src/app/check.js";
import { search, type SearchResult } from "../src/engine/search.js";
import { NO_REDUCTION } from "../src/engine/reduce.js";
import { conntrackModel } from "../src/model/model.js";
import { cloneState, type KState } from "../src/kernel/net/state.js";
import { RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";
import { hasSkbs } from "../src/scenario/scenario.js";

const graph = (r: SearchResult) => ({
  states: r.states,
  transitions: r.transitions,
  maxDepth: r.maxDepth,
  terminal: r.terminalStates,
  verdict: r.verdict,
  violations: r.violations.map((v) => ({ name: v.name, states: v.states, depth: v.depth })),
});

for (const name of builtinScenarioNames()) {
  describe(name, () => {
    const sc = resolveScenario(name);
    // One test a release: a release's searches stay well inside the time a test has.
    for (const { name: kernel } of RELEASES) it(`packed and plain exploration find the same graph, breadth- and depth-first: ${kernel}`, () => {
      {
        const k = resolveKernel(kernel);
        const property = resolveProperty(sc.replies ? "all-replied" : "no-drop");
        for (const order of ["bfs", "dfs"] as const) {
          const { inPlace: _, ...plain } = conntrackModel(sc, k);
          const b = graph(search(plain, property, { order }));
          expect(b.states).toBeGreaterThan(1);
          for (const portable of [false, true]) {
            const packed = conntrackModel(sc, k, { portable });
            expect(packed.inPlace, "the conntrack model has the fast path").toBeDefined();
            expect(graph(search(packed, property, { order })), `${kernel} ${order} portable=${portable}`).toEqual(b);
          }
        }
        // Symmetry picks the same representatives whichever way tuples are encoded.
        if (sc.packets.length > 1) {
          const symmetry = { symmetry: true, por: false };
          const ids = graph(search(conntrackModel(sc, k), property, { reduce: symmetry }));
          expect(graph(search(conntrackModel(sc, k, { portable: true }), property, { reduce: symmetry })), kernel).toEqual(ids);
        }
      }
    });

    for (const { name: kernel } of RELEASES) it(`every transition increases the progress measure, and the sweep keeps the search's numbering: ${kernel}`, () => {
      for (const reduce of [NO_REDUCTION, { symmetry: true, por: true }]) {
        const property = resolveProperty(sc.replies ? "all-replied" : "no-drop");
        const model = conntrackModel(sc, resolveKernel(kernel));
        if (sc.timed || sc.control.length || hasSkbs(sc)) {
          // The clock's steps, the control plane's, and the queue's and copies' (a test of CONFIRMED, a pass up through
          // br0) add no step to count: no measure, and the search keeps every fingerprint (check says so).
          expect(model.inPlace!.progress, kernel).toBeUndefined();
          expect(search(model, property, { reduce }).swept, kernel).toBe(false);
          continue;
        }
        const swept = search(model, property, { reduce });
        const kept = search(model, property, { reduce, sweep: false });
        // swept: no transition failed to increase the measure (else the search runs again without it).
        expect([swept.swept, swept.restarted, kept.swept], kernel).toEqual([true, false, false]);
        expect(graph(swept), kernel).toEqual(graph(kept));
        expect(swept.violations.map((v) => v.first)).toEqual(kept.violations.map((v) => v.first));
        for (let i = 0; i < swept.states; i++) expect(swept.links.parentOf(i) * 256 + swept.links.viaOf(i)).toBe(kept.links.parentOf(i) * 256 + kept.links.viaOf(i));
      }
    });

    for (const { name: kernel } of RELEASES) it(`every reachable state survives encode and decode unchanged (nf_nat_bysource up to its view), in both forms: ${kernel}`, () => {
      for (const portable of [false, true]) {
        const model = conntrackModel(sc, resolveKernel(kernel), { portable });
        const { inPlace: _, ...plain } = model;
        const ip = model.inPlace!;
        const into = ip.scratch();
        const words = new Int32Array(model.encodedWords);
        const seen: KState[] = [];
        search(plain, resolveProperty("no-drop"), { visit: (s) => void seen.push(cloneState(s)) });
        const again = new Int32Array(model.encodedWords);
        for (const s of seen) {
          const len = model.encode(s, words);
          expect(len).toBe(model.encodedWords);
          const back = ip.decode(words, 0, len, into);
          // nf_nat_bysource comes back with equal neighbours in the one order the encoding keeps (packed.ts), the rest exactly.
          expect({ ...back, bysource: [] }).toEqual({ ...s, bysource: [] });
          expect([...back.bysource].sort()).toEqual([...s.bysource].sort());
          expect(model.encode(back, again)).toBe(len);
          expect(again).toEqual(words);
        }
      }
    });
  });
}

describe("the packed status", () => {
  it("holds exactly the bits the model tracks", async () => {
    const { STATUS_MASK } = await import("../src/model/packed.js");
    const { IPS_TRACKED } = await import("../src/kernel/net/conn.js");
    expect(STATUS_MASK).toBe(IPS_TRACKED);
  });
});
