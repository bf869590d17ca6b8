// Records every result of every built-in scenario on every release, as the CLI reports it, and compares two
// recordings: a refactor that changes no verdict, class, count or shortest trace leaves them equal.
//
//   node scripts/results.mjs record [--checkout DIR] [--out FILE] [--jobs N] [--only SCENARIO,...] [--kernels V,...]
//   node scripts/results.mjs compare A.json B.json
//   node scripts/results.mjs baseline REV [--out FILE] [--jobs N] [--only SCENARIO,...] [--kernels V,...]   (default FILE: /tmp/results-REV.json)
//
// --kernels records the kernels named instead of the releases `list` names: two builds whose lists differ (a new
// release) are compared on the names both know.
//
// It runs `node DIR/bin/conntrack-mc.js` only, never dist/'s modules: their paths move between commits, the
// CLI's `list --json` and `check --json` are what stays. A recording keeps only what the exploration
// determines (an allow-list), so two runs of one build are byte-identical and timing fields never leak in.
// Exit codes: 0 done / recordings equal, 1 recordings differ, 2 bad input or a failure (one line on stderr).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const FORMAT = "conntrack-mc-results/1";
const ROOT = resolve(fileURLToPath(new URL("../", import.meta.url)));
const USAGE = "usage: results.mjs record [--checkout DIR] [--out FILE] [--jobs N] [--only SCENARIO,...] [--kernels V,...] | compare A.json B.json | baseline REV [--out FILE] [--jobs N] [--only SCENARIO,...] [--kernels V,...]";
// check's exit codes that are results: holds, violated, stopped by a budget.
const RESULT_EXITS = new Set([0, 1, 3]);
// The two reduction settings each cell is checked under: the tool's default and none at all.
const REDUCE_MODES = ["default", "none"];

/** A path the user typed: `npm run results` runs in the package root, INIT_CWD is where they typed it. */
const userPath = (p) => resolve(process.env.INIT_CWD ?? process.cwd(), p);

/** A failure to report in one line and exit 2. */
class Failure extends Error {}

// ---- what a cell keeps of `check --json` (allow-lists: a field not named here is left out) ----

const CELL_FIELDS = ["verdict", "complete", "budget", "states", "transitions", "terminalStates", "depth"];
const CLASS_FIELDS = ["class", "states", "shortest"];
const STEP_FIELDS = ["actor", "packet", "function", "note", "changes", "decisive", "cause"];
const COUNTEREXAMPLE_FIELDS = ["counterexampleClass", "counterexamplePreemptions", "counterexampleMinimal"];

/** The named fields of `o` that it has, in the list's order (absent ones stay absent, not null). */
function pick(o, fields) {
  const out = {};
  for (const f of fields) if (o !== null && typeof o === "object" && Object.hasOwn(o, f)) out[f] = o[f];
  return out;
}

/** One cell of a recording from check's report: `reduce` is the mode asked for (default or none), `reduction`
 * the one the search applied (the report's `reduce`: a scenario may refuse symmetry). */
function cellOf(scenario, kernel, reduce, exit, report) {
  return {
    scenario,
    kernel,
    reduce,
    exit,
    ...(Object.hasOwn(report, "reduce") ? { reduction: report.reduce } : {}),
    ...pick(report, CELL_FIELDS),
    properties: (report.properties ?? []).map((p) => ({ ...pick(p, ["name", "verdict"]), classes: (p.classes ?? []).map((c) => pick(c, CLASS_FIELDS)) })),
    // Not in check --json today; kept if a later build reports them (conntrack -S figures the search found).
    ...pick(report, ["counters"]),
    ...pick(report, COUNTEREXAMPLE_FIELDS),
    counterexample: Array.isArray(report.counterexample) ? report.counterexample.map((s) => pick(s, STEP_FIELDS)) : null,
  };
}

const cellName = (c) => `${c.scenario} ${c.kernel} reduce=${c.reduce}`;

// ---- running the CLI ----

