import { conntrackModel } from "../dist/kernel/model.js";
import { resolveKernel } from "../dist/kernel/variants.js";
import { scenarioFromData } from "../dist/scenario/load.js";
import { search } from "../dist/engine/search.js";
import { noDrop } from "../dist/kernel/properties.js";
import { fingerprint } from "../dist/engine/fingerprint.js";
const n = 6;
const sc = scenarioFromData({ name: `b`, description: `x`, protocol: "udp", cpus: n, "nat-table": true, client: "10.244.0.5:40000", service: "10.96.0.10:53",
  dnat: { endpoints: ["10.244.1.7:53", "10.244.2.9:53"], choice: "random" }, snat: "null-binding", replies: false,
  packets: Array.from({ length: n }, (_, i) => ({ name: `P${i + 1}`, cpu: i })), kernels: ["v5.0"] }, "bench");
const m = conntrackModel(sc, resolveKernel("v5.0"));
const ip = m.inPlace!;
const W = m.encodedWords; const K = 20000;
const buf = new Int32Array(W * K); let k = 0;
const w = new Int32Array(W);
search(m, noDrop, { maxStates: 200000, visit: (s: any) => { if (k < K && Math.random() < 0.2) { m.encode(s, w); buf.set(w, k * W); k++; } } });
const states = Array.from({ length: k }, (_, i) => ip.decode(buf, i * W, W, ip.scratch()));
const fp = new Uint32Array(2);
for (let rep = 0; rep < 3; rep++) {
  let t0 = performance.now();
  for (let r = 0; r < 50; r++) for (let i = 0; i < k; i++) m.encode(states[i], w);
  const enc = (performance.now() - t0) * 1e6 / (50 * k);
  t0 = performance.now();
  for (let r = 0; r < 50; r++) for (let i = 0; i < k; i++) fingerprint(buf.subarray(i * W, i * W + W), W, fp);
  const fpt = (performance.now() - t0) * 1e6 / (50 * k);
  const sc2 = ip.scratch();
  t0 = performance.now();
  for (let r = 0; r < 50; r++) for (let i = 0; i < k; i++) ip.decode(buf, i * W, W, sc2);
  const dec = (performance.now() - t0) * 1e6 / (50 * k);
  console.log(`states ${k} encode ${enc.toFixed(0)} ns, fingerprint ${fpt.toFixed(0)} ns, decode ${dec.toFixed(0)} ns`);
}
{
  const s0 = states[5]!;
  let t0 = performance.now();
  for (let r = 0; r < 1000000; r++) m.encode(s0, w);
  console.log("same state encode", ((performance.now() - t0) * 1e6 / 1e6).toFixed(0), "ns");
  const s1 = states[6]!;
  t0 = performance.now();
  for (let r = 0; r < 500000; r++) { m.encode(s0, w); m.encode(s1, w); }
  console.log("two states alternating", ((performance.now() - t0) * 1e6 / 1e6).toFixed(0), "ns");
}
