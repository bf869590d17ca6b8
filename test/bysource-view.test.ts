/**
 * nf_nat_bysource held up to the order no walk reads (packed.ts, sortBysourceRuns) is sound: on every built-in
 * scenario and release, unreduced and under symmetry, the search finds the same verdict, the same classes at the
 * same shortest depth, and no more states than with the list's whole order kept.
 */
import { it, expect } from "vitest";
import { readdirSync } from "node:fs";
import { propertiesOf, REDUCTIONS } from "../src/check.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { conntrackModel } from "../src/kernel/model.js";
import { search } from "../src/engine/search.js";
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
