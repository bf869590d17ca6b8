/**
 * The search asks the steps for no words: every kernel step, run as the search runs it (ctx.explain off), builds
 * no note, on every built-in scenario and release. (Traces ask for words, and get them: the trace tests.)
 */
import { describe, expect, it } from "vitest";
import { conntrackModel } from "../src/model/model.js";
import { search } from "../src/engine/search.js";
import { cloneState, type KState } from "../src/kernel/net/state.js";
import { propertiesOf } from "../src/app/check.js";
import { RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";

/** At most this many states of each search are stepped again. */
const SAMPLE = 150;

describe("no step builds words for the search", () => {
  for (const name of builtinScenarioNames()) {
    it(name, () => {
      const sc = resolveScenario(name);
      for (const r of RELEASES) {
        const model = conntrackModel(sc, resolveKernel(r.name));
        const states: KState[] = [];
        search(model, propertiesOf(sc), { reduce: { symmetry: false, por: false }, visit: (s) => void (states.length < SAMPLE && states.push(cloneState(s))) });
        expect(states.length, r.name).toBeGreaterThan(0);
        let worded = 0;
        let words = 0;
        for (const s of states) {
          for (const a of model.actions(s)) {
            if (model.apply(cloneState(s), a, false) !== "") worded++;
            if (model.apply(cloneState(s), a, true) !== "") words++;
          }
        }
        expect(worded, `${r.name}: quiet steps with a note`).toBe(0);
        // The same steps asked for words give them: the test would see a note built.
        expect(words, r.name).toBeGreaterThan(0);
      }
    });
  }
});
