/**
 * What the parallel search's main thread and workers share: the layout of the
 * control words in a SharedArrayBuffer, the barrier, and the messages.
 */
import type { MessagePort } from "node:worker_threads";
import type { Reductions } from "./reduce.js";

/** How a worker builds the model and property the main thread searches:
 * `module` (a URL) exports `createSearchModel(args)`, which must give models
 * whose encodings agree across threads. */
export interface ModelSource {
  readonly module: string;
  readonly args: unknown;
}

// Control words (Int32Array over a SharedArrayBuffer).
export const BARRIER_COUNT = 0;
export const BARRIER_GEN = 1;
/** Why workers stop early: one of STOP_*. */
export const STOP = 2;
/** Workers that have posted their result. */
export const FINISHED = 3;
/** STOP as the last worker to reach a barrier saw it: all act on the same value. */
export const DECIDED = 4;
export const PER_WORKER = 8;
/** Then, per worker w at 8 + 8w: states, transitions, frontier, depth, KiB of the store, next level's size, mail, least progress. */
export const W_STATES = 0;
export const W_TRANSITIONS = 1;
export const W_FRONTIER = 2;
export const W_DEPTH = 3;
export const W_KIB = 4;
export const W_NEXT = 5;
/** Bumped (and notified) by a sender after each batch to this worker, so it wakes at once. */
export const W_MAIL = 6;
/** Sweep: the least progress of the states this worker added to the next level. */
export const W_LEVEL_MIN = 7;

export const STOP_NONE = 0;
export const STOP_STATES = 1;
export const STOP_SECONDS = 2;
export const STOP_MEMORY = 3;
export const STOP_ERROR = 4;
/** A step did not increase the progress measure: the sweep is abandoned. */
export const STOP_NO_PROGRESS = 5;
/** A stop request (a signal) reached the main thread (runtime/control.ts). */
export const STOP_INTERRUPT = 6;

export const controlWords = (workers: number): number => 8 + PER_WORKER * workers;
export const slot = (w: number, field: number): number => 8 + PER_WORKER * w + field;

export interface WorkerInit {
  readonly id: number;
  readonly workers: number;
  readonly control: SharedArrayBuffer;
  /** The command's runtime control words (runtime/control.ts), so a user hook running here is seen by the supervisor. */
  readonly runtime: SharedArrayBuffer | undefined;
  readonly source: ModelSource;
  readonly reduce: Reductions;
  readonly maxStates: number;
  readonly maxBytes: number;
  /** Keep fingerprints by progress and drop the passed ones (visited.ts). */
  readonly sweep: boolean;
  /** sendTo[v]: this worker's port to worker v (undefined for itself). */
  readonly sendTo: (MessagePort | undefined)[];
  /** receiveFrom[u]: the port worker u sends to this one on. */
  readonly receiveFrom: (MessagePort | undefined)[];
  /** Where the result goes. */
  readonly results: MessagePort;
}

/** A batch of successor records [parent, via, len, fp hi, fp lo, words..] one worker sends another. */
export interface Batch {
  readonly data: Int32Array;
  readonly length: number;
  /** The sender is done with this level. */
  readonly last: boolean;
}

/** A batch's array going back to its sender once read, to be filled again. */
export interface Returned {
  readonly batch: Int32Array;
}

export interface WorkerClass {
  readonly property: string;
  readonly name: string;
  readonly states: number;
  readonly first: number;
  readonly depth: number;
}

export interface WorkerResult {
  readonly error?: string;
  /** The error's name (its class does not cross threads). */
  readonly errorName?: string;
  readonly tooLarge?: boolean;
  readonly states: number;
  readonly transitions: number;
  readonly terminal: number;
  readonly maxDepth: number;
  readonly classes: WorkerClass[];
  /** A budget made it skip work (a state not added, expanded or reached). */
  readonly cut: boolean;
  /** When it first saw a violation, in ms since the epoch. */
  readonly firstViolation?: number;
  /** The fingerprint table's slots (empty after a sweep). */
  readonly slots: Uint32Array;
  readonly size: number;
  /** After a sweep: 8 bits of each state's fingerprint, for replay. */
  readonly tags: Uint8Array;
  /** The most the fingerprint tables held at once. */
  readonly storeBytes: number;
  readonly parent: Uint32Array;
  readonly via: Uint8Array;
}

/** Waits until all `n` parties arrive. False when a worker failed meanwhile. */
export function barrier(ctl: Int32Array, n: number): boolean {
  const gen = Atomics.load(ctl, BARRIER_GEN);
  if (Atomics.add(ctl, BARRIER_COUNT, 1) === n - 1) {
    Atomics.store(ctl, BARRIER_COUNT, 0);
    Atomics.store(ctl, DECIDED, Atomics.load(ctl, STOP));
    Atomics.add(ctl, BARRIER_GEN, 1);
    Atomics.notify(ctl, BARRIER_GEN);
    return true;
  }
  while (Atomics.load(ctl, BARRIER_GEN) === gen) {
    if (Atomics.load(ctl, STOP) === STOP_ERROR) return false;
    Atomics.wait(ctl, BARRIER_GEN, gen, 200);
  }
  return true;
}
