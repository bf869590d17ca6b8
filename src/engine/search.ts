/**
 * Explicit-state exploration on one thread: breadth-first (shortest
 * counterexamples) or depth-first. Stores 64-bit fingerprints, not states, plus
 * one parent link and the index of the action taken per state, so a trace is
 * rebuilt by replay. With a model's progress measure, breadth-first keeps only
 * the fingerprints it can still meet (visited.ts). parallel.ts splits a
 * breadth-first search over threads.
 */
import { getHeapStatistics } from "node:v8";
import { reportExplored, setDeadline, setMemoryBound, stopRequested } from "../runtime/control.js";
import { boundOf, MemoryWatch } from "../runtime/memory.js";
import type { Action, InPlace, Model } from "./model.js";
import { ClassCounter, PropertySet, type Properties } from "./properties.js";
import { collisionProbability, fingerprint } from "./fingerprint.js";
import { TableTooLargeError } from "./fptable.js";
import { GrowableUint8, GrowableUint32 } from "./growable.js";
import { fingerprintTag, NO_PARENT, SerialLinks, type ParentLinks } from "./links.js";
import { advances, AllVisited, SweepVisited } from "./visited.js";
import { ObjectFrontier, PackedFrontier, type Frontier, type Order } from "./frontier.js";
import { effectiveReductions, expandFrom, NO_REDUCTION, represent, type Reductions } from "./reduce.js";
import { MAX_TRACKED_ACTORS, PreemptionTracker } from "./preemption.js";

export type { Order };
/** What stopped a search early: a budget, the memory bound, a stop request (a
 * signal), or the first violation found when the search was asked to stop there. */
export type Budget = "max-states" | "max-seconds" | "max-memory" | "interrupted" | "first-violation";
export type Verdict = "holds" | "violated" | "incomplete";

export interface SearchOptions<S> {
  order?: Order;
  maxStates?: number;
  maxSeconds?: number;
  /** The memory bound, on the whole process's resident size (default: runtime/memory.ts's). */
  maxMemoryBytes?: number;
  /** What set the bound, for reports ("--max-memory", "the cgroup limit", ...). */
  maxMemorySource?: string;
  /** Symmetry and partial-order reduction (default: none). */
  reduce?: Reductions;
  /** Called about once a second while the search runs. */
  onProgress?: (p: Progress) => void;
  /** Called once for every distinct state, when first reached. The state may be
   * the search's scratch: valid during the call only (copy it to keep it). */
  visit?: (s: S, index: number, depth: number) => void;
  /** Use the model's progress measure to forget fingerprints (breadth-first,
   * without `visit`; default true). Off, every fingerprint is kept. */
  sweep?: boolean;
  /** Stop as soon as a violation is found (the verdict is then final, the counts partial). */
  stopAtFirst?: boolean;
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  frontier: number;
}

export interface ViolationClass {
  /** The property that names it. */
  readonly property: string;
  /** Class name given by the property. */
  readonly name: string;
  /** Distinct reachable states showing it. */
  states: number;
  /** The first state found showing it (shortest under BFS). */
  first: number;
  /** Number of steps from an initial state to `first`. */
  depth: number;
  /** Breadth-first: the state of the class at `depth` whose shortest paths have the fewest
   * preemptions, and that number (see preemption.ts); absent when the search did not track them. */
  preferred?: number;
  preemptions?: number;
  /** Too many states of the class at `depth` to keep them all: `preferred` is the best of those kept. */
  candidatesCut?: boolean;
}

