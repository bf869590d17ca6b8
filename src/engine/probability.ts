/**
 * Exact probability that one run reaches a bad state when, at every step, the
 * scheduler picks uniformly among the actors that can move and the chosen
 * actor picks uniformly among its own alternatives (its nondeterministic
 * choice). Computed over the whole reachable state graph, not sampled.
 *
 * The graph is kept compact (successor lists in typed arrays, states not yet
 * expanded as their encodings) and built under the same budgets as a search:
 * states, seconds, the memory bound and a stop request. A graph a budget cut
 * short gives no probability: `complete` is false and says what stopped it.
 */
import type { Action, Model } from "./model.js";
import { classKey, PropertySet, type Properties } from "./properties.js";
import type { Budget, SearchOptions } from "./search.js";
import { fingerprint } from "./fingerprint.js";
import { FingerprintTable, TableTooLargeError } from "./fptable.js";
import { GrowableInt32, GrowableUint16, GrowableUint32 } from "./growable.js";
import { stopRequested } from "../runtime/control.js";
import { boundOf, MemoryWatch } from "../runtime/memory.js";

export interface ProbabilityResult {
  /** Probability that the run violates some property at all (NaN when incomplete). */
  readonly probability: number;
  /** Probability that the run violates each property. */
  readonly byProperty: Record<string, number>;
  /** Probability that the run shows each violation class. */
  readonly byClass: readonly ClassProbability[];
  readonly states: number;
  /** False when the graph had cycles and the values come from iteration to 1e-15. */
  readonly exact: boolean;
  /** False when a budget stopped building the graph: then there is no probability. */
  readonly complete: boolean;
  readonly budget?: Budget;
  readonly memoryBound: { bytes: number; source: string };
  readonly peakRssBytes: number;
  readonly memoryAtStop?: { rss: number; extra: number };
}

export interface ClassProbability {
  readonly property: string;
  readonly name: string;
  readonly probability: number;
}

/** Probability of each action of `acts` under the uniform scheduler. */
export function actionWeights(acts: readonly Action[]): number[] {
  const perActor = new Map<number, number>();
  for (const a of acts) perActor.set(a.actor, (perActor.get(a.actor) ?? 0) + 1);
  const actors = perActor.size;
  return acts.map((a) => 1 / actors / perActor.get(a.actor)!);
}

/** The same weights as two small numbers, exact: actors that can move, and this actor's alternatives. */
function weightCodes(acts: readonly Action[], out: number[]): void {
  const perActor = new Map<number, number>();
  for (const a of acts) perActor.set(a.actor, (perActor.get(a.actor) ?? 0) + 1);
  out.length = 0;
  for (const a of acts) out.push((perActor.size << 8) | perActor.get(a.actor)!);
}
const weightOf = (code: number): number => 1 / (code >>> 8) / (code & 255);

/** The graph in compressed rows: state v's successors are to[start[v] .. start[v+1]). */
interface Graph {
  readonly n: number;
  readonly start: Uint32Array;
  readonly to: Uint32Array;
  readonly weight: Uint16Array;
  /** Per state, an index into `classSets`. */
  readonly cls: Uint16Array;
  readonly classSets: readonly (readonly string[])[];
}

type Built = { graph: Graph; budget?: undefined } | { graph?: undefined; budget: Budget; states: number };

