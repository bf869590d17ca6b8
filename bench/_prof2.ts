import { REDUCTIONS, runCheck } from "../dist/check.js";
import { scenarioFromData } from "../dist/scenario/load.js";
const n = Number(process.argv[2] ?? 6); const replies = process.argv[3] === "on"; const red = (process.argv[4] ?? "none") as "none";
const sc = scenarioFromData({ name: `b`, description: `x`, protocol: "udp", cpus: n, "nat-table": true, client: "10.244.0.5:40000", service: "10.96.0.10:53",
  dnat: { endpoints: ["10.244.1.7:53", "10.244.2.9:53"], choice: "random" }, snat: "null-binding", replies,
  packets: Array.from({ length: n }, (_, i) => ({ name: `P${i + 1}`, cpu: i })), kernels: ["v5.0"] }, "bench");
const r = runCheck(sc, replies ? "v5.6" : "v5.0", replies ? "all-replied" : "no-drop", { reduce: REDUCTIONS[red], maxStates: Number(process.argv[5] ?? 500000), workers: Number(process.argv[6] ?? 1) }).result;
console.log(r.verdict, r.states, r.transitions, Math.round(r.statesPerSecond), r.bytesPerState.toFixed(1), r.seconds.toFixed(2), r.complete);
