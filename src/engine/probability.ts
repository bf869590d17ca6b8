/**
 * Exact probability that one run reaches a bad state when, at every step, the
 * scheduler picks uniformly among the actors that can move and the chosen
 * actor picks uniformly among its own alternatives (its nondeterministic
 * choice). Computed over the whole reachable state graph, not sampled.
 */
import type { Action, Model, Property } from "./model.js";
import { fingerprint } from "./fingerprint.js";
import { FingerprintTable } from "./fptable.js";

export interface ProbabilityResult {
  /** Probability that the run violates the property at all. */
  readonly probability: number;
  /** Probability that the run shows each violation class. */
  readonly byClass: Record<string, number>;
  readonly states: number;
  /** False when the graph had cycles and the values come from iteration to 1e-15. */
  readonly exact: boolean;
}

/** Probability of each action of `acts` under the uniform scheduler. */
export function actionWeights(acts: readonly Action[]): number[] {
  const perActor = new Map<number, number>();
  for (const a of acts) perActor.set(a.actor, (perActor.get(a.actor) ?? 0) + 1);
  const actors = perActor.size;
  return acts.map((a) => 1 / actors / perActor.get(a.actor)!);
}

interface Graph {
  /** Successor list of each state: targets and probabilities. */
  succ: number[][];
  prob: number[][];
  classes: (readonly string[])[];
}

function buildGraph<S>(model: Model<S>, property: Property<S>, maxStates: number): Graph {
  const table = new FingerprintTable(256);
  const words = new Int32Array(model.encodedWords);
  const fp = new Uint32Array(2);
  const states: S[] = [];
  const g: Graph = { succ: [], prob: [], classes: [] };
  const indexOf = (s: S): number => {
    const len = model.encode(s, words);
    fingerprint(words, len, fp);
    const found = table.insert(fp[0]!, fp[1]!, states.length);
    if (found !== -1) return found;
    if (states.length >= maxStates) throw new RangeError(`probability: more than ${maxStates} states`);
    states.push(s);
    return states.length - 1;
  };
  const inits = model.initialStates();
  if (inits.length !== 1) throw new Error("probability: the model must have exactly one initial state");
  indexOf(inits[0]!);
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    const acts = model.actions(s);
    const w = actionWeights(acts);
    const succ: number[] = [];
    const prob: number[] = [];
    acts.forEach((a, k) => {
      succ.push(indexOf(model.next(s, a)));
      prob.push(w[k]!);
    });
    g.succ.push(succ);
    g.prob.push(prob);
    const bad = property.kind === "invariant" || acts.length === 0 ? property.violations(s) : [];
    g.classes.push(bad);
  }
  return g;
}

/** P(reach a target) from state 0; targets are absorbing. */
function reach(g: Graph, target: (i: number) => boolean): { p: number; exact: boolean } {
  const n = g.succ.length;
  const value = new Float64Array(n);
  const colour = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  let cyclic = false;
  // Post-order DFS with an explicit stack: exact on a DAG.
  const stack: [number, number][] = [[0, 0]];
  colour[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [v, k] = top;
    if (target(v)) {
      value[v] = 1;
      colour[v] = 2;
      stack.pop();
      continue;
    }
    const succ = g.succ[v]!;
    if (k < succ.length) {
      top[1]++;
      const u = succ[k]!;
      if (colour[u] === 0) {
        colour[u] = 1;
        stack.push([u, 0]);
      } else if (colour[u] === 1) cyclic = true;
      continue;
    }
    let sum = 0;
    const prob = g.prob[v]!;
    for (let j = 0; j < succ.length; j++) sum += prob[j]! * value[succ[j]!]!;
    value[v] = sum;
    colour[v] = 2;
    stack.pop();
  }
  if (!cyclic) return { p: value[0]!, exact: true };
  // Cycles: Gauss-Seidel value iteration from below until it stops moving.
  value.fill(0);
  for (let round = 0; round < 100_000; round++) {
    let delta = 0;
    for (let v = n - 1; v >= 0; v--) {
      let nv = 1;
      if (!target(v)) {
        nv = 0;
        const succ = g.succ[v]!;
        const prob = g.prob[v]!;
        for (let j = 0; j < succ.length; j++) nv += prob[j]! * value[succ[j]!]!;
      }
      delta = Math.max(delta, Math.abs(nv - value[v]!));
      value[v] = nv;
    }
    if (delta < 1e-15) break;
  }
  return { p: value[0]!, exact: false };
}

export function violationProbability<S>(model: Model<S>, property: Property<S>, maxStates = 5_000_000): ProbabilityResult {
  const g = buildGraph(model, property, maxStates);
  const all = reach(g, (i) => g.classes[i]!.length > 0);
  const names = [...new Set(g.classes.flat())];
  const byClass: Record<string, number> = {};
  let exact = all.exact;
  for (const c of names) {
    const r = reach(g, (i) => g.classes[i]!.includes(c));
    byClass[c] = r.p;
    exact &&= r.exact;
  }
  return { probability: all.p, byClass, states: g.succ.length, exact };
}
