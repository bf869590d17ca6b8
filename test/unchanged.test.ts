/**
 * A scenario without time, limits or chains behaves as before them: every built-in scenario of commit 5d4bce5 (the
 * last one without time), on every release, unreduced, gives the verdict, state and transition counts and class
 * counts that commit's search gave. test/fixtures/results-5d4bce5.json is that build's output of
 * scripts/results-baseline.mjs (run in a worktree of 5d4bce5); a change a commit means to make is one this test reports.
 * Scenarios with conntrack-max are held to their verdict and classes only: since 5d4bce5 an evicted entry is freed
 * from nf_nat_bysource as the kernel frees it, which merges states that differed only there (a fix).
 * The counts are those of the model keeping nf_nat_bysource's whole order, as 5d4bce5 did; the search itself holds
 * it up to the order no walk reads (packed.ts), and the second test says that finds the same verdicts and classes
 * in no more states.
 * A scenario with a `conntrack -D` deleter on a kernel with 87e389b4c200 (the lookup returns DYING entries, v5.3) is held
 * to its verdict and classes in no more states: the lookup's change merges away schedules 5d4bce5 had (docs/changes.md, "What
 * changed when the lookup learned DYING entries").
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { propertiesOf, runCheck } from "../src/app/check.js";
import { conntrackModel } from "../src/model/model.js";
import { resolveKernel } from "../src/kernel/variants.js";
import { search } from "../src/engine/search.js";
import { resolveScenario } from "../src/scenario/registry.js";

interface Row {
  readonly scenario: string;
  readonly kernel: string;
  readonly verdict: string;
  readonly states: number;
  readonly transitions: number;
  readonly classes: Record<string, number>;
}
const rows = JSON.parse(readFileSync("test/fixtures/results-5d4bce5.json", "utf8")) as Row[];

describe("every scenario of 5d4bce5 finds what it found then", () => {
  for (const name of [...new Set(rows.map((r) => r.scenario))]) {
    it(name, () => {
      const sc = resolveScenario(name);
      expect([sc.timed, sc.chains]).toEqual([false, undefined]);
      for (const r of rows.filter((x) => x.scenario === name)) {
        const res = search(conntrackModel(sc, resolveKernel(r.kernel), { bysourceOrder: true }), propertiesOf(sc), { reduce: { symmetry: false, por: false } });
        const now: Row = { scenario: name, kernel: r.kernel, verdict: res.verdict, states: res.states, transitions: res.transitions, classes: Object.fromEntries(res.violations.map((v) => [v.name, v.states])) };
        const dying = sc.deletes.length > 0 && resolveKernel(r.kernel).parts.includes("87e389b4c200");
        if (sc.conntrackMax > 0 || dying) expect([now.verdict, Object.keys(now.classes).sort()], r.kernel).toEqual([r.verdict, Object.keys(r.classes).sort()]);
        else expect(now).toEqual(r);
        if (dying) expect(now.states, r.kernel).toBeLessThanOrEqual(r.states);
        // The view of nf_nat_bysource: the same verdict and classes, each in no more states.
        const viewed = runCheck(sc, r.kernel, undefined, { reduce: { symmetry: false, por: false } }).result;
        expect([viewed.verdict, viewed.violations.map((v) => v.name).sort()], r.kernel).toEqual([r.verdict, Object.keys(r.classes).sort()]);
        expect(viewed.states).toBeLessThanOrEqual(now.states);
        for (const v of viewed.violations) expect(v.states).toBeLessThanOrEqual(now.classes[v.name]!);
      }
    });
  }
});
