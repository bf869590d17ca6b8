/**
 * Explicit-state exploration: breadth-first (shortest counterexamples) or
 * depth-first. Stores 64-bit fingerprints, not states, plus one parent link and
 * the index of the action taken per state, so a trace is rebuilt by replay.
 */
import { getHeapStatistics } from "node:v8";
import type { Action, Model, Property } from "./model.js";
import { collisionProbability, fingerprint } from "./fingerprint.js";
import { FingerprintTable, TableTooLargeError } from "./fptable.js";
import { GrowableUint8, GrowableUint32 } from "./growable.js";
import { expand, NO_REDUCTION, represent, type Reductions } from "./reduce.js";

export type Order = "bfs" | "dfs";
export type Budget = "max-states" | "max-seconds" | "max-memory";
export type Verdict = "holds" | "violated" | "incomplete";

export interface SearchOptions<S> {
  order?: Order;
  maxStates?: number;
  maxSeconds?: number;
  maxMemoryBytes?: number;
  /** Symmetry and partial-order reduction (default: none). */
  reduce?: Reductions;
  /** Called about once a second while the search runs. */
  onProgress?: (p: Progress) => void;
  /** Called once for every distinct state, when first reached. */
  visit?: (s: S, index: number, depth: number) => void;
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  frontier: number;
}

export interface ViolationClass {
  /** Class name given by the property. */
  readonly name: string;
  /** Distinct reachable states showing it. */
  states: number;
  /** The first state found showing it (shortest under BFS). */
  first: number;
  /** Number of steps from an initial state to `first`. */
  depth: number;
}

export interface SearchResult {
  property: string;
  order: Order;
  verdict: Verdict;
  /** False when a budget stopped the search; counts then cover only what was explored. */
  complete: boolean;
  budget?: Budget;
  states: number;
  transitions: number;
  maxDepth: number;
  terminalStates: number;
  seconds: number;
  statesPerSecond: number;
  collisionProbability: number;
  /** The frontier filled the JS heap (a memory stop no user budget asked for). */
  heapFull: boolean;
  /** Memory of the visited-state store (table and parent links) per state. */
  bytesPerState: number;
  /** In order of first discovery. */
  violations: ViolationClass[];
  /** Parent links, for `rebuildPath`. */
  readonly links: ParentLinks;
}

export interface ParentLinks {
  readonly table: FingerprintTable;
  readonly parent: GrowableUint32;
  /** Index of the action taken in the parent's expanded list (< 256). */
  readonly via: GrowableUint8;
  /** The reductions the search used: replay must use the same. */
  readonly reduce: Reductions;
}

const NO_PARENT = 0xffffffff;

export class SearchTooLargeError extends Error {}

