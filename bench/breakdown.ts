/**
 * npm run bench:breakdown: where the time of an unreduced search goes. It runs
 * the search once (serial, no reductions) keeping every reached state's
 * encoding, then replays the same expansions over those states in loops that
 * each add one phase of what the search does per transition:
 *
 *   clone    decode each state, list its actions, and per action copy it
 *   steps    + run the action's step on the copy (Model.next): the added
 *            time is the kernel's step code alone
 *   encode   the search's way: step the decoded state in place, pack the
 *            successor into words, undo with InPlace.restore
 *   hash     + its 64-bit fingerprint
 *   probe    + looking it up in a fingerprint table holding every state
 *   level    hash, then look it up in a table holding only its level (what
 *            the sweep probes, src/engine/visited.ts), instead of "probe"
 *
 * and prints each loop's rate as states/s (the search's unit) and nanoseconds
 * a transition; "search" rows are the real search's own rate, as it runs by
 * default (sweeping) and keeping every fingerprint. The last line is the
 * ceiling of any search that runs these step functions: their cost alone, as
 * if decoding, packing, hashing and storing were free.
 *
 *   npm run bench:breakdown [-- --packets 6] [-- --kernel v5.0] [-- --replies]
 */
import { parseArgs } from "node:util";
import { cpus } from "node:os";

const dist = (m: string): string => new URL(`../dist/${m}`, import.meta.url).href;
const { oneFlowScenario } = (await import(dist("scenario/one-flow.js"))) as typeof import("../src/scenario/one-flow.js");
const { conntrackModel } = (await import(dist("model/model.js"))) as typeof import("../src/model/model.js");
const { resolveKernel } = (await import(dist("kernel/variants.js"))) as typeof import("../src/kernel/variants.js");
const { search } = (await import(dist("engine/search.js"))) as typeof import("../src/engine/search.js");
const { fingerprint } = (await import(dist("engine/fingerprint.js"))) as typeof import("../src/engine/fingerprint.js");
const { FingerprintTable } = (await import(dist("engine/fptable.js"))) as typeof import("../src/engine/fptable.js");
const { cloneState } = (await import(dist("kernel/net/state.js"))) as typeof import("../src/kernel/net/state.js");
const { PROPERTIES } = (await import(dist("kernel/properties/properties.js"))) as typeof import("../src/kernel/properties/properties.js");

const { values } = parseArgs({
  options: { packets: { type: "string", default: "6" }, kernel: { type: "string", default: "v5.0" }, replies: { type: "boolean", default: false } },
});
const n = Number(values.packets);
const replies = values.replies;
const model = conntrackModel(oneFlowScenario(n, replies), resolveKernel(values.kernel));
const property = PROPERTIES.find((p) => p.name === (replies ? "all-replied" : "no-drop"))!;
const ip = model.inPlace!;
const W = model.encodedWords;

// The search, keeping each state's encoding and depth as it is first reached.
let all = new Int32Array(W * 1024);
let depthOf = new Uint8Array(1024);
let count = 0;
const r = search(model, property, {
  visit(s, _i, depth) {
    if (count === depthOf.length) {
      const grown = new Uint8Array(count * 2);
      grown.set(depthOf);
      depthOf = grown;
    }
    depthOf[count] = depth;
    if ((count + 1) * W > all.length) {
      const grown = new Int32Array(all.length * 2);
      grown.set(all);
      all = grown;
    }
    model.encode(s, all.subarray(count * W, (count + 1) * W));
    count++;
  },
});
const states = r.states;
const transitions = r.transitions;

const base = ip.scratch();
const cur = new Int32Array(W);
const succ = new Int32Array(W);
const fp = new Uint32Array(2);
const table = new FingerprintTable(states / 0.8, false);
const levelSize = new Array<number>(r.maxDepth + 1).fill(0);
for (let i = 0; i < states; i++) levelSize[depthOf[i]!]!++;
const levels = levelSize.map((n) => new FingerprintTable(n / 0.8, false));
for (let i = 0; i < states; i++) {
  fingerprint(all.subarray(i * W, (i + 1) * W), W, fp);
  table.insert(fp[0]!, fp[1]!);
  levels[depthOf[i]!]!.insert(fp[0]!, fp[1]!);
}

const PHASES = ["clone", "steps", "encode", "hash", "probe", "level"] as const;
/** Keeps each copy alive, so that the compiler cannot drop the copying loop's work. */
let sink: unknown;
/** One pass over every state doing loop `mode` (an index into PHASES) for each transition; returns seconds. */
function pass(mode: number): number {
  const t0 = performance.now();
  let seen = 0;
  for (let i = 0; i < states; i++) {
    for (let k = 0; k < W; k++) cur[k] = all[i * W + k]!;
    ip.decode(cur, 0, W, base);
    const acts = model.actions(base);
    for (let j = 0; j < acts.length; j++) {
      if (mode < 2) {
        sink = mode === 0 ? cloneState(base) : model.next(base, acts[j]!);
        continue;
      }
      ip.apply(base, acts[j]!);
      model.encode(base, succ);
      if (mode >= 3) fingerprint(succ, W, fp);
      if (mode === 4 && table.get(fp[0]!, fp[1]!) >= 0) seen++;
      if (mode === 5 && levels[depthOf[i]! + 1]!.get(fp[0]!, fp[1]!) >= 0) seen++;
      ip.restore!(base, cur, succ, W);
    }
  }
  if (sink === undefined) throw new Error("no state was copied");
  if (mode >= 4 && seen !== transitions) throw new Error(`probe pass found ${seen} of ${transitions} successors`);
  return (performance.now() - t0) / 1000;
}

console.log(`breakdown on ${cpus()[0]?.model ?? "?"}, Node ${process.version}: ${n} packets, ${values.kernel}, replies ${replies ? "on" : "off"}, no reductions`);
console.log(`${states.toLocaleString("en-US")} states, ${transitions.toLocaleString("en-US")} transitions (${(transitions / states).toFixed(2)} a state)`);
console.log("");
const rows: string[][] = [["loop", "seconds", "states/s", "ns/transition", "added"]];
for (const sweep of [true, false]) {
  const t = search(model, property, { sweep });
  if (t.states !== states || t.transitions !== transitions) throw new Error("the search found another graph");
  rows.push([t.swept ? "search (sweep)" : "search (all kept)", t.seconds.toFixed(2), Math.round(states / t.seconds).toLocaleString("en-US"), ((t.seconds * 1e9) / transitions).toFixed(0), `${t.bytesPerState.toFixed(1)} B/state`]);
}
const ns: number[] = [];
PHASES.forEach((name, i) => {
  pass(i); // warm-up: the first pass also compiles
  const s = Math.min(pass(i), pass(i));
  ns.push((s * 1e9) / transitions);
  const added = i === 0 || i === 2 ? "" : `+${(ns[i]! - ns[i === 5 ? 3 : i - 1]!).toFixed(0)}`;
  rows.push([name, s.toFixed(2), Math.round(states / s).toLocaleString("en-US"), ns[i]!.toFixed(0), added]);
});
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
console.log("");
const stepNs = ns[1]! - ns[0]!;
console.log(`kernel steps alone: ${stepNs.toFixed(0)} ns a transition, so at most ${Math.round(1e9 / (stepNs * (transitions / states))).toLocaleString("en-US")} states/s for any search that runs them`);
