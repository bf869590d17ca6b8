import { describe, expect, it } from "vitest";
import type { Action, Model, Property } from "../src/engine/model.js";
import { search } from "../src/engine/search.js";
import { rebuildPath, ReplayError } from "../src/engine/path.js";
import { FingerprintTable } from "../src/engine/fptable.js";
import { fingerprint } from "../src/engine/fingerprint.js";

/** k independent processes, each a counter from 0 to n. */
function counters(k: number, n: number): Model<number[]> {
  return {
    actorNames: Array.from({ length: k }, (_, i) => `p${i}`),
    encodedWords: k,
    initialStates: () => [Array(k).fill(0)],
    actions: (s) => s.flatMap((v, i): Action[] => (v < n ? [{ actor: i, choice: 0 }] : [])),
    next: (s, a) => s.map((v, i) => (i === a.actor ? v + 1 : v)),
    encode: (s, out) => {
      s.forEach((v, i) => (out[i] = v));
      return s.length;
    },
    describe: (_s, a) => `p${a.actor}++`,
  };
}

const never: Property<number[]> = { name: "true", kind: "invariant", description: "", violations: () => [] };

/** counters(k, n) with the in-place path and a progress measure (by default the
 * sum of the counters: each step adds one), which lets the search sweep. */
function sweepingCounters(k: number, n: number, progress = (w: Int32Array, len: number): number => w.subarray(0, len).reduce((a, b) => a + b, 0)): Model<number[]> {
  return {
    ...counters(k, n),
    inPlace: {
      scratch: () => Array(k).fill(0),
      decode: (w, off, len, into) => {
        for (let i = 0; i < len; i++) into[i] = w[off + i]!;
        return into;
      },
      apply: (s, a) => void s[a.actor]!++,
      progress,
    },
  };
}

describe("engine against closed forms", () => {
  for (const [k, n] of [
    [1, 5],
    [2, 3],
    [3, 4],
    [4, 5],
    [6, 3],
  ] as const) {
    it(`${k} independent processes of ${n} steps: (n+1)^k states, k*n*(n+1)^(k-1) transitions`, () => {
      for (const order of ["bfs", "dfs"] as const) {
        const r = search(counters(k, n), never, { order });
        expect(r.states).toBe((n + 1) ** k);
        expect(r.transitions).toBe(k * n * (n + 1) ** (k - 1));
        expect(r.terminalStates).toBe(1);
        expect(r.verdict).toBe("holds");
        expect(r.complete).toBe(true);
      }
    });
  }

  it("BFS finds the shortest path to a bad state and replays it", () => {
    // Bad: the sum of the counters is 5 with p0 at 3; the shortest path has 5 steps.
    const bad: Property<number[]> = {
      name: "bad",
      kind: "invariant",
      description: "",
      violations: (s) => (s[0] === 3 && s[0]! + s[1]! + s[2]! === 5 ? ["hit"] : []),
    };
    const m = counters(3, 4);
    const r = search(m, bad);
    expect(r.verdict).toBe("violated");
    const hit = r.violations[0]!;
    expect(hit.depth).toBe(5);
    // states with s0 = 3 and s1 + s2 = 2: (0,2), (1,1), (2,0)
    expect(hit.states).toBe(3);
    const path = rebuildPath(m, r.links, hit.first);
    expect(path.actions).toHaveLength(5);
    expect(bad.violations(path.states.at(-1)!)).toEqual(["hit"]);
  });

  it("shortest path in a graph with a long and a short route", () => {
    // Nodes 0..9; from 0 a chain 0-1-2-...-9 and a shortcut 0->7; bad node 9.
    const edges: Record<number, number[]> = { 0: [1, 7] };
    for (let i = 1; i < 9; i++) edges[i] = [i + 1];
    const g: Model<number> = {
      actorNames: ["g"],
      encodedWords: 1,
      initialStates: () => [0],
      actions: (s) => (edges[s] ?? []).map((_, choice) => ({ actor: 0, choice })),
      next: (s, a) => edges[s]![a.choice]!,
      encode: (s, out) => ((out[0] = s), 1),
      describe: () => "",
    };
    const r = search(g, { name: "n9", kind: "invariant", description: "", violations: (s) => (s === 9 ? ["nine"] : []) });
    expect(r.violations[0]!.depth).toBe(3); // 0 -> 7 -> 8 -> 9
    expect(rebuildPath(g, r.links, r.violations[0]!.first).states).toEqual([0, 7, 8, 9]);
  });

  it("terminal properties are checked only on states without successors", () => {
    const r = search(counters(2, 2), { name: "t", kind: "terminal", description: "", violations: (s) => (s[0] === 2 ? ["end"] : []) });
    expect(r.violations).toEqual([expect.objectContaining({ name: "end", states: 1, depth: 4 })]);
  });

  it("a state budget ends the search incomplete, never holding", () => {
    const r = search(counters(4, 5), never, { maxStates: 100 });
    expect(r.verdict).toBe("incomplete");
    expect(r.complete).toBe(false);
    expect(r.budget).toBe("max-states");
    expect(r.states).toBeGreaterThanOrEqual(100);
    expect(r.states).toBeLessThan(6 ** 4);
  });

  it("reports a fingerprint collision probability that grows with the state count", () => {
    const small = search(counters(2, 3), never);
    const big = search(counters(4, 5), never);
    expect(small.collisionProbability).toBeGreaterThan(0);
    expect(big.collisionProbability).toBeGreaterThan(small.collisionProbability);
    expect(big.collisionProbability).toBeLessThan(1e-12);
  });
});

