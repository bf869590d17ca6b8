/** The uniform-scheduler probability against closed forms and an independent path enumeration. */
import { describe, expect, it } from "vitest";
import type { Action, Model, Property } from "../src/engine/model.js";
import { actionWeights, violationProbability } from "../src/engine/probability.js";
import { runCheck } from "../src/app/check.js";
import { noDrop } from "../src/kernel/properties/properties.js";
import type { KState } from "../src/kernel/net/state.js";
import { resolveScenario } from "../src/scenario/registry.js";

/** Two actors with a and b steps; bad when actor 1 finishes while actor 0 has not. */
function race(a: number, b: number): { model: Model<[number, number]>; bad: Property<[number, number]> } {
  const steps = [a, b];
  return {
    model: {
      actorNames: ["x", "y"],
      encodedWords: 2,
      initialStates: () => [[0, 0]],
      actions: (s) => s.flatMap((v, i): Action[] => (v < steps[i]! ? [{ actor: i, choice: 0 }] : [])),
      next: (s, act) => (act.actor === 0 ? [s[0] + 1, s[1]] : [s[0], s[1] + 1]),
      encode: (s, out) => ((out[0] = s[0]), (out[1] = s[1]), 2),
      describe: () => "",
    },
    bad: { name: "y-first", kind: "invariant", description: "", violations: (s) => (s[1] === b && s[0] < a ? ["y-first"] : []) },
  };
}

const binom = (n: number, k: number): number => {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
};

describe("uniform-scheduler probability", () => {
  it("two CPUs with one step each: the second CPU is first with probability 1/2", () => {
    const { model, bad } = race(1, 1);
    const r = violationProbability(model, bad);
    expect(r.probability).toBe(0.5);
    expect(r.exact).toBe(true);
  });

  it("matches the negative-binomial closed form for a steps against b steps", () => {
    // While both can move each is picked with probability 1/2: y wins if its b
    // steps come before x's a steps: sum_{k<a} C(b-1+k, k) / 2^(b+k).
    for (const [a, b] of [
      [1, 2],
      [2, 1],
      [3, 3],
      [5, 2],
      [4, 6],
    ] as const) {
      let closed = 0;
      for (let k = 0; k < a; k++) closed += binom(b - 1 + k, k) / 2 ** (b + k);
      const { model, bad } = race(a, b);
      expect(violationProbability(model, bad).probability).toBeCloseTo(closed, 14);
    }
  });

  it("a nondeterministic choice splits its actor's share uniformly", () => {
    expect(actionWeights([{ actor: 0, choice: 0 }, { actor: 0, choice: 1 }, { actor: 0, choice: 2 }, { actor: 1, choice: 0 }])).toEqual([1 / 6, 1 / 6, 1 / 6, 1 / 2]);
  });

  it("equals an independent enumeration of every run with its probability (conntrack model)", () => {
    for (const [scenario, kernel] of [
      ["dns-a-aaaa", "v4.19"],
      ["dns-a-aaaa-2-endpoints", "v5.0"],
      ["dns-a-aaaa-2-endpoints", "v4.18"],
    ] as const) {
      const { model } = runCheck(resolveScenario(scenario), kernel);
      // Depth-first over runs (not states): multiply the scheduler's choices.
      const walk = (s: KState, p: number): number => {
        if (noDrop.violations(s).length > 0) return p;
        const acts = model.actions(s);
        const actors = new Set(acts.map((a) => a.actor));
        let sum = 0;
        for (const a of acts) {
          const mine = acts.filter((b) => b.actor === a.actor).length;
          sum += walk(model.next(s, a), p / actors.size / mine);
        }
        return sum;
      };
      const enumerated = walk(model.initialStates()[0]!, 1);
      expect(violationProbability(model, noDrop).probability).toBeCloseTo(enumerated, 14);
    }
  });

  it("is exactly 0 where the verdict holds and positive where it is violated", () => {
    for (const scenario of ["dns-a-aaaa", "dns-a-aaaa-2-endpoints", "no-nat"]) {
      for (const kernel of ["v4.6", "v4.18", "v4.19", "v5.0", "v4.18+1032812"]) {
        const run = runCheck(resolveScenario(scenario), kernel, noDrop);
        const p = violationProbability(run.model, noDrop);
        if (run.result.verdict === "holds") expect(p.probability).toBe(0);
        else {
          expect(p.probability).toBeGreaterThan(0);
          expect(p.probability).toBeLessThanOrEqual(1);
        }
        expect(p.byClass.map((c) => c.name).sort()).toEqual(run.result.violations.map((v) => v.name).sort());
        expect(p.byProperty["no-drop"]).toBe(p.probability);
      }
    }
  });
});
