/**
 * npm run bench: how the search scales with packets and CPUs. For N packets of
 * one UDP flow on N CPUs (two random DNAT endpoints, NAT host), replies off on
 * v5.0 and on on v5.6, it runs the same question without reductions and with
 * symmetry + partial-order reduction, on one thread and on --workers threads,
 * in this one process, and prints states, states/s, bytes per stored state,
 * the time to the whole answer and to the first violation. Lifecycle rows
 * follow: 3 and 4 packets with replies on v5.10 and a table one entry short
 * (conntrack-max), so that early_drop runs. It runs the
 * compiled code (dist/), as the command does. Ratios are between runs of this
 * command (the machine is shared and noisy). Lifecycle rows follow: 3 and 4
 * packets with replies on v5.10 and a table one entry short (conntrack-max),
 * so that early_drop runs; SPIN's model has no table limit.
 *
 *   npm run bench [-- --max-packets 8] [-- --budget-states 3000000] [-- --budget-seconds 120] [-- --workers 2]
 */
import { parseArgs } from "node:util";
import { cpus, totalmem, tmpdir } from "node:os";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { availableParallelism } from "node:os";

// The compiled modules (npm run bench builds them first); their types are the sources'.
const dist = (m: string): string => new URL(`../dist/${m}`, import.meta.url).href;
const { REDUCTIONS, runCheck } = (await import(dist("check.js"))) as typeof import("../src/check.js");
const { oneFlowScenario } = (await import(dist("scenario/one-flow.js"))) as typeof import("../src/scenario/one-flow.js");
const { resolveScenario } = (await import(dist("scenario/registry.js"))) as typeof import("../src/scenario/registry.js");

const { values } = parseArgs({
  options: {
    "max-packets": { type: "string", default: "8" },
    "budget-states": { type: "string", default: "3000000" },
    "budget-seconds": { type: "string", default: "120" },
    workers: { type: "string", default: String(Math.min(availableParallelism(), 8)) },
  },
});
const workerCounts = [...new Set([1, Number(values.workers)])];
const maxPackets = Number(values["max-packets"]);
const maxStates = Number(values["budget-states"]);
const maxSeconds = Number(values["budget-seconds"]);


