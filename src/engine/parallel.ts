/**
 * Breadth-first search over worker threads (worker.ts does the work). The
 * main thread starts the workers, wires a message channel between every two,
 * waits on shared control words (reporting progress and enforcing the time
 * budget), then gathers the workers' fingerprint tables and parent links into
 * one result. Results do not depend on timing: verdicts, counts and traces are
 * those of any other run with the same number of workers. Budgets stop the
 * workers at the next check, so a stopped run explores a little past one.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { Model } from "./model.js";
import { classKey, PropertySet, type Properties } from "./properties.js";
import { collisionProbability } from "./fingerprint.js";
import { FingerprintTable } from "./fptable.js";
import { PartitionedLinks } from "./links.js";
import { effectiveReductions, NO_REDUCTION } from "./reduce.js";
import { control, reportExplored, setDeadline, setMemoryBound, stopRequested } from "../runtime/control.js";
import { boundOf, MemoryWatch } from "../runtime/memory.js";
import { byDepthThenName, SearchTooLargeError, type Budget, type SearchOptions, type SearchResult, type ViolationClass } from "./search.js";
import {
  controlWords,
  FINISHED,
  slot,
  STOP,
  STOP_MEMORY,
  STOP_NO_PROGRESS,
  STOP_INTERRUPT,
  STOP_NONE,
  STOP_SECONDS,
  STOP_STATES,
  W_DEPTH,
  W_FRONTIER,
  W_STATES,
  W_TRANSITIONS,
  type ModelSource,
  type WorkerInit,
  type WorkerResult,
} from "./protocol.js";

export interface ParallelOptions<S> extends Omit<SearchOptions<S>, "order" | "visit"> {
  readonly workers: number;
  /** How each worker builds the same model and property. */
  readonly source: ModelSource;
}

/** The worker's script: compiled, or under tsx (tests and `npm run bench` from sources). */
function spawn(init: WorkerInit, transfer: MessagePort[]): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker.js", here), { workerData: init, transferList: transfer });
  const api = import.meta.resolve("tsx/esm/api");
  const target = new URL("./worker.ts", here).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(code, { eval: true, workerData: init, transferList: transfer });
}