function buildGraph<S>(model: Model<S>, property: PropertySet<S>, opts: SearchOptions<S>, watch: MemoryWatch): Built {
  const maxStates = opts.maxStates ?? Infinity;
  const maxMs = (opts.maxSeconds ?? Infinity) * 1000;
  const started = performance.now();
  const table = new FingerprintTable(256);
  const words = new Int32Array(model.encodedWords);
  const fp = new Uint32Array(2);
  const inPlace = model.inPlace;
  // States found but not yet expanded, in order: encodings ([len, ...words]) or, without a decoder, the states.
  const queue = new GrowableInt32();
  let head = 0;
  const objects: (S | undefined)[] = [];
  const scratch = inPlace?.scratch();
  let found = 0;
  const start = new GrowableUint32();
  const to = new GrowableUint32();
  const weight = new GrowableUint16();
  const cls = new GrowableUint16();
  const classSets: string[][] = [[]];
  const setIndex = new Map<string, number>([["", 0]]);
  const indexOf = (s: S): number => {
    const len = model.encode(s, words);
    fingerprint(words, len, fp);
    const at = table.insert(fp[0]!, fp[1]!, found);
    if (at !== -1) return at;
    if (inPlace) {
      queue.reserve(len + 1);
      queue.data[queue.length++] = len;
      queue.data.set(words.subarray(0, len), queue.length);
      queue.length += len;
    } else objects.push(s);
    return found++;
  };
  const inits = model.initialStates();
  if (inits.length !== 1) throw new Error("probability: the model must have exactly one initial state");
  const codes: number[] = [];
  try {
    indexOf(inits[0]!);
    for (let i = 0; i < found; i++) {
      if (found >= maxStates) return { budget: "max-states", states: found };
      if ((i & 1023) === 0) {
        const now = performance.now();
        const budget: Budget | undefined = stopRequested()
          ? "interrupted"
          : now - started > maxMs
              ? "max-seconds"
              : watch.over(now, to.bytes + weight.bytes)
                ? "max-memory"
                : undefined;
        if (budget) return { budget, states: found };
        // Forget the expanded part of the queue once it is most of it.
        if (inPlace && head > queue.length / 2 && head > 1 << 16) {
          queue.data.copyWithin(0, head, queue.length);
          queue.length -= head;
          head = 0;
        }
      }
      let s: S;
      if (inPlace) {
        const len = queue.data[head]!;
        s = inPlace.decode(queue.data, head + 1, len, scratch!);
        head += len + 1;
      } else {
        s = objects[i]!;
        objects[i] = undefined;
      }
      const acts = model.actions(s);
      weightCodes(acts, codes);
      start.push(to.length);
      // The successors first (decoding the next state reuses the scratch).
      const succ = acts.map((a) => model.next(s, a));
      const bad = property.classesOf(s, acts.length === 0).map((c) => classKey(c.property, c.name));
      for (let k = 0; k < succ.length; k++) {
        to.push(indexOf(succ[k]!));
        weight.push(codes[k]!);
      }
      const key = bad.join("\u0000");
      let c = setIndex.get(key);
      if (c === undefined) {
        c = classSets.push([...bad]) - 1;
        setIndex.set(key, c);
      }
      cls.push(c);
    }
  } catch (e) {
    // A table or array that cannot grow: the memory is what stopped it.
    if (e instanceof TableTooLargeError || e instanceof RangeError) return { budget: "max-memory", states: found };
    throw e;
  }
  start.push(to.length);
  return { graph: { n: found, start: start.data, to: to.data, weight: weight.data, cls: cls.data, classSets } };
}

/** P(reach a target) from state 0; targets are absorbing. */
function reach(g: Graph, target: (i: number) => boolean): { p: number; exact: boolean } {
  const { n, start, to, weight } = g;
  const value = new Float64Array(n);
  const colour = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  let cyclic = false;
  // Post-order DFS with an explicit stack of (state, next successor): exact on a DAG.
  const stackV = new Uint32Array(n);
  const stackK = new Uint32Array(n);
  let top = 0;
  stackV[0] = 0;
  stackK[0] = start[0]!;
  colour[0] = 1;
  while (top >= 0) {
    const v = stackV[top]!;
    if (target(v)) {
      value[v] = 1;
      colour[v] = 2;
      top--;
      continue;
    }
    const k = stackK[top]!;
    if (k < start[v + 1]!) {
      stackK[top] = k + 1;
      const u = to[k]!;
      if (colour[u] === 0) {
        colour[u] = 1;
        top++;
        stackV[top] = u;
        stackK[top] = start[u]!;
      } else if (colour[u] === 1) cyclic = true;
      continue;
    }
    let sum = 0;
    for (let j = start[v]!; j < start[v + 1]!; j++) sum += weightOf(weight[j]!) * value[to[j]!]!;
    value[v] = sum;
    colour[v] = 2;
    top--;
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
        for (let j = start[v]!; j < start[v + 1]!; j++) nv += weightOf(weight[j]!) * value[to[j]!]!;
      }
      delta = Math.max(delta, Math.abs(nv - value[v]!));
      value[v] = nv;
    }
    if (delta < 1e-15) break;
  }
  return { p: value[0]!, exact: false };
}

export function violationProbability<S>(model: Model<S>, properties: Properties<S>, opts: SearchOptions<S> = {}): ProbabilityResult {
  const bound = boundOf(opts);
  const watch = new MemoryWatch(bound.bytes);
  const props = new PropertySet(properties);
  const built = buildGraph(model, props, opts, watch);
  const memory = { memoryBound: bound, peakRssBytes: Math.max(watch.peak, watch.sample()), ...(watch.stoppedAt ? { memoryAtStop: watch.stoppedAt } : {}) };
  if (!built.graph) return { probability: NaN, byProperty: {}, byClass: [], states: built.states, exact: false, complete: false, budget: built.budget, ...memory };
  const g = built.graph;
  const bad = (i: number): boolean => g.classSets[g.cls[i]!]!.length > 0;
  const all = reach(g, bad);
  let exact = all.exact;
  const where = (has: (key: string) => boolean): number => {
    const marked = g.classSets.map((set) => set.some(has));
    const r = reach(g, (i) => marked[g.cls[i]!]!);
    exact &&= r.exact;
    return r.p;
  };
  const byProperty: Record<string, number> = {};
  for (const p of props.names) byProperty[p] = where((key) => key.startsWith(classKey(p, "")));
  const byClass = [...new Set(g.classSets.flat())].map((key) => {
    const [property, name] = key.split("\u0000") as [string, string];
    return { property, name, probability: where((k) => k === key) };
  });
  return { probability: all.p, byProperty, byClass, states: g.n, exact, complete: true, ...memory };
}
