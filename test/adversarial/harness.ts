/**
 * The adversarial suite's case shape and runner: each case runs the built CLI
 * as a subprocess in a fresh temporary folder and checks the exit code, a
 * fragment of the one-line message, that nothing printed a stack trace or
 * exited 70, and (its `after`) that nothing was written or damaged.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../..");
export const CLI = join(REPO, "bin/conntrack-mc.js");

/** Why the cases that run the CLI as nobody (setpriv, uid 65534) cannot run here, or undefined when they can:
 * nobody must be able to enter the checkout, which a clone inside a private folder (mode 0700) hides. */
export const nobodyCannotRun: string | undefined = (() => {
  const probe = `require("fs").accessSync(${JSON.stringify(CLI)}, 4); require("fs").accessSync(${JSON.stringify(join(REPO, "node_modules"))}, 5)`;
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", probe], { encoding: "utf8" });
  if (r.error) return `setpriv cannot run (${r.error.message})`;
  return r.status === 0 ? undefined : `user nobody cannot read ${REPO} (a folder on its path is private): clone where others may enter to run them`;
})();

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface Case {
  /** Which "What was seen" bullet of issue 12 it covers, and what it tries. */
  readonly name: string;
  /** Prepares files in the case's own folder `dir`; returns nothing. */
  readonly setup?: (dir: string) => void;
  /** The CLI's arguments; a function gets the case folder. */
  readonly args: readonly string[] | ((dir: string) => readonly string[]);
  /** Instead of running the CLI directly: a full command line (e.g. under unshare), given the folder. */
  readonly command?: (dir: string) => { file: string; args: readonly string[] };
  /** The command runs the CLI as nobody (setpriv): skipped, saying why, where nobody cannot reach the checkout. */
  readonly asNobody?: true;
  readonly env?: Record<string, string>;
  readonly input?: string;
  /** Kill it after this many milliseconds (default 60 s). */
  readonly timeoutMs?: number;
  readonly code: number;
  /** A fragment of stderr (for exit 2, its one line). */
  readonly err?: RegExp;
  /** What stdout must match; "" for nothing at all. */
  readonly out?: RegExp | "";
  /** stderr is one line (default: true when code is 2). */
  readonly oneLine?: boolean;
  /** Checks after the run: nothing written or damaged. Throw (expect) on failure. */
  readonly after?: (dir: string, r: Run) => void;
}

export function runCase(c: Case): { dir: string; r: Run } {
  const dir = mkdtempSync(join(tmpdir(), "ctmc-adv-"));
  c.setup?.(dir);
  const args = typeof c.args === "function" ? c.args(dir) : c.args;
  const cmd = c.command ? c.command(dir) : { file: process.execPath, args: [CLI, ...args] };
  const p: SpawnSyncReturns<string> = spawnSync(cmd.file, [...cmd.args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...(c.env ?? {}) },
    input: c.input ?? "",
    timeout: c.timeoutMs ?? 60_000,
    maxBuffer: 64 * 2 ** 20,
  });
  return { dir, r: { code: p.status, signal: p.signal, out: p.stdout ?? "", err: p.stderr ?? "" } };
}

/** Runs the CLI with arguments in `cwd` (for cases' own extra runs). */
export function cli(cwd: string, ...args: string[]): Run {
  const p = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: p.status, signal: p.signal, out: p.stdout ?? "", err: p.stderr ?? "" };
}