const spin = (() => {
  try {
    return execFileSync("spin", ["-V"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
})();

const PML = fileURLToPath(new URL("./conntrack.pml", import.meta.url));
const spinDir = spin ? mkdtempSync(join(tmpdir(), "ctmc-spin-")) : "";

/** SPIN on bench/conntrack.pml: its own partial-order reduction, full state space, no property to stop at. */
function runSpin(n: number, kernel: string, replies: boolean): { states: number; seconds: number; complete: boolean; note: string } {
  const defs = [`-DN=${n}`, `-DKERNEL=${kernel === "v5.6" ? 56 : 50}`, ...(replies ? ["-DREPLIES"] : [])];
  execFileSync("spin", [...defs, "-a", PML], { cwd: spinDir, stdio: "ignore" });
  execFileSync("cc", ["-O2", "-DSAFETY", `-DMEMLIM=${Math.floor(totalmem() / 2 ** 20 / 3)}`, "-o", "pan", "pan.c"], { cwd: spinDir, stdio: "ignore" });
  const t0 = performance.now();
  const r = spawnSync("./pan", ["-c0", "-n", "-m1000000"], { cwd: spinDir, encoding: "utf8", timeout: maxSeconds * 1000 });
  const seconds = (performance.now() - t0) / 1000;
  const out = r.stdout ?? "";
  const states = Number(/(\d+) states, stored/.exec(out)?.[1] ?? 0);
  const stopped = r.signal ? "time" : /MEMLIM|out of memory/.test(out) ? "memory" : "";
  return { states, seconds, complete: !stopped && r.status === 0, note: stopped ? `stopped (${stopped})` : "complete" };
}

console.log(`conntrack-mc bench on ${cpus()[0]?.model ?? "?"} (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB), Node ${process.version}`);
console.log(`budgets per run: ${maxStates.toLocaleString("en-US")} states or ${maxSeconds} s; workers: ${workerCounts.join(" and ")}`);
console.log("");
type Result = ReturnType<typeof runCheck>["result"];
/** A row's cells up to the SPIN columns. */
function searchCells(packets: string, kernel: string, replies: boolean, reduce: "none" | "all", r: Result, speedup: string): string[] {
  return [
    packets,
    kernel,
    replies ? "on" : "off",
    // What was asked, and what the model allowed when that is less (a limited table: none).
    (reduce === "all" ? "symmetry+POR" : "none") + (reduce === "all" && !r.links.reduce.symmetry && !r.links.reduce.por ? " (ran: none)" : ""),
    String(r.workers),
    r.complete ? r.verdict : `stopped (${r.budget})`,
    r.states.toLocaleString("en-US"),
    Math.round(r.statesPerSecond).toLocaleString("en-US"),
    r.bytesPerState.toFixed(1),
    r.seconds.toFixed(2) + speedup,
    r.verdict === "violated" ? r.verdictSeconds.toFixed(2) : "-",
  ];
}

const header = ["packets", "kernel", "replies", "reduction", "workers", "verdict", "states", "states/s", "B/state", "seconds", "1st violation s", "SPIN states", "SPIN s", "ours/SPIN"];
const rows: string[][] = [header];
for (const [kernel, replies] of [
  ["v5.0", false],
  ["v5.6", true],
] as const) {
  for (let n = 2; n <= maxPackets; n++) {
    const sc = oneFlowScenario(n, replies);
    const sp = spin ? runSpin(n, kernel, replies) : undefined;
    for (const reduce of ["none", "all"] as const) {
      let serial: { seconds: number; complete: boolean } | undefined;
      for (const workers of workerCounts) {
        const r = runCheck(sc, kernel, replies ? "all-replied" : "no-drop", { reduce: REDUCTIONS[reduce], maxStates, maxSeconds, workers }).result;
        if (workers === 1) serial = { seconds: r.seconds, complete: r.complete };
        const speedup =
          workers > 1 && serial ? (serial.complete && r.complete ? `  (${(serial.seconds / Math.max(r.seconds, 1e-3)).toFixed(2)}x one thread)` : "  (no ratio: a run stopped)") : "";
        rows.push([
          ...searchCells(String(n), kernel, replies, reduce, r, speedup),
          ...(reduce === "all" && sp
            ? [
                sp.complete ? sp.states.toLocaleString("en-US") : `${sp.states ? sp.states.toLocaleString("en-US") : "?"} ${sp.note}`,
                sp.seconds.toFixed(2),
                sp.complete && r.complete
                  ? (r.seconds / sp.seconds).toFixed(3)
                  : r.complete
                    ? `< ${(r.seconds / sp.seconds).toFixed(3)} (SPIN stopped)`
                    : "-",
              ]
            : ["", "", ""]),
        ]);
        process.stderr.write(".");
      }
    }
  }
}
// Lifecycle rows: the same flow with replies and a table one entry short of the packets, so the last
// allocation runs early_drop (which the search branches on); no SPIN model has a table limit.
for (const n of [3, 4]) {
  const sc = oneFlowScenario(n, true, n - 1);
  for (const reduce of ["none", "all"] as const) {
    for (const workers of workerCounts) {
      const r = runCheck(sc, "v5.10", undefined, { reduce: REDUCTIONS[reduce], maxStates, maxSeconds, workers }).result;
      rows.push([...searchCells(`${n}, max ${n - 1}`, "v5.10", true, reduce, r, ""), "", "", ""]);
      process.stderr.write(".");
    }
  }
}
// With time as well: answers may take 1.5 s, so NAT_CLASH entries (1 s) expire, the clock and the gc worker
// are actors, and neither symmetry, POR nor the sweep applies (one row each: "all" would be the same search).
for (const n of [3, 4]) {
  const sc = oneFlowScenario(n, true, n - 1, "1.5s");
  for (const workers of workerCounts) {
    const r = runCheck(sc, "v6.12", undefined, { reduce: REDUCTIONS.none, maxStates, maxSeconds, workers }).result;
    rows.push([...searchCells(`${n}, max ${n - 1}, 1.5 s`, "v6.12", true, "none", r, ""), "", "", ""]);
    process.stderr.write(".");
  }
}
// Recycled entries (the 2d72afb34065 race): the bug's release and the fix's.
for (const kernel of ["v5.19", "v6.16"]) {
  const r = runCheck(resolveScenario("recycled-entry"), kernel, undefined, { reduce: REDUCTIONS.none, maxStates, maxSeconds }).result;
  rows.push([...searchCells("recycled-entry", kernel, false, "none", r, ""), "", "", ""]);
  process.stderr.write(".");
}
process.stderr.write("\n");
const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c < 5 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
console.log("");
console.log(
  spin
    ? `SPIN: ${spin}, bench/conntrack.pml compiled with -DSAFETY (its partial-order reduction on), same budgets; ours/SPIN compares the symmetry+POR row's time with SPIN's.`
    : "SPIN is not installed (apt-get install spin): no SPIN columns.",
);