export interface SearchResult {
  /** The properties checked, in the order given. */
  properties: readonly string[];
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
  /** Seconds until the verdict was known: the first violation found, or the end. */
  verdictSeconds: number;
  collisionProbability: number;
  /** The frontier filled the JS heap (a memory stop no user budget asked for). */
  heapFull: boolean;
  /** The memory bound the search ran under, and what set it. */
  memoryBound: { bytes: number; source: string };
  /** The process's largest resident size the search saw (sampled). */
  peakRssBytes: number;
  /** When the memory bound stopped it: what the process held and was about to allocate. */
  memoryAtStop?: { rss: number; extra: number };
  /** Memory the search's store held per state: the fingerprint tables at their largest, the parent
   * links and the fewest-preemption links. */
  bytesPerState: number;
  /** Of which the fingerprint tables (at their largest). */
  fingerprintBytesPerState: number;
  /** The fingerprints were kept by progress and dropped when passed (visited.ts). */
  swept: boolean;
  /** A step did not increase the model's progress measure, so the sweep was
   * abandoned and the search ran again keeping every fingerprint: `seconds`
   * and the time budget count both runs, and progress reports started over. */
  restarted: boolean;
  /** In order of first discovery. */
  violations: ViolationClass[];
  /** Parent links, for `rebuildPath`. */
  readonly links: ParentLinks;
  /** Breadth-first on one thread: the fewest-preemption links, for `rebuildPreferred`. */
  readonly preferred?: PreemptionTracker;
  /** Threads that explored (1: this one). */
  readonly workers: number;
}

export class SearchTooLargeError extends Error {}

/** Whether the fewest preemptions the search kept for class `v` are final: its level was all found (the
 * search finished, finished that level for stopAtFirst, or went two levels past it) and no candidate was cut. */
export const preemptionsSettled = (r: SearchResult, v: ViolationClass): boolean =>
  (r.complete || r.budget === "first-violation" || r.maxDepth >= v.depth + 2) && !v.candidatesCut;

/** The order classes are listed in after a breadth-first search, whatever the numbering of states. */
export const byDepthThenName = (a: ViolationClass, b: ViolationClass): number =>
  a.depth - b.depth || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.property < b.property ? -1 : a.property > b.property ? 1 : 0);

/** The model's progress measure did not increase on a transition. */
class NotProgressing extends Error {}

export function search<S>(model: Model<S>, properties: Properties<S>, opts: SearchOptions<S> = {}): SearchResult {
  const property = new PropertySet(properties);
  const progress = model.inPlace?.progress;
  // Time and budgets count from here, the attempt with the measure included.
  const started = performance.now();
  if (progress && (opts.order ?? "bfs") === "bfs" && !opts.visit && opts.sweep !== false) {
    try {
      return explore(model, property, opts, started, progress);
    } catch (e) {
      // A measure that does not hold for this model (a user's patch can break
      // it): the same search again, keeping every fingerprint.
      if (!(e instanceof NotProgressing)) throw e;
      return { ...explore(model, property, opts, started, undefined), restarted: true };
    }
  }
  return explore(model, property, opts, started, undefined);
}