export function search<S>(model: Model<S>, property: Property<S>, opts: SearchOptions<S> = {}): SearchResult {
  const order = opts.order ?? "bfs";
  const maxStates = opts.maxStates ?? Infinity;
  const maxMs = (opts.maxSeconds ?? Infinity) * 1000;
  const maxBytes = opts.maxMemoryBytes ?? Infinity;
  const reduce = opts.reduce ?? NO_REDUCTION;
  const started = performance.now();

  // A set of fingerprints (8 bytes a slot): parent links are by state number.
  const table = new FingerprintTable(256, false);
  const parent = new GrowableUint32(256);
  const via = new GrowableUint8(256);
  const words = new Int32Array(model.encodedWords);
  const fp = new Uint32Array(2);
  const classes = new Map<string, ViolationClass>();

  // Frontier: FIFO for BFS, LIFO for DFS. Parallel arrays keep it allocation-light.
  let fStates: S[] = [];
  let fIndex: number[] = [];
  let fDepth: number[] = [];
  let head = 0;

  let transitions = 0;
  let expanded = 0;
  let maxDepth = 0;
  let terminal = 0;
  let budget: Budget | undefined;
  let heapFull = false;
  let lastProgress = started;

  const record = (s: S, index: number, depth: number): void => {
    if (depth > maxDepth) maxDepth = depth;
    opts.visit?.(s, index, depth);
    if (property.kind === "invariant") note(property.violations(s), index, depth);
  };
  const note = (names: readonly string[], index: number, depth: number): void => {
    for (const name of names) {
      const c = classes.get(name);
      if (c) c.states++;
      else classes.set(name, { name, states: 1, first: index, depth });
    }
  };
  /** Adds `s` if new; returns true when it was. */
  const add = (raw: S, from: number, viaIndex: number, depth: number): boolean => {
    const s = represent(model, raw, reduce);
    const len = model.encode(s, words);
    fingerprint(words, len, fp);
    const index = parent.length;
    if (table.insert(fp[0]!, fp[1]!) !== -1) return false;
    if (viaIndex > 255) throw new Error(`a state with more than 256 successors: action ${viaIndex}`);
    parent.push(from);
    via.push(viaIndex);
    fStates.push(s);
    fIndex.push(index);
    fDepth.push(depth);
    record(s, index, depth);
    return true;
  };
  const memory = (): number => table.bytes + parent.bytes + via.bytes;
  // The frontier holds whole states on the JS heap, which has its own limit:
  // stop cleanly before V8 runs out instead of crashing.
  const heapLimit = getHeapStatistics().heap_size_limit * 0.8;

  try {
    model.initialStates().forEach((s, i) => add(s, NO_PARENT, i, 0));
    while (head < fStates.length) {
      if (parent.length >= maxStates) {
        budget = "max-states";
        break;
      }
      if ((expanded++ & 1023) === 0) {
        const now = performance.now();
        if (now - started > maxMs) {
          budget = "max-seconds";
          break;
        }
        if (table.bytesAfterGrowth + parent.bytes * 2 > maxBytes && table.size > table.capacity * 0.69) {
          budget = "max-memory";
          break;
        }
        if ((expanded & 16383) === 1 && getHeapStatistics().used_heap_size > heapLimit) {
          heapFull = true;
          budget = "max-memory";
          break;
        }
        if (opts.onProgress && now - lastProgress >= 1000) {
          lastProgress = now;
          opts.onProgress({
            states: parent.length,
            transitions,
            depth: maxDepth,
            seconds: (now - started) / 1000,
            frontier: fStates.length - head,
          });
        }
      }
      let s: S, index: number, depth: number;
      if (order === "bfs") {
        s = fStates[head]!;
        index = fIndex[head]!;
        depth = fDepth[head]!;
        head++;
        if (head > 65536 && head * 2 > fStates.length) {
          fStates = fStates.slice(head);
          fIndex = fIndex.slice(head);
          fDepth = fDepth.slice(head);
          head = 0;
        }
      } else {
        s = fStates.pop()!;
        index = fIndex.pop()!;
        depth = fDepth.pop()!;
      }
      const acts: readonly Action[] = expand(model, s, reduce);
      if (acts.length === 0) {
        terminal++;
        if (property.kind === "terminal") note(property.violations(s), index, depth);
        continue;
      }
      for (let k = 0; k < acts.length; k++) {
        transitions++;
        add(model.next(s, acts[k]!), index, k, depth + 1);
      }
    }
  } catch (e) {
    if (e instanceof TableTooLargeError || e instanceof RangeError) {
      throw new SearchTooLargeError(
        `search too big for memory after ${parent.length} states (${(memory() / 2 ** 20).toFixed(0)} MiB of fingerprints): ${e.message}`,
      );
    }
    throw e;
  }

  const seconds = (performance.now() - started) / 1000;
  const violations = [...classes.values()];
  const verdict: Verdict = violations.length > 0 ? "violated" : budget ? "incomplete" : "holds";
  return {
    property: property.name,
    order,
    verdict,
    complete: budget === undefined,
    ...(budget ? { budget } : {}),
    states: parent.length,
    transitions,
    maxDepth,
    terminalStates: terminal,
    seconds,
    statesPerSecond: seconds > 0 ? parent.length / seconds : parent.length,
    collisionProbability: collisionProbability(parent.length),
    heapFull,
    bytesPerState: parent.length > 0 ? memory() / parent.length : 0,
    violations,
    links: { table, parent, via, reduce },
  };
}