/** The CLI of checkout `dir`, run as a child; resolves with its exit code and output (never rejects on exit codes). */
function cli(dir, args, children) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(dir, "bin/conntrack-mc.js"), ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    const out = [];
    const err = [];
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    child.on("error", (e) => fail(new Failure(`${commandLine(dir, args)}: ${e.message}`)));
    child.on("close", (code, signal) => {
      children.delete(child);
      done({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

const commandLine = (dir, args) => ["node", join(dir, "bin/conntrack-mc.js"), ...args].join(" ");
const firstLine = (s) => s.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";

/** Children still running, so a signal or a failure can stop them (by their pid, nothing else). */
const live = new Set();
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.on(sig, () => {
    for (const c of live) c.kill(sig);
    cleanups.forEach((f) => f());
    process.exit(code);
  });
}
/** What a signal must still undo (the baseline's worktree). */
const cleanups = [];

/** The scenarios (with their properties) and releases `list --json` names, in its order. */
async function listing(dir) {
  const args = ["list", "--json"];
  const r = await cli(dir, args, live);
  if (r.code !== 0) throw new Failure(`${commandLine(dir, args)} exited ${r.code ?? r.signal}: ${firstLine(r.stderr)}`);
  const j = parseJson(r.stdout, commandLine(dir, args));
  if (!Array.isArray(j.scenarios) || !Array.isArray(j.variants)) throw new Failure(`${commandLine(dir, args)}: no scenarios or variants in its output`);
  return { scenarios: j.scenarios.map((s) => ({ name: s.name, properties: s.properties })), releases: j.variants.map((v) => v.name) };
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Failure(`${what}: output is not JSON (${e.message})`);
  }
}

/** One cell: check the scenario on the release for all its properties, under one reduction mode. */
async function runCell(dir, { scenario, properties, kernel, reduce }) {
  const args = ["check", scenario, "--kernel", kernel, "--property", properties.join(","), ...(reduce === "none" ? ["--reduce", "none"] : []), "--json"];
  const r = await cli(dir, args, live);
  if (!RESULT_EXITS.has(r.code)) throw new Failure(`${commandLine(dir, args)} exited ${r.code ?? r.signal}: ${firstLine(r.stderr) || "(no message)"}`);
  return cellOf(scenario, kernel, reduce, r.code, parseJson(r.stdout, commandLine(dir, args)));
}

/** Runs `work(item)` over `items`, `jobs` at a time; results in `items`' order. The first failure stops
 * new work, waits for what is running, and is thrown. */
async function pool(items, jobs, work, onDone) {
  const results = new Array(items.length);
  let next = 0;
  let failure;
  let finished = 0;
  async function worker() {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]);
        onDone(++finished, items[i]);
      } catch (e) {
        failure ??= e;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}

/** A progress line on a terminal (rewritten in place); nothing when stderr is a file or pipe. */
function progress(total) {
  if (!process.stderr.isTTY) return { step: () => {}, end: () => {} };
  return {
    step: (n, item) => process.stderr.write(`\r\x1b[K[${n}/${total}] ${item.scenario} ${item.kernel} reduce=${item.reduce}`),
    end: () => process.stderr.write("\r\x1b[K"),
  };
}

/** Which commit the checkout is at, and whether tracked files differ from it (null outside git): the
 * recording says what it recorded; compare does not read it. */
function sourceOf(dir) {
  const git = (...args) => spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
  const head = git("rev-parse", "HEAD");
  if (head.status !== 0) return null;
  const status = git("status", "--porcelain", "--untracked-files=no");
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== "" };
}

/** Records checkout `dir`: every (scenario, release, mode) cell, sorted by scenario, release as listed, mode. */
async function record(dir, { jobs, only, kernels }) {
  if (!existsSync(join(dir, "bin/conntrack-mc.js"))) throw new Failure(`${dir}: not a conntrack-mc checkout (no bin/conntrack-mc.js)`);
  if (!existsSync(join(dir, "dist"))) throw new Failure(`${dir}: not built (no dist/): run \`npm run build\` there`);
  const listed = await listing(dir);
  const { scenarios } = listed;
  const releases = kernels ?? listed.releases;
  let chosen = scenarios;
  if (only) {
    const unknown = only.filter((n) => !scenarios.some((s) => s.name === n));
    if (unknown.length) throw new Failure(`--only: no built-in scenario ${unknown.map((n) => `'${n}'`).join(", ")} (list names ${scenarios.map((s) => s.name).join(", ")})`);
    chosen = scenarios.filter((s) => only.includes(s.name));
  }
  // Sorted by name whatever order list gives, so recordings of two builds line up cell for cell.
  chosen = [...chosen].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const items = chosen.flatMap((s) => releases.flatMap((kernel) => REDUCE_MODES.map((reduce) => ({ scenario: s.name, properties: s.properties, kernel, reduce }))));
  const bar = progress(items.length);
  try {
    const cells = await pool(items, jobs, (item) => runCell(dir, item), bar.step);
    return { format: FORMAT, source: sourceOf(dir), releases, cells };
  } finally {
    bar.end();
  }
}

