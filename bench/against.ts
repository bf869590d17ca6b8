/**
 * npm run bench:against -- --rev REV: is this checkout slower than REV at what
 * users run? It builds REV in a temporary git worktree (sharing this
 * checkout's node_modules), then runs the same commands with each build,
 * alternating old and new so that the shared machine's noise falls on both,
 * and prints per command the medians of the whole command's wall time and peak
 * RSS (GNU time, as a user waits and pays) beside the search's own seconds
 * (from --json), and new/old ratios. It also says whether both builds found the
 * same states and verdict: a speed-up that changes the answer is no speed-up.
 *
 *   npm run bench:against -- --rev ca4bd10 [--runs 5] [--quick] [--only TEXT]
 *
 * --quick leaves out the two searches of millions of states (about 3 minutes of the default's 6);
 * --only runs the commands whose name contains TEXT.
 */
import { parseArgs } from "node:util";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const { values } = parseArgs({
  options: { rev: { type: "string" }, runs: { type: "string", default: "5" }, quick: { type: "boolean", default: false }, only: { type: "string" } },
});
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const fail = (msg: string): never => {
  process.stderr.write(`bench:against: ${msg}\n`);
  process.exit(2);
};
if (!values.rev) fail("--rev: expected a commit to compare with (e.g. --rev ca4bd10)");
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) fail(`--runs: expected an integer 1 to 50, got '${values.runs}'`);
if (!existsSync("/usr/bin/time")) fail("/usr/bin/time (GNU time) is needed for peak RSS: apt-get install time");
const rev = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", `${values.rev}^{commit}`], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return fail(`--rev: '${values.rev}' is not a commit of this repository`);
  }
})();

const work = mkdtempSync(join(tmpdir(), "ctmc-against-"));
const old = join(work, "old");
const cleanup = (): void => {
  spawnSync("git", ["worktree", "remove", "--force", old], { cwd: ROOT });
  rmSync(work, { recursive: true, force: true });
};
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

process.stderr.write(`building ${rev} in ${old} ...\n`);
execFileSync("git", ["worktree", "add", "--detach", old, rev], { cwd: ROOT, stdio: "ignore" });
symlinkSync(join(ROOT, "node_modules"), join(old, "node_modules"));
execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: old, stdio: "inherit" });
execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });

/** The bench's scaling question as a scenario file both builds read alike. */
function oneFlow(n: number, replies: boolean): string {
  const file = join(work, `dns-${n}-packets${replies ? "-replies" : ""}.yaml`);
  const packets = Array.from({ length: n }, (_, i) => `  - { name: P${i + 1}, cpu: ${i} }`).join("\n");
  writeFileSync(
    file,
    `name: dns-${n}-packets\ndescription: ${n} packets of one UDP flow on ${n} CPUs, two random endpoints\nprotocol: udp\ncpus: ${n}\n` +
      `nat-table: true\nclient: 10.244.0.5:40000\nservice: 10.96.0.10:53\ndnat:\n  endpoints: [10.244.1.7:53, 10.244.2.9:53]\n  choice: random\n` +
      `snat: null-binding\nreplies: ${replies}\npackets:\n${packets}\nkernels: [v5.0]\n`,
  );
  return file;
}

/** The built-in scenarios both builds have (a newer build may have more): compare and review check these. */
const models = (dir: string): string[] => readdirSync(join(dir, "models")).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5));
const common = models(ROOT).filter((m) => models(old).includes(m)).sort();

interface Command {
  readonly name: string;
  readonly args: readonly string[];
  /** The search's own seconds and what must be equal, from the command's --json output. */
  readonly read: (json: unknown) => { seconds: number; answer: string };
}

type Cell = { verdict: string; states: number; seconds: number };
const checkJson = (j: unknown): { seconds: number; answer: string } => {
  const c = j as Cell;
  return { seconds: c.seconds, answer: `${c.verdict} ${c.states} states` };
};
const cellsOf = (cells: readonly Cell[]): { seconds: number; answer: string } => ({
  seconds: cells.reduce((sum, c) => sum + c.seconds, 0),
  answer: cells.map((c) => `${c.verdict}/${c.states}`).join(" "),
});
const compareJson = (j: unknown): { seconds: number; answer: string } => cellsOf((j as { rows: Cell[][] }).rows.flat());
const reviewJson = (j: unknown): { seconds: number; answer: string } =>
  cellsOf((j as { scenarios: { base: Cell; patched: Cell }[] }).scenarios.flatMap((s) => [s.base, s.patched]));

