/**
 * A user's patch must be a function of the state it is given: the search
 * explores every choice the model offers, and cannot see one a hook makes by
 * itself (a random number, the clock). So while a patch's code runs (its
 * module's import, apply, each hook) the sources of nondeterminism throw.
 *
 * The traps are installed once per thread, before the first patch is
 * imported, so a patch that keeps `const r = Math.random` keeps the trap.
 * Outside a patch they pass straight through: our own code times itself with
 * performance.now. Their cost when no patch runs is one comparison.
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { InputError } from "../errors.js";

/** Which patch code runs now: the --patch field and what ("nf_ct_resolve_clash", "apply"). */
export interface UserCode {
  readonly field: string;
  readonly what: string;
}

let running: UserCode | undefined;
/** A refusal a patch caught and swallowed: its caller reports it anyway. */
let refused: InputError | undefined;
/** Errors this module and user-patch.ts made about a patch: passed on as they are through outer hooks. */
const ours = new WeakSet<Error>();

export function patchError(message: string): InputError {
  const e = new InputError(message);
  ours.add(e);
  return e;
}

export function isPatchError(e: unknown): e is InputError {
  return e instanceof InputError && ours.has(e);
}

/** User code starts; returns what to restore (hooks call hooks). */
export function enterUser(u: UserCode | undefined): UserCode | undefined {
  const before = running;
  if (before === undefined) refused = undefined; // a new outermost call: earlier refusals were reported
  running = u;
  return before;
}

export function leaveUser(before: UserCode | undefined): void {
  running = before;
}

/** The patch code running now (undefined in our own code): lib.choose names it in its messages. */
export function currentUserCode(): UserCode | undefined {
  return running;
}

/** Throws the refusal of a source the user code called and caught, if any. */
export function checkRefused(): void {
  if (refused) throw refused;
}

const HINT =
  "a patch must be deterministic; to branch on a choice, ask for it with lib.choose(n), which the search enumerates: the search cannot see a choice made inside a hook";

function refuse(source: string, hint = HINT): never {
  const u = running!;
  refused = patchError(`${u.field}: ${u.what} called ${source}: ${hint}`);
  throw refused;
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;

function trap(source: string, original: Fn, hint?: string): Fn {
  return function (this: unknown, ...args: unknown[]): unknown {
    if (running !== undefined) refuse(source, hint);
    return original.apply(this, args);
  };
}

/** Replaces obj[key] (a method) with its trap, keeping `this`. */
function wrap(obj: object, key: string, source: string, hint?: string): void {
  const original = (obj as Record<string, unknown>)[key];
  if (typeof original !== "function") return;
  const own = Object.getOwnPropertyDescriptor(obj, key);
  // node:crypto's getRandomValues is a fixed getter onto globalThis.crypto's, which is trapped.
  if (own && !own.configurable) return;
  Object.defineProperty(obj, key, { value: trap(source, original as Fn, hint), writable: true, configurable: true, enumerable: own?.enumerable ?? false });
}

let installed = false;

export function installDeterminismTraps(): void {
  if (installed) return;
  installed = true;
  wrap(Math, "random", "Math.random");
  wrap(Date, "now", "Date.now");
  wrap(performance, "now", "performance.now");
  const hrtime = process.hrtime;
  const bigint = hrtime.bigint.bind(hrtime);
  const trapped = trap("process.hrtime", hrtime as Fn) as unknown as typeof process.hrtime;
  trapped.bigint = trap("process.hrtime.bigint", bigint as Fn) as () => bigint;
  process.hrtime = trapped;
  wrap(globalThis.crypto, "getRandomValues", "crypto.getRandomValues");
  wrap(globalThis.crypto, "randomUUID", "crypto.randomUUID");
  // node:crypto: its CommonJS module object, then the ES module's named exports from it.
  const nodeCrypto = createRequire(import.meta.url)("node:crypto") as object;
  for (const name of ["randomBytes", "randomInt", "randomUUID", "randomFill", "randomFillSync", "getRandomValues"]) {
    wrap(nodeCrypto, name, `node:crypto ${name}`);
  }
  syncBuiltinESMExports();
  // Ending the run is not a patch's to decide (in the supervised thread it would leave no result).
  for (const name of ["exit", "abort", "reallyExit", "kill"]) wrap(process, name, `process.${name}`, "a patch may not end or signal the process: return a value, or throw to report an error");
  // Date() and new Date() read the clock; new Date(x) does not.
  const OriginalDate = Date;
  const TrappedDate: DateConstructor = new Proxy(OriginalDate, {
    apply(target, self, args: unknown[]) {
      if (running !== undefined) refuse("Date()");
      return Reflect.apply(target, self, args);
    },
    construct(target, args: unknown[], newTarget: () => unknown): object {
      if (running !== undefined && args.length === 0) refuse("new Date()");
      return Reflect.construct(target, args, newTarget === TrappedDate ? target : newTarget) as object;
    },
  });
  OriginalDate.prototype.constructor = TrappedDate;
  globalThis.Date = TrappedDate;
}
