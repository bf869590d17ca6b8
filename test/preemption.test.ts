/**
 * The fewest-preemption counterexample the breadth-first search works out as it goes (src/engine/preemption.ts)
 * against a second search over (state, last actor) pairs with no reduction (src/engine/preferred-search.ts, what
 * `check` ran before): on every built-in scenario, release and reduction, each class's counterexample is as short
 * as the shortest path to the class and has as few preemptions as any such path, and says it is minimal.
 */
import { expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { counterexample, REDUCTIONS, runCheck } from "../src/app/check.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { RELEASES } from "../src/kernel/variants.js";
import { preferredPath } from "../src/engine/preferred-search.js";
import type { KState } from "../src/kernel/net/state.js";

it("every class's counterexample has the oracle's length and preemptions, on every scenario, release and reduction", () => {
  const names = readdirSync("models").map((f) => f.replace(/\.yaml$/, ""));
  const differ: string[] = [];
  let compared = 0;
  for (const name of names) {
    const sc = resolveScenario(name);
    for (const { name: k } of RELEASES) {
      for (const red of ["none", "symmetry", "all"] as const) {
        const run = runCheck(sc, k, undefined, { reduce: REDUCTIONS[red], maxStates: 300_000 });
        if (!run.result.complete) continue;
        for (const v of run.result.violations) {
          const cx = counterexample(run, v.name)!;
          const property = run.properties.find((p) => p.name === v.property)!;
          const isTarget = (s: KState): boolean => (property.kind === "invariant" || run.model.actions(s).length === 0) && property.violations(s).includes(v.name);
          const oracle = preferredPath(run.model, isTarget, v.depth, 2_000_000);
          compared++;
          const where = `${name} ${k} ${red} ${v.name}`;
          if (!oracle) differ.push(`${where}: the oracle found no path within ${v.depth} steps`);
          else if (oracle.actions.length !== cx.path.actions.length || oracle.preemptions !== cx.preemptions || !cx.minimal) {
            differ.push(`${where}: oracle ${oracle.actions.length} steps, ${oracle.preemptions} preemptions; ours ${cx.path.actions.length}, ${cx.preemptions}, minimal ${cx.minimal}`);
          }
        }
      }
    }
  }
  expect(differ).toEqual([]);
  // Every built-in scenario with a violation took part.
  expect(compared).toBeGreaterThan(500);
}, 3_000_000);
