import { FingerprintTable } from "../src/engine/fptable.js";
const N = 3_000_000;
const keys = new Uint32Array(2 * N);
let x = 12345;
const rnd = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
for (let i = 0; i < 2 * N; i++) keys[i] = rnd() | 1;
for (const rep of [1, 2]) {
  const t = new FingerprintTable(16, false);
  const proto = Object.getPrototypeOf(t);
  const g = proto.grow; let gt = 0, gn = 0;
  proto.grow = function () { const a = performance.now(); g.call(this); gt += performance.now() - a; gn++; };
  const t0 = performance.now();
  for (let i = 0; i < N; i++) t.insert(keys[2 * i]!, keys[2 * i + 1]!);
  console.log("total ms", (performance.now() - t0).toFixed(0), "grow ms", gt.toFixed(0), "grows", gn);
  proto.grow = g;
}
