/**
 * nf_nat_bysource held up to the order no walk reads (packed.ts, sortBysourceRuns) is sound: on every built-in
 * scenario and release, unreduced and under symmetry, the search finds the same verdict, the same classes at the
 * same shortest depth, and no more states than with the list's whole order kept.
 */
import { it, expect } from "vitest";
import { readdirSync } from "node:fs";
import { propertiesOf, REDUCTIONS } from "../src/app/check.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { conntrackModel } from "../src/model/model.js";
import { search } from "../src/engine/search.js";
import { rebuildPath } from "../src/engine/path.js";
import { countPreemptions, rebuildPreferred } from "../src/engine/preemption.js";
import { oneFlowScenario } from "../src/scenario/one-flow.js";
it("finds what the whole order finds, in no more states", () => {
  let n = 0;
  for (const f of readdirSync("models")) {
    const sc = resolveScenario(f.replace(/\.yaml$/, ""));
    for (const { name } of RELEASES) for (const red of ["none", "symmetry"] as const) {
      const a = search(conntrackModel(sc, resolveKernel(name), { bysourceOrder: true }), propertiesOf(sc), { reduce: REDUCTIONS[red], maxStates: 400000 });
      const b = search(conntrackModel(sc, resolveKernel(name)), propertiesOf(sc), { reduce: REDUCTIONS[red], maxStates: 400000 });
      if (!a.complete || !b.complete) continue;
      n++;
      const cl = (r: typeof a) => r.violations.map((v) => `${v.property}/${v.name}@${v.depth}`).sort();
      expect([b.verdict, cl(b), b.terminalStates <= a.terminalStates], `${f} ${name} ${red}`).toEqual([a.verdict, cl(a), true]);
      expect(b.states).toBeLessThanOrEqual(a.states);
    }
  }
  expect(n).toBeGreaterThan(300);
}, 3_000_000);

// Found by review: with the view, entries of one nf_nat_bysource run share a place, and a state could
// canonicalise unlike its symmetric twin (a packet continuing with one of two alike entries). Every stored
// state's paths must still replay, the fewest-preemption one with the count the search kept.
it("under symmetry every stored state replays (5 packets, replies, v5.6: NAT_CLASH entries out of the table, still in bysource)", () => {
  const sc = oneFlowScenario(5, true);
  const m = conntrackModel(sc, resolveKernel("v5.6"));
  const r = search(m, propertiesOf(sc), { reduce: REDUCTIONS.symmetry });
  expect(r.complete).toBe(true);
  let failed = 0;
  for (let i = 0; i < r.states; i++) {
    const best = rebuildPreferred(m, r.links, r.preferred!, i);
    if (countPreemptions(m, best) !== best.preemptions) failed++;
    rebuildPath(m, r.links, i);
  }
  expect(failed).toBe(0);
}, 300_000);