function explore<S>(model: Model<S>, property: PropertySet<S>, opts: SearchOptions<S>, started: number, progress: InPlace<S>["progress"]): SearchResult {
  const order = opts.order ?? "bfs";
  const maxStates = opts.maxStates ?? Infinity;
  const maxMs = (opts.maxSeconds ?? Infinity) * 1000;
  const bound = boundOf(opts);
  const watch = new MemoryWatch(bound.bytes);
  const reduce = effectiveReductions(model, opts.reduce ?? NO_REDUCTION);

  // Sets of fingerprints: parent links are by state number.
  // Breadth-first, the fewest preemptions are worked out as it goes (preemption.ts); they need
  // a state found again to be known by its number.
  const track = order === "bfs" && model.actorNames.length <= MAX_TRACKED_ACTORS ? new PreemptionTracker() : undefined;
  const all = progress ? undefined : new AllVisited(track !== undefined);
  const sweep = progress ? new SweepVisited(track !== undefined) : undefined;
  /** The number of the first state found at each depth. */
  const layerStart: number[] = [];
  // Under symmetry an actor is named as the representative names it.
  const renamed = reduce.symmetry ? model.canonicalActor : undefined;
  const visited = all ?? sweep!;
  const parent = new GrowableUint32(16);
  const via = new GrowableUint8(16);
  /** A sweep's replay check: 8 bits of every state's fingerprint. */
  const tags = new GrowableUint8(sweep ? 16 : 1);
  /** Per depth, the least progress of a state found at it. */
  const levelMin: number[] = [];
  let rank = 0;
  /** Progress of the state being expanded. */
  let fromRank = -1;
  let sweptDepth = -1;
  const words = new Int32Array(model.encodedWords);
  /** The last added state's own encoding (before symmetry), for the frontier to undo its step. */
  const rawWords = new Int32Array(model.encodedWords);
  let rawLen = 0;
  const fp = new Uint32Array(2);
  const canonicalize = reduce.symmetry && model.inPlace?.canonicalize;
  const packed = model.inPlace ? new PackedFrontier(model, model.inPlace, order) : undefined;
  const frontier: Frontier<S> = packed ?? new ObjectFrontier(order, (s, a) => model.next(s, a));

  let transitions = 0;
  let expanded = 0;
  let maxDepth = 0;
  let terminal = 0;
  let budget: Budget | undefined;
  let heapFull = false;
  let lastProgress = started;

  const counter = new ClassCounter();
  const classes = counter.classes;
  /** Adds `raw` if new, reached by `actor`'s step (-1: an initial state); returns true when it was. */
  const add = (raw: S, from: number, viaIndex: number, depth: number, actor: number): boolean => {
    // raw's own encoding goes to `rawWords` (the frontier undoes the step with
    // it); the stored key is that, or the representative's under symmetry. The
    // property is read on `raw`, which has the representative's values.
    let len = (rawLen = model.encode(raw, rawWords));
    let key = rawWords;
    let s = raw;
    if (canonicalize) {
      for (let i = 0; i < len; i++) words[i] = rawWords[i]!;
      canonicalize(words, len);
      key = words;
    } else if ((s = represent(model, raw, reduce)) !== raw) {
      len = model.encode(s, words);
      key = words;
    }
    fingerprint(key, len, fp);
    if (progress) {
      rank = progress(key, len);
      if (!advances(rank, fromRank)) throw new NotProgressing();
    }
    const at = parent.length;
    if (viaIndex > 255) throw new Error(`a state with more than 256 successors: action ${viaIndex}`);
    const seen = visited.insert(fp[0]!, fp[1]!, rank, at);
    if (seen !== -1) {
      // Found again on another shortest path: it may have fewer preemptions.
      if (track && actor >= 0 && seen >= layerStart[depth]!) track.again(seen, from, viaIndex, renamed ? renamed(actor) : actor);
      return false;
    }
    if (layerStart[depth] === undefined) layerStart[depth] = at;
    if (track) {
      if (actor < 0) track.initial(at);
      else track.reached(at, renamed ? renamed(actor) : actor);
    }
    parent.push(from);
    via.push(viaIndex);
    if (sweep) {
      tags.push(fingerprintTag(fp[1]!));
      const least = levelMin[depth];
      if (least === undefined || rank < least) levelMin[depth] = rank;
    }
    frontier.push(s, key, len, at, depth);
    if (depth > maxDepth) maxDepth = depth;
    opts.visit?.(s, at, depth);
    counter.at(at, depth);
    property.onState(s, counter.note);
    return true;
  };
  const links = (): number => parent.bytes + via.bytes + (sweep ? tags.bytes : 0) + (track ? track.bytes : 0);
  const memory = (): number => visited.bytes + links();
  // An object frontier lives on the JS heap, which has its own limit: stop
  // cleanly before V8 runs out instead of crashing.
  const heapLimit = getHeapStatistics().heap_size_limit * 0.8;

  setDeadline(opts.maxSeconds, performance.now() - started);
  setMemoryBound(bound.bytes);
  try {
    model.initialStates().forEach((s, i) => add(s, NO_PARENT, i, 0, -1));
    while (frontier.size > 0) {
      // Breadth-first, the layer of the first violation is finished first (its preemptions then known).
      if (opts.stopAtFirst && classes.length > 0 && !track) {
        budget = "first-violation";
        break;
      }
      if (parent.length >= maxStates) {
        budget = "max-states";
        break;
      }
      if ((expanded++ & 1023) === 0) {
        const now = performance.now();
        if (stopRequested()) {
          budget = "interrupted";
          break;
        }
        if (now - started > maxMs) {
          budget = "max-seconds";
          break;
        }
        // On top of what the process holds: the next growth of the table and of
        // the frontier, and a link array's copy while it grows.
        if (watch.over(now, (visited.nearGrowth ? visited.bytesAfterGrowth - visited.bytes : 0) + frontier.growthBytes + links())) {
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
          opts.onProgress({ states: parent.length, transitions, depth: maxDepth, seconds: (now - started) / 1000, frontier: frontier.size });
        }
      }
      const s = frontier.pop();
      // For the supervisor, should a user hook never return from this state.
      reportExplored(parent.length, transitions, maxDepth);
      const index = frontier.index;
      const depth = frontier.depth;
      if (opts.stopAtFirst && depth >= counter.stopDepth) {
        budget = "first-violation";
        break;
      }
      if (sweep) {
        // Breadth-first: every state of this depth and below was found, and
        // all that is left to find lies above this level's least progress.
        if (depth !== sweptDepth) sweep.forgetUpTo(levelMin[(sweptDepth = depth)]!);
        fromRank = progress!(packed!.current, packed!.currentLength);
      }
      const enabled = model.actions(s);
      const acts: readonly Action[] = expandFrom(model, s, enabled, reduce);
      if (acts.length === 0) {
        terminal++;
        counter.at(index, depth, true);
        property.onTerminal(s, counter.note);
        continue;
      }
      if (track) {
        let mask = 0;
        for (let k = 0; k < enabled.length; k++) mask |= 1 << enabled[k]!.actor;
        track.expanding(index, mask, depth);
      }
      for (let k = 0; k < acts.length; k++) {
        transitions++;
        const a = acts[k]!;
        track?.exit(a.actor);
        add(frontier.successor(s, a), index, k, depth + 1, a.actor);
        frontier.settle(rawWords, rawLen);
      }
    }
  } catch (e) {
    if (e instanceof TableTooLargeError || e instanceof RangeError) {
      throw new SearchTooLargeError(
        `search too big for memory after ${parent.length} states (${(memory() / 2 ** 20).toFixed(0)} MiB of fingerprints): ${e.message}`,
      );
    }
    throw e;
  } finally {
    setDeadline(undefined);
    setMemoryBound(undefined);
    reportExplored(parent.length, transitions, maxDepth);
  }

  const seconds = (performance.now() - started) / 1000;
  // Breadth-first: shallowest class first, ties by name, as the parallel search orders them.
  const violations: ViolationClass[] = classes.map((c) => {
    const v: ViolationClass = { property: c.property, name: c.name, states: c.states, first: c.first, depth: c.depth };
    if (!track) return v;
    let best = c.first;
    for (const i of c.others) if (track.costOf(i) < track.costOf(best)) best = i;
    return { ...v, preferred: best, preemptions: track.costOf(best), ...(c.cut ? { candidatesCut: true } : {}) };
  });
  if (order === "bfs") violations.sort(byDepthThenName);
  const verdict: Verdict = violations.length > 0 ? "violated" : budget ? "incomplete" : "holds";
  return {
    properties: property.names,
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
    verdictSeconds: counter.firstAt !== undefined ? (counter.firstAt - started) / 1000 : seconds,
    collisionProbability: collisionProbability(parent.length),
    heapFull,
    memoryBound: bound,
    peakRssBytes: Math.max(watch.peak, watch.sample()),
    ...(watch.stoppedAt ? { memoryAtStop: watch.stoppedAt } : {}),
    bytesPerState: parent.length > 0 ? (visited.peakBytes + links()) / parent.length : 0,
    fingerprintBytesPerState: parent.length > 0 ? visited.peakBytes / parent.length : 0,
    swept: sweep !== undefined,
    restarted: false,
    violations,
    links: new SerialLinks({ table: all?.table, tags: tags.data, parent: parent.data, via: via.data }, reduce),
    ...(track ? { preferred: track } : {}),
    workers: 1,
  };
}
