/**
 * What a command running in a worker thread shares with the supervising main
 * thread (cli/supervisor.ts), in one small SharedArrayBuffer: a stop request
 * (a signal), what the search has explored so far, the search's deadline, and
 * which user patch hook is running. Everything here works (as plain memory)
 * when no supervisor exists, e.g. in the tests that call runCheck directly.
 */
import { relative } from "node:path";

/** Word indices into `control.words`. */
export const C = {
  /** Non-zero: stop as soon as possible; the value is the exit code the signal asks for (130, 143, 129). */
  STOP: 0,
  STATES: 1,
  TRANSITIONS: 2,
  DEPTH: 3,
  /** (patch number + 1) << 8 | (hook number + 1) of the user hook running now; 0 none. */
  HOOK: 4,
  /** patch number + 1 of the user patch file being imported now; 0 none. */
  LOADING: 5,
  WORDS: 6,
} as const;

/** Float64 indices into `control.times`. */
export const T = {
  /** Date.now() after which the running search must have stopped itself (0: no deadline). */
  DEADLINE: 0,
  /** --max-seconds of that search. */
  SECONDS: 1,
  /** The memory bound (bytes) of the running search, 0 when none runs. */
  MEMORY: 2,
  WORDS: 3,
} as const;

export interface Control {
  words: Int32Array;
  times: Float64Array;
}

export function newControlBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(C.WORDS * 4 + T.WORDS * 8);
}

function views(buf: ArrayBufferLike): Control {
  return { words: new Int32Array(buf, 0, C.WORDS), times: new Float64Array(buf, C.WORDS * 4, T.WORDS) };
}

/** This thread's control words: private memory until `attachControl` shares them. */
export const control: Control = views(newControlBuffer());

export function attachControl(buf: SharedArrayBuffer): void {
  const v = views(buf);
  control.words = v.words;
  control.times = v.times;
}

export function controlViews(buf: SharedArrayBuffer): Control {
  return views(buf);
}

/** The signals a command stops on, with the exit code each asks for (128 + its number). */
export const STOP_SIGNALS: readonly (readonly [NodeJS.Signals, number])[] = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
];

/** The name of the signal behind a stop request's exit code. */
export function signalName(code: number): string | undefined {
  return STOP_SIGNALS.find(([, c]) => c === code)?.[0];
}

/** The exit code a stop request asks for, or 0. */
export function stopRequested(): number {
  return control.words[C.STOP]!;
}

/** What the search has explored, for the supervisor to print if the thread is stopped by force. */
export function reportExplored(states: number, transitions: number, depth: number): void {
  const w = control.words;
  w[C.STATES] = states;
  w[C.TRANSITIONS] = transitions;
  w[C.DEPTH] = depth;
}

/** The running search's --max-seconds, counted from `elapsedMs` ago (undefined: none, or the search ended). */
export function setDeadline(maxSeconds: number | undefined, elapsedMs = 0): void {
  control.times[T.DEADLINE] = maxSeconds === undefined || !Number.isFinite(maxSeconds) ? 0 : Date.now() - elapsedMs + maxSeconds * 1000;
  control.times[T.SECONDS] = maxSeconds ?? 0;
}

/** The running search's memory bound, for the supervisor's backstop (undefined: the search ended). */
export function setMemoryBound(bytes: number | undefined): void {
  control.times[T.MEMORY] = bytes ?? 0;
}

/** A user hook starts: returns what to restore when it returns (hooks may call hooks). */
export function enterHook(patch: number, hook: number): number {
  const w = control.words;
  const before = w[C.HOOK]!;
  w[C.HOOK] = ((patch + 1) << 8) | (hook + 1);
  return before;
}

export function leaveHook(before: number): void {
  control.words[C.HOOK] = before;
}

/** The --patch files of this command (absolute paths, in the order given), as the
 * supervisor set them in the environment, which every thread inherits. */
const PATCHES_ENV = "CONNTRACK_MC_PATCH_FILES";

export function setPatchFiles(files: readonly string[]): void {
  process.env[PATCHES_ENV] = JSON.stringify(files);
}

export function patchFiles(): readonly string[] {
  try {
    const v: unknown = JSON.parse(process.env[PATCHES_ENV] ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** A patch file as a message shows it: relative to the working folder. */
export function shownPatchFile(abs: string | undefined): string {
  return abs === undefined ? "(a patch)" : relative(process.cwd(), abs) || abs;
}

/** The number of a user patch file (absolute path) in this command's list; 254 when not in it. */
export function patchNumber(file: string): number {
  const i = patchFiles().indexOf(file);
  return i >= 0 && i < 254 ? i : 254;
}
