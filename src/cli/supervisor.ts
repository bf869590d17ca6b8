/**
 * The main thread of a command that searches: it runs the command in a worker
 * thread and stays free to watch it. So a signal can ask the search to stop
 * and print what it explored; a user's hook that never returns is stopped
 * once --max-seconds has passed (or a signal came); a full JavaScript heap
 * ends the worker, not the process; a patch whose top-level await never
 * settles is named; a closed stdout ends the run quietly.
 */
import { resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { C, controlViews, newControlBuffer, patchFiles, setPatchFiles, shownPatchFile, STOP_SIGNALS, T, type Control } from "../runtime/control.js";
import { escapeControl, INTERNAL_ERROR } from "../errors.js";
import type { CommandDone, CommandInit } from "./command-worker.js";

/** Commands that run in the worker. */
export const SUPERVISED: readonly string[] = ["diagnose", "review", "check", "compare", "trace", "prove"];

/** How long a stop request may take before the worker is ended by force. */
const STOP_GRACE_MS = 3000;
/** How long a finished command's thread may take to end by itself (its output drains meanwhile). */
const DONE_GRACE_MS = 1000;
/** How long past its deadline a search may run before a user hook is blamed. */
const DEADLINE_GRACE_MS = 1500;

/** A closed stdout or stderr (`| head`) is not an error: the run ends with the code its result deserves. */
export function guardOutput(): void {
  for (const s of [process.stdout, process.stderr]) {
    s.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
  }
}

/** The --patch files named on the command line, as the threads resolve them. */
function patchArgs(argv: readonly string[]): string[] {
  const files: string[] = [];
  argv.forEach((a, i) => {
    if (a === "--patch" && i + 1 < argv.length) files.push(argv[i + 1]!);
    else if (a.startsWith("--patch=")) files.push(a.slice("--patch=".length));
  });
  return files.map((f) => resolve(f));
}

function spawnCommand(init: CommandInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./command-worker.js", here), { workerData: init });
  // From sources (tsx): register tsx in the worker first.
  const api = import.meta.resolve("tsx/esm/api");
  const target = new URL("./command-worker.ts", here).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(code, { eval: true, workerData: init });
}

const fmt = (n: number): string => n.toLocaleString("en-US");

function explored(ctl: Control): string {
  const w = ctl.words;
  return `${fmt(w[C.STATES]!)} states, ${fmt(w[C.TRANSITIONS]!)} transitions, depth ${w[C.DEPTH]}`;
}

/** "--patch FILE: nf_ct_resolve_clash" for the hook running now, if a user's. */
async function runningHook(ctl: Control): Promise<string | undefined> {
  const h = ctl.words[C.HOOK]!;
  if (h === 0) return undefined;
  const file = shownPatchFile(patchFiles()[(h >>> 8) - 1]);
  const mod = (await import("../user-patch/load.js")) as { HOOKS?: readonly string[] };
  const hook = mod.HOOKS?.[(h & 255) - 1] ?? "a hook";
  return `--patch ${file}: ${hook}`;
}

export async function supervise(argv: string[]): Promise<number> {
  const buf = newControlBuffer();
  const ctl = controlViews(buf);
  setPatchFiles(patchArgs(argv));
  const worker = spawnCommand({ argv, control: buf, tty: { stdout: Boolean(process.stdout.isTTY), stderr: Boolean(process.stderr.isTTY), ...(process.stdout.isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}) } });
  let done: number | undefined;
  let forced: { code: number; message: string } | undefined;
  let failure: Error | undefined;
  worker.on("message", (m: CommandDone) => {
    if (m.kind !== "done") return;
    done = m.code;
    // The result is out; a timer a patch left running must not keep the thread alive.
    setTimeout(() => void worker.terminate(), DONE_GRACE_MS).unref();
  });
  worker.on("error", (e) => {
    failure = e;
  });
  const stop = async (code: number, message: () => Promise<string>): Promise<void> => {
    if (forced || done !== undefined) return;
    forced = { code, message: await message() };
    await worker.terminate();
  };

  let stopAsked: { sig: NodeJS.Signals; at: number } | undefined;
  const handlers = STOP_SIGNALS.map(([sig, code]) => {
    const h = (): void => {
      if (stopAsked) {
        // A second signal: stop now.
        void stop(code, async () => `${sig}: stopped by force after ${explored(ctl)}`);
        return;
      }
      stopAsked = { sig, at: Date.now() };
      Atomics.store(ctl.words, C.STOP, code);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  const watch = setInterval(() => {
    const now = Date.now();
    if (stopAsked && now - stopAsked.at > STOP_GRACE_MS) {
      const sig = stopAsked.sig;
      void stop(STOP_SIGNALS.find(([s]) => s === sig)![1], async () => {
        const hook = await runningHook(ctl);
        return `${sig}: the search did not stop by itself${hook ? ` (${hook} was running)` : ""}; stopped by force after ${explored(ctl)}`;
      });
      return;
    }
    // A backstop: the search stops itself before its bound, but a hook's own
    // allocation or a worker's heap can pass it; then the thread is ended.
    const bound = ctl.times[T.MEMORY]!;
    if (bound > 0 && process.memoryUsage.rss() > bound) {
      void stop(3, async () => {
        const hook = await runningHook(ctl);
        return `the process passed the memory bound (${fmt(Math.round(bound / 2 ** 20))} MiB)${hook ? ` while ${hook} was running` : ""}: stopped by force after ${explored(ctl)}`;
      });
      return;
    }
    const deadline = ctl.times[T.DEADLINE]!;
    if (deadline > 0 && now > deadline + DEADLINE_GRACE_MS && ctl.words[C.HOOK] !== 0) {
      void stop(3, async () => {
        const hook = (await runningHook(ctl)) ?? "a hook of a user's patch";
        return `${hook} ran past --max-seconds (${ctl.times[T.SECONDS]} s) and was stopped after ${explored(ctl)}`;
      });
    }
  }, 100);

  const exit = await new Promise<number>((res) => worker.on("exit", res));
  clearInterval(watch);
  for (const [sig, h] of handlers) process.off(sig, h);
  const say = (s: string): void => void process.stderr.write(`conntrack-mc: ${escapeControl(s)}\n`);
  if (forced) {
    say(forced.message);
    return forced.code;
  }
  if (done !== undefined) return done;
  if (failure && (failure as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") {
    const hook = await runningHook(ctl);
    say(
      hook
        ? `${hook} filled the JavaScript heap: stopped after ${explored(ctl)}`
        : `the JavaScript heap is full: stopped after ${explored(ctl)}; try --reduce all, or --max-states to explore part of it`,
    );
    return 3;
  }
  const loading = ctl.words[C.LOADING]!;
  if (!failure && loading !== 0) {
    say(`--patch ${shownPatchFile(patchFiles()[loading - 1])}: loading it never finished: its top-level await does not settle`);
    return 2;
  }
  // Ended in the middle of a user's hook, without a result: the hook ended it.
  const hook = await runningHook(ctl);
  if (!failure && hook) {
    say(`${hook} ended the command's thread without a result (exit code ${exit})`);
    return 2;
  }
  process.stderr.write(
    `conntrack-mc: internal error, please report it: ${failure ? (failure.stack ?? failure.message) : `the command's thread ended (code ${exit}) without a result`}\n`,
  );
  return INTERNAL_ERROR;
}
