import { it } from "vitest";
import { readdirSync } from "node:fs";
import { runCheck, counterexample, REDUCTIONS } from "../src/check.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { RELEASES } from "../src/kernel/variants.js";
import { preferredPath } from "../src/engine/preferred-search.js";
it("agrees", () => {
  const names = readdirSync("/work/main/models").map((f) => f.replace(/\.yaml$/, ""));
  let n = 0, bad = 0;
  for (const name of names) {
    const sc = resolveScenario(name);
    for (const k of RELEASES.map((r) => r.name)) {
      for (const red of ["none", "symmetry", "all"] as const) {
        const run = runCheck(sc, k, undefined, { reduce: REDUCTIONS[red], maxStates: 300000 });
        if (!run.result.complete) continue;
        for (const v of run.result.violations) {
          const cx = counterexample(run, v.name)!;
          const property = run.properties.find((p) => p.name === v.property)!;
          const isT = (s: any) => (property.kind === "invariant" || run.model.actions(s).length === 0) && property.violations(s).includes(v.name);
          const o = preferredPath(run.model, isT, v.depth + 3, 2_000_000);
          n++;
          if (!o) { console.log("oracle none", name, k, red, v.name); continue; }
          if (o.actions.length !== cx.path.actions.length || o.preemptions !== cx.preemptions || !cx.minimal) { bad++; console.log("DIFF", name, k, red, v.name, "oracle", o.actions.length, o.preemptions, "ours", cx.path.actions.length, cx.preemptions, cx.minimal); }
        }
      }
    }
  }
  console.log("compared", n, "bad", bad);
}, 3_000_000);
