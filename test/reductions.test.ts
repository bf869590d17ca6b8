/**
 * Soundness of the reductions, checked the practical way: for every built-in
 * scenario, kernel release and property, the verdict and the set of violation
 * classes are the same with symmetry, partial-order and both as with none.
 */
import { describe, expect, it } from "vitest";
import { REDUCTIONS, runCheck } from "../src/app/check.js";
import { RunOutcomes, counterKey } from "../src/kernel/properties/outcomes.js";
import { RELEASES } from "../src/kernel/variants.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";

for (const name of builtinScenarioNames()) {
  describe(name, () => {
    const sc = resolveScenario(name);
    for (const property of sc.replies ? ["no-drop", "all-replied"] : ["no-drop"]) {
      it(`${property}: every reduction gives the verdict, classes and end counters of --no-reduce, on every release`, () => {
        for (const { name: kernel } of RELEASES) {
          const facts = (reduce: keyof typeof REDUCTIONS) => {
            const out = new RunOutcomes();
            const r = runCheck(sc, kernel, property, { reduce: REDUCTIONS[reduce], visit: out.visit }).result;
            return { verdict: r.verdict, classes: r.violations.map((v) => v.name).sort(), counters: out.counterSets().map(counterKey), states: r.states };
          };
          const full = facts("none");
          for (const reduce of ["symmetry", "por", "all"] as const) {
            const red = facts(reduce);
            expect({ ...red, states: 0 }, `${kernel} --reduce ${reduce}`).toEqual({ ...full, states: 0 });
            expect(red.states).toBeLessThanOrEqual(full.states);
          }
        }
      });
    }
  });
}
