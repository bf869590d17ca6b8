/**
 * Keeps the README's examples true: every block between
 *   <!-- example: <conntrack-mc arguments> [fenced] -->  and  <!-- /example -->
 * is the tool's own output for those arguments. `npm run readme` rewrites the
 * blocks; the test suite calls `readmeDrift()` and fails when one is stale.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BLOCK = /<!-- example: (.+?)( fenced)? -->\n([\s\S]*?)<!-- \/example -->/g;

function render(args: string, fenced: boolean): string {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args.split(" ")], { cwd: ROOT, encoding: "utf8" });
  if (r.status === 2 || r.status === null) throw new Error(`conntrack-mc ${args}: ${r.stderr}`);
  return fenced ? "```text\n$ npx conntrack-mc " + args + "\n" + r.stdout + "```\n" : r.stdout;
}

/** Timing and memory figures differ run to run; everything else must match. */
const stable = (s: string): string => s.replace(/^time .*$/gm, "time (varies)").replace(/^command .*$/gm, "command (varies)");

export function updatedReadme(): { old: string; fresh: string } {
  const old = readFileSync(`${ROOT}README.md`, "utf8");
  const fresh = old.replace(BLOCK, (_m, args: string, fenced: string | undefined) => `<!-- example: ${args}${fenced ?? ""} -->\n${render(args, Boolean(fenced))}<!-- /example -->`);
  return { old, fresh };
}

/** Names the first example whose text differs from what the tool prints now. */
export function readmeDrift(): string | undefined {
  const { old, fresh } = updatedReadme();
  const a = [...stable(old).matchAll(BLOCK)];
  const b = [...stable(fresh).matchAll(BLOCK)];
  for (let i = 0; i < b.length; i++) if (a[i]![0] !== b[i]![0]) return b[i]![1];
  return undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { old, fresh } = updatedReadme();
  if (old !== fresh) writeFileSync(`${ROOT}README.md`, fresh);
  process.stdout.write(old === fresh ? "README examples up to date\n" : "README examples rewritten\n");
}
