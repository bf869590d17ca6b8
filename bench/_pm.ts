import { PairMap } from "../src/kernel/pairmap.js";
const m = new PairMap();
const pairs: [number, number][] = [];
for (let s = 0; s < 6; s++) for (let p = 40000; p < 40010; p++) for (let d = 0; d < 3; d++) pairs.push([(s << 16) | p, (d << 16) | 53]);
pairs.forEach(([a, b], i) => m.set(a, b, i));
let t0 = performance.now(); let x = 0;
for (let r = 0; r < 20000; r++) for (const [a, b] of pairs) x += m.get(a, b);
console.log("get ns", ((performance.now() - t0) * 1e6 / (20000 * pairs.length)).toFixed(1), m.size, x > 0);
