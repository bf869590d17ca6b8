/**
 * One worker of the parallel breadth-first search (parallel.ts). Worker w owns
 * the states whose fingerprint has lo % n === w: it alone stores them, numbers
 * them (its k-th is state k * n + w) and expands them. A search goes level by
 * level; in a level every worker expands its frontier and sends each successor
 * to its owner, then, after a barrier, every worker adds what it received in a
 * fixed order (from worker 0 first, each sender's successors in the order it
 * made them), so numbering, parents and counterexamples do not depend on timing.
 */
import { receiveMessageOnPort, workerData } from "node:worker_threads";
import { attachControl } from "../runtime/control.js";
import type { Action, InPlace, Model, Property } from "./model.js";
import { ClassCounter, PropertySet } from "./properties.js";
import { fingerprint } from "./fingerprint.js";
import { TableTooLargeError } from "./fptable.js";
import { GrowableInt32, GrowableUint8, GrowableUint32 } from "./growable.js";
import { fingerprintTag, NO_PARENT } from "./links.js";
import { advances, AllVisited, SweepVisited } from "./visited.js";
import { expand } from "./reduce.js";
import {
  barrier,
  DECIDED,
  FINISHED,
  slot,
  STOP,
  STOP_ERROR,
  STOP_MEMORY,
  STOP_NO_PROGRESS,
  STOP_NONE,
  STOP_STATES,
  W_DEPTH,
  W_FRONTIER,
  W_KIB,
  W_LEVEL_MIN,
  W_MAIL,
  W_NEXT,
  W_STATES,
  W_TRANSITIONS,
  type Batch,
  type Returned,
  type WorkerClass,
  type WorkerInit,
  type WorkerResult,
} from "./protocol.js";

/** Words a batch to another worker holds before it is sent. */
const BATCH_WORDS = 1 << 16;
/** Words of a successor record before the state's own: parent, via, len, fp hi, fp lo. */
const HEAD = 5;
/** Set in a record's action word: the state breaks the invariant. */
const BAD = 256;
/** A sweep's progress value sits above those bits in the action word. */
const RANK_SHIFT = 9;
/** No state added to the next level yet. */
const NO_RANK = 0x7fffffff;

const init = workerData as WorkerInit;
// A user hook running here is seen by the supervising thread (runtime/control.ts).
if (init.runtime) attachControl(init.runtime);

/** Another worker failed: this one stops too. */
class Aborted extends Error {}
const ctl = new Int32Array(init.control);

interface Built<S> {
  model: Model<S>;
  properties: readonly Property<S>[];
}

async function main(): Promise<void> {
  const mod = (await import(init.source.module)) as { createSearchModel(args: unknown): Promise<Built<unknown>> | Built<unknown> };
  const { model, properties } = await mod.createSearchModel(init.source.args);
  if (!model.inPlace) throw new Error("a parallel search needs a model with an in-place path");
  explore(model, model.inPlace, new PropertySet(properties));
}