const COMMANDS: Command[] = [
  { name: "check dns-a-aaaa --kernel v4.19 (the README's first command)", args: ["check", "dns-a-aaaa", "--kernel", "v4.19", "--json"], read: checkJson },
  { name: `compare (${common.length} scenarios, every release)`, args: ["compare", ...common, "--json"], read: compareJson },
  { name: "review examples/patches/merge-on-same-origin.mjs", args: ["review", "examples/patches/merge-on-same-origin.mjs", ...common, "--json"], read: reviewJson },
  ...(values.quick
    ? []
    : [
        { name: "check 6 packets, v5.0, unreduced (6 M states)", args: ["check", oneFlow(6, false), "--kernel", "v5.0", "--no-reduce", "--json"], read: checkJson },
        { name: "check 7 packets, v5.6, replies, reduced (1.3 M states)", args: ["check", oneFlow(7, true), "--kernel", "v5.6", "--json"], read: checkJson },
      ]),
];

interface Run {
  readonly wall: number;
  readonly rssMiB: number;
  readonly search: number;
  readonly answer: string;
}

function runOnce(dir: string, c: Command): Run {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, join(dir, "bin/conntrack-mc.js"), ...c.args], {
    cwd: ROOT, // the same scenario and example files for both builds
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const timeLine = r.stderr.trim().split("\n").pop() ?? "";
  const [wall, kb] = timeLine.split(" ").map(Number);
  let parsed: { seconds: number; answer: string };
  try {
    parsed = c.read(JSON.parse(r.stdout));
  } catch {
    return fail(`${dir === old ? rev : "this checkout"}: '${c.args.join(" ")}' gave no JSON (exit ${r.status}): ${r.stderr.split("\n")[0]}`);
  }
  return { wall: wall!, rssMiB: kb! / 1024, search: parsed.seconds, answer: parsed.answer };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f2 = (x: number): string => x.toFixed(2);

process.stdout.write(`this checkout against ${rev}, ${runs} alternating runs of each command; medians (whole command: wall s, peak RSS MiB; search s)\n\n`);
const head = ["command", "build", "wall s", "peak MiB", "search s", "same answer"];
const rows: string[][] = [];
const chosen = COMMANDS.filter((c) => values.only === undefined || c.name.includes(values.only));
if (chosen.length === 0) fail(`--only: no command's name contains '${values.only}': ${COMMANDS.map((c) => c.name).join("; ")}`);
for (const c of chosen) {
  const got: Record<"old" | "new", Run[]> = { old: [], new: [] };
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always runs on a warm (or a busy) machine.
    const order: ("old" | "new")[] = i % 2 ? ["new", "old"] : ["old", "new"];
    for (const b of order) got[b].push(runOnce(b === "old" ? old : ROOT, c));
  }
  const same = got.old.every((r) => r.answer === got.new[0]!.answer) && got.new.every((r) => r.answer === got.new[0]!.answer);
  const m = (b: "old" | "new", k: "wall" | "rssMiB" | "search"): number => median(got[b].map((r) => r[k]));
  rows.push([c.name, rev, f2(m("old", "wall")), f2(m("old", "rssMiB")), f2(m("old", "search")), ""]);
  rows.push(["", "this", f2(m("new", "wall")), f2(m("new", "rssMiB")), f2(m("new", "search")), same ? "yes" : `NO: ${got.old[0]!.answer.slice(0, 60)} vs ${got.new[0]!.answer.slice(0, 60)}`]);
  rows.push(["", "new/old", `${f2(m("new", "wall") / m("old", "wall"))}x`, `${f2(m("new", "rssMiB") / m("old", "rssMiB"))}x`, m("old", "search") < 0.05 ? "- (too short)" : `${f2(m("new", "search") / m("old", "search"))}x`, ""]);
}
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [head, ...rows]) process.stdout.write(r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join("  ").trimEnd() + "\n");
process.stdout.write(`\nRatios compare medians of runs taken in turn in this one command; on this shared machine a ratio within about 0.9-1.1x is noise.\n`);
