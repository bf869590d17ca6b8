/**
 * npm run bench: what a user waits for and pays, measured whole. Every row is
 * a separate process timed by GNU time (wall seconds, peak resident memory),
 * conntrack-mc's `check --json` beside SPIN's verifier on bench/conntrack.pml
 * (the same question in Promela), run alternately so that the shared machine's
 * noise falls on both, with the median of --runs. Next to the whole process it
 * prints the search's own seconds and states/s (from --json), and the ratios
 * ours/SPIN of one run of this command.
 *
 * The one-flow question: N packets of one UDP flow on N CPUs, two random DNAT
 * endpoints, NAT host; v5.0 without replies (property no-drop), v5.6 with
 * replies (all-replied). Rows with symmetry+POR against SPIN with its
 * partial-order reduction, and rows without any reduction (up to
 * --max-unreduced packets) against SPIN without its (-DNOREDUCE). Then the lifecycle and recycled-entry scenarios
 * (the clock, reapers, a full table, recycled slots), which SPIN's model does
 * not have: states, wall and memory only.
 *
 *   npm run bench [-- --max-packets 8] [--max-replies 7] [--max-unreduced 6] [--runs 1] [--budget-seconds 300]
 */
import { parseArgs } from "node:util";
import { cpus, tmpdir, totalmem } from "node:os";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

const dist = (m: string): string => new URL(`../dist/${m}`, import.meta.url).href;
const { oneFlowData } = (await import(dist("scenario/one-flow.js"))) as typeof import("../src/scenario/one-flow.js");