export function parallelSearch<S>(model: Model<S>, properties: Properties<S>, opts: ParallelOptions<S>): SearchResult {
  const property = new PropertySet(properties);
  const n = opts.workers;
  if (!Number.isInteger(n) || n < 2 || n > 64) throw new RangeError(`workers: expected 2 to 64, got ${n}`);
  if (!model.inPlace) throw new Error("a parallel search needs a model with an in-place path");
  const reduce = effectiveReductions(model, opts.reduce ?? NO_REDUCTION);
  const maxMs = (opts.maxSeconds ?? Infinity) * 1000;
  const started = performance.now();
  const shared = new SharedArrayBuffer(controlWords(n) * 4);
  const ctl = new Int32Array(shared);
  const bound = boundOf(opts);
  const watch = new MemoryWatch(bound.bytes);
  const runtime = control.words.buffer instanceof SharedArrayBuffer ? control.words.buffer : undefined;

  const sendTo: (MessagePort | undefined)[][] = Array.from({ length: n }, () => new Array<MessagePort | undefined>(n).fill(undefined));
  const receiveFrom: (MessagePort | undefined)[][] = Array.from({ length: n }, () => new Array<MessagePort | undefined>(n).fill(undefined));
  for (let u = 0; u < n; u++) {
    for (let v = 0; v < n; v++) {
      if (u === v) continue;
      const ch = new MessageChannel();
      sendTo[u]![v] = ch.port1;
      receiveFrom[v]![u] = ch.port2;
    }
  }
  // As in the serial search: the sweep when the model has a progress measure.
  const sweep = opts.sweep !== false && model.inPlace.progress !== undefined;
  const resultPorts: MessagePort[] = [];
  const workers: Worker[] = [];
  for (let w = 0; w < n; w++) {
    const ch = new MessageChannel();
    resultPorts.push(ch.port2);
    const init: WorkerInit = {
      id: w,
      workers: n,
      control: shared,
      runtime,
      source: opts.source,
      reduce,
      maxStates: opts.maxStates ?? Infinity,
      maxBytes: bound.bytes,
      sweep,
      sendTo: sendTo[w]!,
      receiveFrom: receiveFrom[w]!,
      results: ch.port1,
    };
    const ports = [...sendTo[w]!, ...receiveFrom[w]!].filter((p): p is MessagePort => p !== undefined);
    workers.push(spawn(init, [...ports, ch.port1]));
  }

  const total = (field: number): number => {
    let t = 0;
    for (let w = 0; w < n; w++) t += Atomics.load(ctl, slot(w, field));
    return t;
  };
  let lastProgress = started;
  setDeadline(opts.maxSeconds);
  setMemoryBound(bound.bytes);
  for (;;) {
    const finished = Atomics.load(ctl, FINISHED);
    if (finished === n) break;
    Atomics.wait(ctl, FINISHED, finished, 100);
    const now = performance.now();
    const running = Atomics.load(ctl, FINISHED) < n;
    let depthNow = 0;
    for (let w = 0; w < n; w++) depthNow = Math.max(depthNow, Atomics.load(ctl, slot(w, W_DEPTH)));
    reportExplored(total(W_STATES), total(W_TRANSITIONS), depthNow);
    if (running && stopRequested()) Atomics.compareExchange(ctl, STOP, STOP_NONE, STOP_INTERRUPT);
    if (running && watch.over(now)) Atomics.compareExchange(ctl, STOP, STOP_NONE, STOP_MEMORY);
    if (now - started > maxMs && running) Atomics.compareExchange(ctl, STOP, STOP_NONE, STOP_SECONDS);
    if (opts.onProgress && now - lastProgress >= 1000) {
      lastProgress = now;
      let depth = 0;
      for (let w = 0; w < n; w++) depth = Math.max(depth, Atomics.load(ctl, slot(w, W_DEPTH)));
      opts.onProgress({ states: total(W_STATES), transitions: total(W_TRANSITIONS), depth, seconds: (now - started) / 1000, frontier: total(W_FRONTIER) });
    }
  }
  setDeadline(undefined);
  setMemoryBound(undefined);
  const results = resultPorts.map((p) => receiveMessageOnPort(p)?.message as WorkerResult | undefined);
  for (const w of workers) void w.terminate();
  for (const p of resultPorts) p.close();
  const failed = results.find((r) => !r || (r.error && !r.error.startsWith("stopped:"))) ?? results.find((r) => r?.error);
  if (failed !== undefined || results.some((r) => !r)) {
    const why = failed?.error ?? "a worker ended without a result";
    if (failed?.tooLarge) throw new SearchTooLargeError(`search too big for memory: ${why}`);
    // The model's own errors (a user's bad patch, say) keep their message and name.
    throw Object.assign(new Error(failed ? why : `parallel search: ${why}`), { name: failed?.errorName ?? "Error" });
  }
  const rs = results as WorkerResult[];
  if (Atomics.load(ctl, STOP) === STOP_NO_PROGRESS) {
    // As search.ts does: again keeping every fingerprint, within what is left of the time budget.
    const spent = (performance.now() - started) / 1000;
    const again = parallelSearch(model, properties, { ...opts, sweep: false, ...(opts.maxSeconds !== undefined ? { maxSeconds: Math.max(0, opts.maxSeconds - spent) } : {}) });
    const seconds = again.seconds + spent;
    return { ...again, seconds, statesPerSecond: seconds > 0 ? again.states / seconds : again.states, verdictSeconds: again.verdictSeconds + spent, restarted: true };
  }

  const classes = new Map<string, ViolationClass>();
  for (const r of rs) {
    for (const c of r.classes) {
      const k = classes.get(classKey(c.property, c.name));
      if (!k) classes.set(classKey(c.property, c.name), { ...c });
      else {
        k.states += c.states;
        if (c.depth < k.depth || (c.depth === k.depth && c.first < k.first)) [k.first, k.depth] = [c.first, c.depth];
      }
    }
  }
  const violations = [...classes.values()].sort(byDepthThenName);
  const parts = rs.map((r) => ({ table: r.slots.length > 0 ? FingerprintTable.fromSlots(r.slots, r.size) : undefined, tags: r.tags, parent: r.parent, via: r.via }));
  // A budget counts only if it cut some work short: a stop that came after the end changes nothing.
  const stop = rs.some((r) => r.cut) ? Atomics.load(ctl, STOP) : STOP_NONE;
  const budget: Budget | undefined = stop === STOP_STATES ? "max-states" : stop === STOP_SECONDS ? "max-seconds" : stop === STOP_MEMORY ? "max-memory" : stop === STOP_INTERRUPT ? "interrupted" : undefined;
  const states = rs.reduce((a, r) => a + r.states, 0);
  const bytes = rs.reduce((a, r) => a + r.storeBytes + r.tags.byteLength + r.parent.byteLength + r.via.byteLength, 0);
  const seconds = (performance.now() - started) / 1000;
  const firsts = rs.flatMap((r) => (r.firstViolation !== undefined ? [r.firstViolation] : []));
  const startedAt = performance.timeOrigin + started;
  return {
    properties: property.names,
    order: "bfs",
    verdict: violations.length > 0 ? "violated" : budget ? "incomplete" : "holds",
    complete: budget === undefined,
    ...(budget ? { budget } : {}),
    states,
    transitions: rs.reduce((a, r) => a + r.transitions, 0),
    maxDepth: Math.max(...rs.map((r) => r.maxDepth)),
    terminalStates: rs.reduce((a, r) => a + r.terminal, 0),
    seconds,
    statesPerSecond: seconds > 0 ? states / seconds : states,
    verdictSeconds: firsts.length > 0 ? Math.max(0, (Math.min(...firsts) - startedAt) / 1000) : seconds,
    collisionProbability: collisionProbability(states),
    heapFull: false,
    memoryBound: bound,
    peakRssBytes: Math.max(watch.peak, watch.sample()),
    ...(watch.stoppedAt ? { memoryAtStop: watch.stoppedAt } : {}),
    bytesPerState: states > 0 ? bytes / states : 0,
    fingerprintBytesPerState: states > 0 ? rs.reduce((a, r) => a + r.storeBytes, 0) / states : 0,
    swept: sweep,
    restarted: false,
    violations,
    links: new PartitionedLinks(parts, reduce),
    workers: n,
  };
}
