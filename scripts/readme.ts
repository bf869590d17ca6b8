/**
 * Keeps the examples of README.md and of every docs/*.md page true: every block between
 *   <!-- example: <conntrack-mc arguments> [fenced] -->  and  <!-- /example -->
 * is the tool's own output for those arguments. `npm run readme` rewrites the
 * blocks of every file that changed; the test suite calls `readmeDrift()` and
 * fails when one is stale, naming the file and the block.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BLOCK = /<!-- example: (.+?)( fenced)? -->\n([\s\S]*?)<!-- \/example -->/g;

/** The files whose examples are checked: README.md, then docs/*.md by name. */
export function exampleFiles(): string[] {
  const docs = readdirSync(`${ROOT}docs`)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

function render(args: string, fenced: boolean, cache: Map<string, string>): string {
  let out = cache.get(args);
  if (out === undefined) {
    const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args.split(" ")], { cwd: ROOT, encoding: "utf8" });
    if (r.status === 2 || r.status === null) throw new Error(`conntrack-mc ${args}: ${r.stderr}`);
    out = r.stdout;
    cache.set(args, out);
  }
  return fenced ? "```text\n$ npx conntrack-mc " + args + "\n" + out + "```\n" : out;
}

/** Timing and memory figures differ run to run; everything else must match. */
const stable = (s: string): string => s.replace(/^time .*$/gm, "time (varies)").replace(/^command .*$/gm, "command (varies)");

/** Each file with examples: its text now and with every example block rendered afresh. */
export function updatedFiles(): { file: string; old: string; fresh: string }[] {
  const cache = new Map<string, string>();
  const out: { file: string; old: string; fresh: string }[] = [];
  for (const file of exampleFiles()) {
    const old = readFileSync(ROOT + file, "utf8");
    if (!old.includes("<!-- example: ")) continue;
    const fresh = old.replace(BLOCK, (_m, args: string, fenced: string | undefined) => `<!-- example: ${args}${fenced ?? ""} -->\n${render(args, Boolean(fenced), cache)}<!-- /example -->`);
    out.push({ file, old, fresh });
  }
  return out;
}

/** Names the first example whose text differs from what the tool prints now, with its file ("docs/trace.md: trace ..."). */
export function readmeDrift(): string | undefined {
  for (const { file, old, fresh } of updatedFiles()) {
    const a = [...stable(old).matchAll(BLOCK)];
    const b = [...stable(fresh).matchAll(BLOCK)];
    for (let i = 0; i < b.length; i++) if (a[i]![0] !== b[i]![0]) return `${file}: ${b[i]![1]}`;
  }
  return undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const changed = updatedFiles().filter(({ old, fresh }) => old !== fresh);
  for (const { file, fresh } of changed) writeFileSync(ROOT + file, fresh);
  process.stdout.write(changed.length ? `examples rewritten in ${changed.map((c) => c.file).join(", ")}\n` : "examples up to date\n");
}