describe("sweep-line search (progress measure)", () => {
  it("finds the closed-form counts, forgetting passed levels, and the same numbering as keeping every fingerprint", () => {
    for (const [k, n] of [
      [2, 3],
      [4, 5],
      [6, 3],
    ] as const) {
      const swept = search(sweepingCounters(k, n), never);
      const kept = search(sweepingCounters(k, n), never, { sweep: false });
      expect(swept.swept).toBe(true);
      expect(kept.swept).toBe(false);
      expect(swept.states).toBe((n + 1) ** k);
      expect(swept.transitions).toBe(k * n * (n + 1) ** (k - 1));
      const links = (r: typeof swept): number[] => Array.from({ length: r.states }, (_, i) => r.links.parentOf(i) * 256 + r.links.viaOf(i));
      expect(links(swept)).toEqual(links(kept));
    }
    // Holding a level at a time: well under what every fingerprint takes.
    const big = [search(sweepingCounters(6, 5), never), search(sweepingCounters(6, 5), never, { sweep: false })];
    expect(big[0]!.fingerprintBytesPerState).toBeLessThan(big[1]!.fingerprintBytesPerState * 0.75);
  });

  it("a measure that does not increase on some transition, early or deep, or is no whole number: the search runs again without it, same result", () => {
    const sum = (w: Int32Array): number => w[0]! + w[1]! + w[2]!;
    for (const bad of [() => 0, (w: Int32Array) => (w[0]! === 2 ? 0 : 1 + sum(w)), (w: Int32Array) => (sum(w) === 10 ? 3 : sum(w)), (w: Int32Array) => sum(w) / 2]) {
      const r = search(sweepingCounters(3, 4, bad), never);
      expect([r.swept, r.restarted]).toEqual([false, true]);
      expect(r.states).toBe(5 ** 3);
      expect(r.transitions).toBe(3 * 4 * 5 ** 2);
    }
    expect(search(sweepingCounters(3, 4), never).restarted).toBe(false);
  });

  it("a state budget stops a sweeping search incomplete, with what it explored", () => {
    const r = search(sweepingCounters(4, 5), never, { maxStates: 500 });
    expect([r.swept, r.complete, r.verdict, r.budget]).toEqual([true, false, "incomplete", "max-states"]);
    expect(r.states).toBeGreaterThanOrEqual(500);
    expect(r.states).toBeLessThan(6 ** 4);
  });

  it("replays a swept search's counterexample, and notices a replay that takes another road", () => {
    const bad: Property<number[]> = { name: "bad", kind: "invariant", description: "", violations: (s) => (s[0] === 3 && s[1] === 2 ? ["hit"] : []) };
    const m = sweepingCounters(3, 4);
    const r = search(m, bad);
    expect(r.swept).toBe(true);
    const path = rebuildPath(m, r.links, r.violations[0]!.first);
    expect(path.actions).toHaveLength(5);
    expect(bad.violations(path.states.at(-1)!)).toEqual(["hit"]);
    // A model that steps differently on replay than in the search.
    const other: Model<number[]> = { ...m, next: (s, a) => s.map((v, i) => (i === a.actor ? v + 2 : v)) };
    expect(() => rebuildPath(other, r.links, r.violations[0]!.first)).toThrow(ReplayError);
  });
});

