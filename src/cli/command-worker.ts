/**
 * The worker thread a supervised command runs in (supervisor.ts): it shares
 * the control words, learns whether the real stdout/stderr are terminals,
 * runs the command and posts its exit code.
 */
import { parentPort, workerData } from "node:worker_threads";
import { attachControl } from "../runtime/control.js";
import { main } from "./dispatch.js";
import { tty } from "./tty.js";

export interface CommandInit {
  readonly argv: string[];
  readonly control: SharedArrayBuffer;
  /** What stdout and stderr are on the main thread, and stdout's width when it is a terminal (report/width.ts). */
  readonly tty: { stdout: boolean; stderr: boolean; columns?: number };
}

export interface CommandDone {
  readonly kind: "done";
  readonly code: number;
}

const init = workerData as CommandInit;
attachControl(init.control);
Object.assign(tty, init.tty);
const code = await main(init.argv);
parentPort!.postMessage({ kind: "done", code } satisfies CommandDone);