const { values } = parseArgs({
  options: {
    "max-packets": { type: "string", default: "8" },
    "max-replies": { type: "string", default: "7" },
    "max-unreduced": { type: "string", default: "6" },
    runs: { type: "string", default: "1" },
    "budget-seconds": { type: "string", default: "300" },
  },
});
const int = (name: keyof typeof values, lo: number, hi: number): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < lo || n > hi) {
    process.stderr.write(`bench: --${name}: expected an integer ${lo} to ${hi}, got '${values[name]}'\n`);
    process.exit(2);
  }
  return n;
};
const maxPackets = int("max-packets", 2, 10);
const maxReplies = int("max-replies", 2, 10);
const maxUnreduced = int("max-unreduced", 2, 10);
const runs = int("runs", 1, 9);
const maxSeconds = int("budget-seconds", 1, 3600);
if (!existsSync("/usr/bin/time")) {
  process.stderr.write("bench: /usr/bin/time (GNU time) is needed for wall time and peak memory: apt-get install time\n");
  process.exit(2);
}

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "bin/conntrack-mc.js");
const PML = join(ROOT, "bench/conntrack.pml");
const work = mkdtempSync(join(tmpdir(), "ctmc-bench-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

interface Measured {
  wall: number;
  peakMiB: number;
  code: number | null;
  out: string;
}
/** One process under GNU time (killed past the bench's budget, with 30 s to spare). */
function timed(cmd: string, args: string[], cwd: string): Measured {
  const stats = join(work, "time.txt");
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", "-o", stats, cmd, ...args], { cwd, encoding: "utf8", maxBuffer: 1 << 28, timeout: (maxSeconds + 30) * 1000 });
  const [wall, kb] = (existsSync(stats) ? readFileSync(stats, "utf8") : "").trim().split("\n").pop()!.split(" ").map(Number);
  rmSync(stats, { force: true });
  return { wall: wall ?? NaN, peakMiB: (kb ?? NaN) / 1024, code: r.status, out: r.stdout ?? "" };
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Ours {
  wall: number;
  peakMiB: number;
  verdict: string;
  complete: boolean;
  states: number;
  seconds: number;
  statesPerSecond: number;
}
function ours(file: string, kernel: string, reduce: "all" | "none"): () => Ours {
  return () => {
    const m = timed(process.execPath, [CLI, "check", file, "--kernel", kernel, "--reduce", reduce, "--json", "--max-seconds", String(maxSeconds)], ROOT);
    const j = JSON.parse(m.out) as { verdict: string; complete: boolean; states: number; seconds: number; statesPerSecond: number };
    return { wall: m.wall, peakMiB: m.peakMiB, verdict: j.verdict, complete: j.complete, states: j.states, seconds: j.seconds, statesPerSecond: j.statesPerSecond };
  };
}

const spinVersion = (() => {
  try {
    return execFileSync("spin", ["-V"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
})();
interface Spin {
  wall: number;
  peakMiB: number;
  states: number;
  complete: boolean;
  note: string;
}
/** SPIN's verifier for one question, with its partial-order reduction or without (-DNOREDUCE),
 * compiled once for the row's runs; `build` is what spin -a and cc took (wall seconds, whole processes), reported
 * apart: a SPIN user rebuilds the verifier for every question (N is a #define). */
function spin(n: number, kernel: "v5.0" | "v5.6", replies: boolean, reduced: boolean): { run: () => Spin; build: number } | undefined {
  if (!spinVersion) return undefined;
  const dir = mkdtempSync(join(work, "spin-"));
  const gen = timed("spin", [`-DN=${n}`, `-DKERNEL=${kernel === "v5.6" ? 56 : 50}`, ...(replies ? ["-DREPLIES"] : []), "-a", PML], dir);
  // Its memory limit: a third of the machine, as a user of a shared machine would set.
  const cc = timed("cc", ["-O2", "-DSAFETY", ...(reduced ? [] : ["-DNOREDUCE"]), `-DMEMLIM=${Math.floor(totalmem() / 2 ** 20 / 3)}`, "-o", "pan", "pan.c"], dir);
  if (gen.code !== 0 || cc.code !== 0) throw new Error(`bench: building SPIN's verifier for ${n} packets failed in ${dir}`);
  const run = (): Spin => {
    const m = timed("timeout", [String(maxSeconds), "./pan", "-c0", "-n", "-m1000000"], dir);
    // Stopped by the clock, pan prints no summary: its last progress line ("States= 4e+06") says how far it got.
    const progress = [...m.out.matchAll(/States=\s*([\d.e+]+)/g)].pop()?.[1];
    const states = Number(/(\d+) states, stored/.exec(m.out)?.[1] ?? progress ?? 0);
    const stopped = m.code === 124 ? "time" : /MEMLIM|out of memory/.test(m.out) ? "memory" : m.code !== 0 ? `exit ${m.code}` : "";
    return { wall: m.wall, peakMiB: m.peakMiB, states, complete: stopped === "", note: stopped ? `stopped (${stopped})` : "complete" };
  };
  return { run, build: gen.wall + cc.wall };
}

/** Runs `a` and `b` alternately `runs` times; the median run of each (by wall time). */
function alternate<A extends { wall: number }, B extends { wall: number }>(a: () => A, b: (() => B) | undefined): [A, B | undefined] {
  const as: A[] = [];
  const bs: B[] = [];
  for (let i = 0; i < runs; i++) {
    as.push(a());
    if (b) bs.push(b());
    process.stderr.write(".");
  }
  const pick = <T extends { wall: number }>(xs: T[]): T | undefined => (xs.length ? xs.find((x) => x.wall === median(xs.map((y) => y.wall)))! : undefined);
  return [pick(as)!, pick(bs)];
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const s2 = (n: number): string => n.toFixed(2);
const scenarioFile = (name: string, data: Record<string, unknown>): string => {
  const f = join(work, `${name}.yaml`);
  writeFileSync(f, stringify(data));
  return f;
};

const header = ["question", "kernel", "reduction", "verdict", "states", "search s", "states/s", "wall s", "peak MiB", "SPIN reduction", "SPIN states", "SPIN build s", "SPIN wall s", "SPIN MiB", "SPIN states/s", "wall ours/SPIN", "memory ours/SPIN", "states ours/SPIN", "states/s ours/SPIN"];
const rows: string[][] = [header];
const ratio = (x: number, y: number, bothComplete: boolean, spinComplete: boolean): string =>
  bothComplete ? (x / y).toFixed(3) : !spinComplete ? `< ${(x / y).toFixed(3)} (SPIN stopped)` : "-";

for (const [kernel, replies, max] of [
  ["v5.0", false, maxPackets],
  ["v5.6", true, maxReplies],
] as const) {
  for (let n = 2; n <= max; n++) {
    const file = scenarioFile(`dns-${n}-packets${replies ? "-replies" : ""}`, { ...oneFlowData(n, replies), kernels: [kernel] });
    for (const reduce of n <= maxUnreduced ? (["all", "none"] as const) : (["all"] as const)) {
      // Reduced rows against SPIN with its partial-order reduction, unreduced ones against SPIN without.
      const sp = spin(n, kernel, replies, reduce === "all");
      const [o, s] = alternate(ours(file, kernel, reduce), sp?.run);
      const both = o.complete && !!s?.complete;
      rows.push([
        `${n} packets${replies ? ", replies" : ""}`,
        kernel,
        reduce === "all" ? "symmetry+POR" : "none",
        o.complete ? o.verdict : "stopped (time)",
        fmt(o.states),
        s2(o.seconds),
        fmt(o.statesPerSecond),
        s2(o.wall),
        fmt(o.peakMiB),
        ...(s && sp
          ? [
              reduce === "all" ? "POR" : "none",
              s.complete ? fmt(s.states) : `${fmt(s.states)} ${s.note}`,
              s2(sp.build),
              s2(s.wall),
              fmt(s.peakMiB),
              fmt(s.states / s.wall),
              ratio(o.wall, s.wall, both, s.complete),
              ratio(o.peakMiB, s.peakMiB, both, s.complete),
              both ? (o.states / s.states).toFixed(3) : "-",
              both ? (o.statesPerSecond / (s.states / s.wall)).toFixed(3) : "-",
            ]
          : ["", "", "", "", "", "", "", "", "", ""]),
      ]);
    }
  }
}

// Lifecycle and recycled entries: no SPIN model has them.
const life: [string, string | Record<string, unknown>, string][] = [
  ["3 packets, replies, max 2", oneFlowData(3, true, 2), "v5.10"],
  ["4 packets, replies, max 3", oneFlowData(4, true, 3), "v5.10"],
  ["3 packets, replies, max 2, 1.5 s", oneFlowData(3, true, 2, "1.5s"), "v6.12"],
  ["4 packets, replies, max 3, 1.5 s", oneFlowData(4, true, 3, "1.5s"), "v6.12"],
  ["nat-clash-early-drop", "nat-clash-early-drop", "v6.12"],
  ["nat-clash-reply-late", "nat-clash-reply-late", "v6.12"],
  ["lookup-reaps-expired", "lookup-reaps-expired", "v5.10"],
  ["dns-long-chains", "dns-long-chains", "v6.12"],
  ["dns-table-full", "dns-table-full", "v6.12"],
  ["recycled-entry", "recycled-entry", "v5.19"],
  ["recycled-entry", "recycled-entry", "v6.16"],
  ["recycled-entry-clash", "recycled-entry-clash", "v5.19"],
];
for (const [name, sc, kernel] of life) {
  const file = typeof sc === "string" ? sc : scenarioFile(name.replace(/[^a-z0-9]+/gi, "-"), { ...sc, kernels: [kernel] });
  const [o] = alternate(ours(file, kernel, "none"), undefined);
  rows.push([name, kernel, "none", o.complete ? o.verdict : "stopped (time)", fmt(o.states), s2(o.seconds), fmt(o.statesPerSecond), s2(o.wall), fmt(o.peakMiB), ...header.slice(9).map(() => "")]);
}
process.stderr.write("\n");

const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`conntrack-mc bench, ${new Date().toISOString().slice(0, 10)}, on ${cpus()[0]?.model ?? "?"} (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB), Node ${process.version}`);
console.log(`every figure a whole process under GNU time; median of ${runs} run(s), ours and SPIN alternating; a run stops at ${maxSeconds} s`);
console.log("");
for (const r of rows) console.log(r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
console.log("");
console.log(
  spinVersion
    ? `SPIN: ${spinVersion}; bench/conntrack.pml compiled with cc -O2 -DSAFETY (reduced rows: its partial-order reduction on; unreduced rows: -DNOREDUCE), run as ./pan -c0 -n with MEMLIM a third of memory. "SPIN build s" is spin -a and cc for the question, which the wall time and the ratios do not count.`
    : "SPIN is not installed (apt-get install spin): no SPIN columns.",
);