describe("fingerprint table", () => {
  it("keeps every entry through many resizes", () => {
    const t = new FingerprintTable(16);
    const words = new Int32Array(1);
    const fp = new Uint32Array(2);
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      words[0] = i;
      fingerprint(words, 1, fp);
      expect(t.insert(fp[0]!, fp[1]!, i)).toBe(-1);
    }
    expect(t.size).toBe(n);
    expect(t.capacity).toBeGreaterThan(16 * 1024);
    for (let i = 0; i < n; i += 7) {
      words[0] = i;
      fingerprint(words, 1, fp);
      expect(t.get(fp[0]!, fp[1]!)).toBe(i);
      expect(t.insert(fp[0]!, fp[1]!, 0)).toBe(i);
    }
  });

  it("holds more than 2^24 entries (where a JS Set throws)", () => {
    const t = new FingerprintTable(1 << 25);
    const n = (1 << 24) + 1000;
    let lost = 0;
    for (let i = 0; i < n; i++) {
      // distinct (hi, lo) pairs, spread by a multiplicative hash
      if (t.insert((Math.imul(i, 0x9e3779b1) >>> 0) | 1, i >>> 0, i) !== -1) lost++;
    }
    expect(lost).toBe(0);
    expect(t.size).toBe(n);
    for (const i of [0, 1, 12345, 1 << 24, n - 1]) expect(t.get((Math.imul(i, 0x9e3779b1) >>> 0) | 1, i >>> 0)).toBe(i);
  });
});

describe("reductions against closed forms", () => {
  const binom = (n: number, k: number): number => {
    let r = 1;
    for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
    return r;
  };
  /** Identical counters: sorting the counters is a symmetry; every step is private. */
  const symmetricCounters = (k: number, n: number): Model<number[]> => ({
    ...counters(k, n),
    canonical: (s) => [...s].sort((a, b) => a - b),
    isLocal: () => true,
  });

  it("symmetry: k identical processes of n steps leave C(n+k, k) states (multisets)", () => {
    for (const [k, n] of [
      [2, 3],
      [3, 4],
      [5, 2],
    ] as const) {
      const r = search(symmetricCounters(k, n), never, { reduce: { symmetry: true, por: false } });
      expect(r.states).toBe(binom(n + k, k));
    }
  });

  it("partial-order reduction: when every step is private one interleaving is left, k*n+1 states", () => {
    const r = search(symmetricCounters(4, 3), never, { reduce: { symmetry: false, por: true } });
    expect(r.states).toBe(4 * 3 + 1);
    expect(r.terminalStates).toBe(1);
  });

  it("a path found under symmetry replays through concrete states", () => {
    const m = symmetricCounters(3, 3);
    const bad: Property<number[]> = { name: "b", kind: "invariant", description: "", violations: (s) => (s[2] === 3 && s[0] === 0 ? ["b"] : []) };
    const r = search(m, bad, { reduce: { symmetry: true, por: false } });
    const v = r.violations[0]!;
    const path = rebuildPath(m, r.links, v.first);
    expect(path.actions).toHaveLength(v.depth);
    // the concrete path ends in a state whose representative has the class
    expect(bad.violations([...path.states.at(-1)!].sort((a, b) => a - b)).length + bad.violations(path.states.at(-1)!).length).toBeGreaterThan(0);
    for (let i = 0; i < path.actions.length; i++) expect(m.next(path.states[i]!, path.actions[i]!)).toEqual(path.states[i + 1]);
  });
});