function explore<S>(model: Model<S>, ip: InPlace<S>, property: PropertySet<S>): void {
  const n = init.workers;
  const me = init.id;
  // As in the serial search (search.ts): the sweep when the model has a progress measure.
  const progress = init.sweep ? ip.progress : undefined;
  const all = progress ? undefined : new AllVisited();
  const sweep = progress ? new SweepVisited() : undefined;
  const visited = all ?? sweep!;
  const parent = new GrowableUint32(16);
  const via = new GrowableUint8(16);
  const tags = new GrowableUint8(sweep ? 16 : 1);
  /** Least progress among the states this worker added to the next level. */
  let nextMin = NO_RANK;
  const words = new Int32Array(model.encodedWords);
  const cur = new Int32Array(model.encodedWords);
  const fp = new Uint32Array(2);
  const canonicalize = init.reduce.symmetry ? ip.canonicalize : undefined;
  const invariant = property.hasInvariants;
  const base = ip.scratch();
  const work = ip.scratch();
  const check = ip.scratch();
  const counter = new ClassCounter();
  // Frontier records: [number, len, words..].
  let current = new GrowableInt32(1024);
  let next = new GrowableInt32(1024);
  // Successors this worker owns itself, and batches for the others.
  const own = new GrowableInt32(1024);
  const outbox: Int32Array[] = Array.from({ length: n }, () => new Int32Array(BATCH_WORDS));
  const outLen = new Array<number>(n).fill(0);
  /** Whether this worker's own successors can be added at once (those of lower workers are all in). */
  let ownNow = me === 0;
  let nextDepth = 1;
  /** A budget made this worker skip work: its part of the search is not complete. */
  let cut = false;
  let transitions = 0;
  let terminal = 0;
  let maxDepth = 0;

  const publish = (): void => {
    Atomics.store(ctl, slot(me, W_STATES), parent.length);
    Atomics.store(ctl, slot(me, W_TRANSITIONS), Math.min(transitions, 0x7fffffff));
    Atomics.store(ctl, slot(me, W_DEPTH), maxDepth);
    const bytes = visited.bytes + parent.bytes + via.bytes + tags.bytes + current.bytes + next.bytes + own.bytes;
    Atomics.store(ctl, slot(me, W_KIB), Math.ceil(bytes / 1024));
  };
  const total = (field: number): number => {
    let t = 0;
    for (let w = 0; w < n; w++) t += Atomics.load(ctl, slot(w, field));
    return t;
  };
  const stop = (why: number): void => void Atomics.compareExchange(ctl, STOP, STOP_NONE, why);

  /** Stores the state in words[off..off+len), of progress `rank` under a sweep, unless known. */
  const add = (w: Int32Array, off: number, len: number, from: number, viaIndex: number, depth: number, hi: number, lo: number, bad: boolean, rank: number): void => {
    if (visited.insert(hi, lo, rank, 0) !== -1) return;
    const index = parent.length * n + me;
    parent.push(from);
    via.push(viaIndex);
    if (sweep) {
      tags.push(fingerprintTag(lo));
      if (rank < nextMin) nextMin = rank;
    }
    next.reserve(len + 2);
    const d = next.data;
    let t = next.length;
    d[t++] = index;
    d[t++] = len;
    for (let i = 0; i < len; i++) d[t++] = w[off + i]!;
    next.length = t;
    if (depth > maxDepth) maxDepth = depth;
    // The sender marked states that break the invariant: only those are decoded again.
    if (bad) {
      counter.at(index, depth);
      property.onState(ip.decode(w, off, len, check), counter.note);
    }
    if ((parent.length & 1023) === 0) {
      publish();
      if (total(W_STATES) >= init.maxStates) stop(STOP_STATES);
      if (total(W_KIB) * 1024 > init.maxBytes) stop(STOP_MEMORY);
    }
  };
  /** Sends the successor in `words`, of progress `rank`, to its owner. */
  const emit = (len: number, from: number, viaIndex: number, bad: boolean, rank: number): void => {
    if (viaIndex > 255) throw new Error(`a state with more than 256 successors: action ${viaIndex}`);
    fingerprint(words, len, fp);
    const owner = fp[1]! % n;
    if (owner === me && ownNow) {
      add(words, 0, len, from, viaIndex, nextDepth, fp[0]!, fp[1]!, bad, rank);
      return;
    }
    // The action index (< 256), the invariant's verdict and the progress share a word.
    const viaWord = viaIndex | (bad ? BAD : 0) | (rank << RANK_SHIFT);
    if (owner === me) {
      own.reserve(len + HEAD);
      own.length = writeRecord(own.data, own.length, from, viaWord, len);
      return;
    }
    if (outLen[owner]! + len + HEAD > BATCH_WORDS) send(owner, false);
    outLen[owner] = writeRecord(outbox[owner]!, outLen[owner]!, from, viaWord, len);
  };
  /** Writes the successor record for `words` and `fp` at d[at..]; returns where it ends. */
  const writeRecord = (d: Int32Array, at: number, from: number, viaWord: number, len: number): number => {
    d[at++] = from;
    d[at++] = viaWord;
    d[at++] = len;
    d[at++] = fp[0]!;
    d[at++] = fp[1]!;
    for (let i = 0; i < len; i++) d[at++] = words[i]!;
    return at;
  };
  const send = (to: number, last: boolean): void => {
    const data = outbox[to]!;
    const batch: Batch = { data, length: outLen[to]!, last };
    init.sendTo[to]!.postMessage(batch, [data.buffer as ArrayBuffer]);
    Atomics.add(ctl, slot(to, W_MAIL), 1);
    Atomics.notify(ctl, slot(to, W_MAIL));
    outbox[to] = spare.pop() ?? new Int32Array(BATCH_WORDS);
    outLen[to] = 0;
  };
  /** Batches other workers have read and sent back, to send again instead of allocating. */
  const spare: Int32Array[] = [];
  /** Adds a received batch, then returns its array to the sender. */
  const consume = (from: number, b: Batch, depth: number): void => {
    addAll(b.data, b.length, depth);
    const back: Returned = { batch: b.data };
    init.sendTo[from]!.postMessage(back, [b.data.buffer as ArrayBuffer]);
  };
  /** Adds the successor records of data[0..length). */
  const addAll = (data: Int32Array, length: number, depth: number): void => {
    for (let at = 0; at < length; ) {
      const len = data[at + 2]!;
      const v = data[at + 1]!;
      if (Atomics.load(ctl, STOP) === STOP_NONE) add(data, at + HEAD, len, data[at]! >>> 0, v & 255, depth, data[at + 3]!, data[at + 4]!, (v & BAD) !== 0, v >>> RANK_SHIFT);
      else cut = true;
      at += HEAD + len;
    }
  };
  /** The next batch from worker `from`: undefined if none yet (and `wait` is false). */
  const receive = (from: number, wait: boolean): Batch | undefined => {
    for (;;) {
      const mail = Atomics.load(ctl, slot(me, W_MAIL));
      const m = receiveMessageOnPort(init.receiveFrom[from]!);
      if (m) {
        const msg = m.message as Batch | Returned;
        if ("batch" in msg) {
          // A batch this worker sent, read and sent back: fill it again.
          spare.push(msg.batch);
          continue;
        }
        return msg;
      }
      if (!wait) return undefined;
      if (Atomics.load(ctl, STOP) === STOP_ERROR) throw new Aborted();
      // Woken by the next batch sent to this worker (or after 100 ms, to look at STOP again).
      Atomics.wait(ctl, slot(me, W_MAIL), mail, 100);
    }
  };

  // Level 0: every worker makes the initial states and keeps its own.
  model.initialStates().forEach((s, i) => {
    const len = model.encode(s, words);
    if (canonicalize) canonicalize(words, len);
    fingerprint(words, len, fp);
    const rank = progress ? progress(words, len) : 0;
    if (progress && !advances(rank, -1)) stop(STOP_NO_PROGRESS);
    else if (fp[1]! % n === me) add(words, 0, len, NO_PARENT, i, 0, fp[0]!, fp[1]!, invariant && property.invariantBroken(s), rank);
  });
  // No step leads to a state of progress `rank` or below: its tables can go.
  let forgetUpTo = -1;
  for (let depth = 0; ; depth++) {
    [current, next] = [next, current];
    next.length = 0;
    if (sweep && forgetUpTo >= 0) sweep.forgetUpTo(forgetUpTo);
    nextMin = NO_RANK;
    Atomics.store(ctl, slot(me, W_FRONTIER), current.length);
    // Successors are added in a fixed order: worker 0's, then 1's, ... Those of
    // lower workers are added as they arrive; this worker's own wait for them.
    let before = 0;
    const pull = (wait: boolean): void => {
      while (before < me) {
        const b = receive(before, wait);
        if (!b) return;
        consume(before, b, depth + 1);
        if (b.last) before++;
      }
      if (own.length > 0) {
        addAll(own.data, own.length, depth + 1);
        own.length = 0;
      }
    };
    ownNow = me === 0;
    nextDepth = depth + 1;
    const d = current.data;
    for (let at = 0, k = 0; at < current.length; k++) {
      const index = d[at]! >>> 0;
      const len = d[at + 1]!;
      for (let i = 0; i < len; i++) cur[i] = d[at + 2 + i]!;
      at += len + 2;
      if ((k & 255) === 0) {
        publish();
        if (Atomics.load(ctl, STOP) !== STOP_NONE) {
          cut = true;
          break;
        }
        if (!ownNow) {
          pull(false);
          ownNow = before === me;
        }
      }
      const s = ip.decode(cur, 0, len, base);
      const fromRank = progress ? progress(cur, len) : -1;
      const acts: readonly Action[] = expand(model, s, init.reduce);
      if (acts.length === 0) {
        terminal++;
        counter.at(index, depth);
        property.onTerminal(s, counter.note);
        continue;
      }
      for (let j = 0; j < acts.length; j++) {
        transitions++;
        // Step the expanded state itself and undo the step after, when the model can.
        const t = ip.restore ? s : ip.decode(cur, 0, len, work);
        ip.apply(t, acts[j]!);
        const bad = invariant && property.invariantBroken(t);
        const wl = model.encode(t, words);
        ip.restore?.(t, cur, words, wl);
        if (canonicalize) canonicalize(words, wl);
        let rank = 0;
        if (progress) {
          rank = progress(words, wl);
          // Not a measure for this model (see search.ts): every worker stops, the search runs again without.
          if (!advances(rank, fromRank)) {
            stop(STOP_NO_PROGRESS);
            cut = true;
            break;
          }
        }
        emit(wl, index, j, bad, rank);
      }
    }
    for (let w = 0; w < n; w++) if (w !== me) send(w, true);
    pull(true);
    for (let u = me + 1; u < n; u++) {
      for (;;) {
        const b = receive(u, true)!;
        consume(u, b, depth + 1);
        if (b.last) break;
      }
    }
    publish();
    Atomics.store(ctl, slot(me, W_NEXT), next.length);
    Atomics.store(ctl, slot(me, W_LEVEL_MIN), nextMin);
    if (!barrier(ctl, n)) throw new Aborted();
    if (total(W_NEXT) === 0) break;
    // The next level's least progress over all workers: a worker's own least
    // could drop a table a successor of another worker's state still needs.
    forgetUpTo = NO_RANK;
    for (let w = 0; w < n; w++) forgetUpTo = Math.min(forgetUpTo, Atomics.load(ctl, slot(w, W_LEVEL_MIN)));
    if (Atomics.load(ctl, DECIDED) !== STOP_NONE) {
      cut = true; // states are left unexpanded
      break;
    }
  }
  publish();
  finish({
    states: parent.length,
    transitions,
    terminal,
    maxDepth,
    classes: counter.classes satisfies WorkerClass[],
    cut,
    // In ms since the epoch, so the coordinator can compare workers' clocks.
    ...(counter.firstAt !== undefined ? { firstViolation: performance.timeOrigin + counter.firstAt } : {}),
    slots: all ? all.table.slotArray() : new Uint32Array(0),
    size: all ? all.table.size : 0,
    tags: sweep ? tags.trimmed() : new Uint8Array(0),
    storeBytes: visited.peakBytes,
    parent: parent.trimmed(),
    via: via.trimmed(),
  });
}

function finish(r: WorkerResult): void {
  init.results.postMessage(r, r.error ? [] : [r.slots.buffer as ArrayBuffer, r.tags.buffer as ArrayBuffer, r.parent.buffer as ArrayBuffer, r.via.buffer as ArrayBuffer]);
  Atomics.add(ctl, FINISHED, 1);
  Atomics.notify(ctl, FINISHED);
}

main().catch((e: unknown) => {
  if (!(e instanceof Aborted)) Atomics.store(ctl, STOP, STOP_ERROR);
  const tooLarge = e instanceof TableTooLargeError || e instanceof RangeError;
  finish({
    error: e instanceof Aborted ? "stopped: another worker failed" : e instanceof Error ? e.message : String(e),
    errorName: e instanceof Error ? e.name : "Error",
    tooLarge,
    states: 0,
    transitions: 0,
    terminal: 0,
    maxDepth: 0,
    classes: [],
    cut: true,
    slots: new Uint32Array(0),
    size: 0,
    tags: new Uint8Array(0),
    storeBytes: 0,
    parent: new Uint32Array(0),
    via: new Uint8Array(0),
  });
});