/** Writes FILE.tmp then renames it, so a reader never sees half a recording; stdout without a FILE. */
function emit(recording, out) {
  const text = JSON.stringify(recording, null, 2) + "\n";
  if (out === undefined) return void process.stdout.write(text);
  const tmp = `${out}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (e) {
    throw new Failure(`${out}: cannot write it (${e.code ?? e.message})`);
  }
}

// ---- compare ----

function readRecording(file) {
  let text;
  try {
    text = readFileSync(userPath(file), "utf8");
  } catch (e) {
    throw new Failure(`${file}: cannot read it (${e.code ?? e.message})`);
  }
  let j;
  try {
    j = JSON.parse(text);
  } catch {
    throw new Failure(`${file}: not a recording (not JSON)`);
  }
  const ok = j !== null && typeof j === "object" && j.format === FORMAT && Array.isArray(j.cells) && j.cells.every((c) => c && typeof c.scenario === "string" && typeof c.kernel === "string" && typeof c.reduce === "string");
  if (!ok) throw new Failure(`${file}: not a recording (expected ${FORMAT} from results.mjs record)`);
  return j;
}

/** A cell's fields as path -> value (JSON), lists keyed by what names their items (a property by name, a class
 * by class: `properties[no-drop].classes[race2].states`), so a new class reads as one line rather than a shift
 * of every later one. `items` gets each named item whole, for an item that one side lacks. The counterexample
 * is compared on its own (traceDiff). `own` is the key already in the path (the item's name). */
function flatten(value, path, leaves, items, own) {
  if (Array.isArray(value)) {
    const named = (k) => value.length > 0 && value.every((v) => v !== null && typeof v === "object" && typeof v[k] === "string");
    const k = named("name") ? "name" : named("class") ? "class" : undefined;
    if (k === undefined) leaves.set(path, JSON.stringify(value));
    for (const v of k === undefined ? [] : value) {
      const at = `${path}[${v[k]}]`;
      items.set(at, JSON.stringify(v));
      flatten(v, at, leaves, items, k);
    }
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (k !== own) flatten(v, path === "" ? k : `${path}.${k}`, leaves, items);
  } else leaves.set(path, JSON.stringify(value));
}

const stepText = (s) => (s ? `${s.actor} ${s.packet} ${s.function}: ${s.note}` : "(none)");

/** One line for two counterexamples that differ: their lengths and the first step that differs. */
function traceDiff(a, b) {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a === null || b === null || a === undefined || b === undefined) return `counterexample ${a ? `${a.length} steps` : "none"} -> ${b ? `${b.length} steps` : "none"}`;
  const i = a.findIndex((s, k) => JSON.stringify(s) !== JSON.stringify(b[k]));
  const at = i < 0 ? a.length : i;
  const len = a.length === b.length ? `${a.length} steps` : `${a.length} -> ${b.length} steps`;
  return `counterexample (${len}) differs at step ${at + 1}: ${JSON.stringify(stepText(a[at]))} -> ${JSON.stringify(stepText(b[at]))}`;
}

/** The lines saying how cell `b` differs from `a` (none when equal). */
function cellDiff(a, b) {
  const strip = ({ counterexample, scenario, kernel, reduce, ...rest }) => rest;
  const [la, ia, lb, ib] = [new Map(), new Map(), new Map(), new Map()];
  flatten(strip(a), "", la, ia);
  flatten(strip(b), "", lb, ib);
  const lines = [];
  // An item only one side has is one line, and its fields are not listed again...
  const whole = [...new Set([...ia.keys(), ...ib.keys()])].filter((p) => !ia.has(p) || !ib.has(p));
  for (const p of whole) lines.push(`${p} ${ia.get(p) ?? "(absent)"} -> ${ib.get(p) ?? "(absent)"}`);
  // ...nor is the list it left empty (`classes [] -> (absent)` would say it again).
  const inWhole = (p) => whole.some((w) => p.startsWith(`${w}.`) || p.startsWith(`${w}[`) || w.startsWith(`${p}[`));
  for (const p of new Set([...la.keys(), ...lb.keys()])) {
    const [x, y] = [la.get(p) ?? "(absent)", lb.get(p) ?? "(absent)"];
    if (x !== y && !inWhole(p)) lines.push(`${p} ${x} -> ${y}`);
  }
  const t = traceDiff(a.counterexample, b.counterexample);
  if (t) lines.push(t);
  return lines;
}

/** Compares two recordings; returns the exit code (0 equal, 1 differ). */
function compare(fileA, fileB) {
  const [a, b] = [readRecording(fileA), readRecording(fileB)];
  const cellsA = new Map(a.cells.map((c) => [cellName(c), c]));
  const cellsB = new Map(b.cells.map((c) => [cellName(c), c]));
  const names = [...new Set([...cellsA.keys(), ...cellsB.keys()])];
  let differ = 0;
  for (const name of names) {
    const [x, y] = [cellsA.get(name), cellsB.get(name)];
    const lines = !x ? [`only in ${fileB}`] : !y ? [`only in ${fileA}`] : cellDiff(x, y);
    if (lines.length) differ++;
    for (const l of lines) process.stdout.write(`${name}: ${l}\n`);
  }
  process.stdout.write(`${names.length} cells, ${differ} differ\n`);
  return differ ? 1 : 0;
}

// ---- baseline ----

function run(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Failure(`${what} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${firstLine(r.stdout + "\n" + r.stderr)}`);
  return r.stdout;
}

/** Builds REV in a temporary worktree (this checkout's node_modules linked in), records it, removes the worktree. */
async function baseline(rev, opts) {
  const found = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd: ROOT, encoding: "utf8" });
  if (found.status !== 0) throw new Failure(`${rev}: not a commit of ${ROOT}`);
  const commit = found.stdout.trim();
  const tmp = mkdtempSync(join(tmpdir(), "conntrack-mc-baseline-"));
  const wt = join(tmp, "checkout");
  const remove = () => {
    // The link first, so nothing that removes the worktree can reach into this checkout's node_modules.
    rmSync(join(wt, "node_modules"), { force: true });
    spawnSync("git", ["worktree", "remove", "--force", wt], { cwd: ROOT });
    rmSync(tmp, { recursive: true, force: true });
    spawnSync("git", ["worktree", "prune"], { cwd: ROOT });
  };
  cleanups.push(remove);
  try {
    run("git", ["worktree", "add", "--detach", wt, commit], ROOT, `git worktree add ${rev}`);
    symlinkSync(join(ROOT, "node_modules"), join(wt, "node_modules"), "dir");
    run("npx", ["tsc", "-p", "tsconfig.build.json"], wt, `building ${rev} (npx tsc -p tsconfig.build.json)`);
    return await record(wt, opts);
  } finally {
    cleanups.splice(cleanups.indexOf(remove), 1);
    remove();
  }
}

// ---- the command line ----

function jobsOf(v) {
  if (v === undefined) return 2;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Failure(`--jobs: expected 1 to 64, got '${v}'`);
  return n;
}

function onlyOf(v) {
  if (v === undefined) return undefined;
  const names = v.split(",").map((s) => s.trim());
  if (names.some((n) => n === "")) throw new Failure(`--only: expected SCENARIO,... got '${v}'`);
  return names;
}

function kernelsOf(v) {
  if (v === undefined) return undefined;
  const names = v.split(",").map((s) => s.trim());
  if (names.some((n) => n === "")) throw new Failure(`--kernels: expected V,... got '${v}'`);
  return names;
}

function parse(args, options, positionals) {
  let r;
  try {
    r = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new Failure(`${e.message.split("\n")[0].split(". To specify")[0]} (${USAGE})`);
  }
  if (r.positionals.length !== positionals) throw new Failure(USAGE);
  return r;
}

/** The --out file, refused before minutes of checks if its directory is not there. */
function outOf(v) {
  if (v === undefined) return undefined;
  const file = userPath(v);
  if (!existsSync(dirname(file))) throw new Failure(`--out: no directory ${dirname(file)}`);
  return file;
}

async function main(argv) {
  const [command, ...rest] = argv;
  const out = { type: "string" };
  switch (command) {
    case "record": {
      const { values } = parse(rest, { checkout: { type: "string" }, out, jobs: { type: "string" }, only: { type: "string" }, kernels: { type: "string" } }, 0);
      const dir = values.checkout === undefined ? ROOT : userPath(values.checkout);
      const file = outOf(values.out);
      emit(await record(dir, { jobs: jobsOf(values.jobs), only: onlyOf(values.only), kernels: kernelsOf(values.kernels) }), file);
      return 0;
    }
    case "compare": {
      const { positionals } = parse(rest, {}, 2);
      return compare(positionals[0], positionals[1]);
    }
    case "baseline": {
      const { values, positionals } = parse(rest, { out, jobs: { type: "string" }, only: { type: "string" }, kernels: { type: "string" } }, 1);
      const rev = positionals[0];
      // A file name from the revision: `origin/main` or `HEAD~2` must not make a path of it.
      const file = outOf(values.out ?? join(tmpdir(), `results-${rev.replace(/[^A-Za-z0-9._-]/g, "_")}.json`));
      emit(await baseline(rev, { jobs: jobsOf(values.jobs), only: onlyOf(values.only), kernels: kernelsOf(values.kernels) }), file);
      return 0;
    }
    default:
      throw new Failure(USAGE);
  }
}

// exitCode rather than exit(): a recording written to a pipe is flushed before the process ends.
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`results: ${e instanceof Failure ? e.message : `internal error: ${e?.stack?.split("\n")[0] ?? e}`}\n`);
    process.exitCode = 2;
  },
);
