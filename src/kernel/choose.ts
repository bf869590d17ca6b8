/**
 * lib.choose(n): a nondeterministic choice a patch's hook asks for, which the
 * search enumerates like a DNAT endpoint or a --random-fully offset.
 *
 * A hook cannot return "any of these": the search must see every alternative.
 * So the model (model.ts) runs each step of a kernel that may choose under a
 * ChoiceRun: discovery runs the step on a scratch copy, taking 0 at each new
 * call and recording each call's n, then again for every other sequence of
 * answers, depth first; each leaf (a built-in choice and the sequence of
 * answers) is one alternative of the step. The real step replays its leaf's
 * sequence, and refuses a hook whose calls differ from what discovery saw: the
 * alternatives must be a function of the state, like every other result of a
 * hook. Kernels of built-in patches only never run under a ChoiceRun.
 *
 * --probability weighs a CPU's alternatives alike (probability.ts), so it is
 * exact when every leaf of a step is equally likely: the calls' n multiply to
 * the same number on every path (one choose(n) per step, as in
 * examples/patches/random-source-port.mjs). A later call whose n depends on an
 * earlier answer makes the leaves unequal, and the share of schedules then treats them alike.
 */
import type { InputError } from "../errors.js";
import { currentUserCode, patchError, type UserCode } from "../runtime/user-code.js";

/** A value a patch passed, briefly (hook-checks.ts's show, without importing the guards that use this module). */
const show = (v: unknown): string => {
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v);
  if (typeof v === "function") return "a function";
  if (v !== null && typeof v === "object") return Array.isArray(v) ? "an array" : "an object";
  return typeof v === "bigint" ? `${v}n` : String(v);
};

/** The most alternatives one call may offer (and one CPU's step may have: the probability's weights hold 8 bits). */
export const MAX_CHOICES = 256;

const DETERMINISM =
  "the alternatives a step offers must be a function of the state it is given (does the hook keep state between calls, or call choose only when ctx.explain?)";

/** One step's calls of choose: the answers prescribed (a leaf's, or a prefix in discovery) and what the calls asked. */
class ChoiceRun {
  /** n of each call made, in order. */
  readonly ns: number[] = [];
  /** What each call got. */
  readonly taken: number[] = [];
  /** The next call's position: below ns.length while a guard asks a hook again (repeat). */
  pos = 0;
  /** The first fault of this run: thrown again after the step, should the hook catch it. */
  fault: InputError | undefined;
  /** Who made the last call, for a message about the step as a whole. */
  who: UserCode | undefined;
  constructor(
    readonly picks: readonly number[],
    /** n that calls 0..expect.length-1 must ask (what an earlier run of the same step saw). */
    readonly expect: readonly number[],
    /** A replay: no call beyond picks, and every one of them made. */
    readonly strict: boolean,
  ) {}
}

let run: ChoiceRun | undefined;

const named = (u: UserCode | undefined): string => (u ? `${u.field}: ${u.what}` : "a built-in kernel function");

function refuse(r: ChoiceRun | undefined, text: string): never {
  const u = currentUserCode();
  const e = patchError(`${named(u)} ${text}`);
  if (r && !r.fault) r.fault = e;
  // Without user code running it is our own bug: not the user's input.
  if (!u) throw new Error(e.message);
  throw e;
}

/** The answer to one call: 0..n-1. PATCH_LIB.choose. */
export function choose(n: number): number {
  const r = run;
  if (r === undefined) {
    refuse(undefined, `called lib.choose(${show(n)}) where no step runs: choose picks among a step's alternatives, so only a hook the search runs in a step may call it (not apply, nor a module's top-level code)`);
  }
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_CHOICES) {
    refuse(r, `called lib.choose(${show(n)}): expected an integer 1 to ${MAX_CHOICES}, the number of alternatives`);
  }
  r.who = currentUserCode();
  if (r.pos < r.ns.length) {
    // A guard asks the hook again (hook-checks.ts): the same calls get the same answers.
    if (r.ns[r.pos] !== n) refuse(r, `called lib.choose(${n}) where, asked the same, it called lib.choose(${r.ns[r.pos]}): ${DETERMINISM}`);
    return r.taken[r.pos++]!;
  }
  const i = r.ns.length;
  if (i < r.expect.length && r.expect[i] !== n) {
    refuse(r, `called lib.choose(${n}) where the same step from the same state called lib.choose(${r.expect[i]}) before: ${DETERMINISM}`);
  }
  if (r.strict && i >= r.picks.length) {
    refuse(r, `called lib.choose(${n}) in a step that, from the same state, called choose ${r.picks.length} time${r.picks.length === 1 ? "" : "s"} before: ${DETERMINISM}`);
  }
  const c = i < r.picks.length ? r.picks[i]! : 0;
  r.ns.push(n);
  r.taken.push(c);
  r.pos++;
  return c;
}

/** What a run of a step chose: the answers and each call's n. */
export interface Choices {
  readonly taken: readonly number[];
  readonly ns: readonly number[];
  /** Who made the last call (for a message about the step's alternatives). */
  readonly who: UserCode | undefined;
}

/** Runs `body` (one step) with choose answering `picks`, then 0; `expect` and `strict` as in ChoiceRun;
 * `by`: who made the calls when this step was discovered (named if a replay makes too few). */
export function withChoices(picks: readonly number[], expect: readonly number[], strict: boolean, body: () => void, by?: UserCode): Choices {
  const outer = run;
  const r = new ChoiceRun(picks, expect, strict);
  run = r;
  try {
    body();
  } catch (e) {
    // A fault of choose explains what followed (a hook that caught it and failed otherwise).
    if (r.fault) throw r.fault;
    throw e;
  } finally {
    run = outer;
  }
  if (r.fault) throw r.fault;
  if (strict && r.ns.length !== picks.length) {
    const who = r.who ?? by;
    const e = patchError(`${named(who)} called lib.choose ${r.ns.length} time${r.ns.length === 1 ? "" : "s"} in a step that, from the same state, called it ${picks.length} times before: ${DETERMINISM}`);
    if (!who) throw new Error(e.message);
    throw e;
  }
  return { taken: r.taken, ns: r.ns, who: r.who };
}

/** Where the next call of choose stands (-1 outside a step): a guard that asks a hook twice rewinds to it. */
export function choicePosition(): number {
  return run ? run.pos : -1;
}

/** Before a guard asks a hook again: its calls from `at` get the answers they got. */
export function rewindChoices(at: number): void {
  if (run && at >= 0) run.pos = at;
}

/** After asking again: the second answer made as many calls as the first (else it is no function of its input). */
export function sameChoicesAgain(end: number): boolean {
  return !run || end < 0 || run.pos === end;
}

/** Functions that may call choose: a user's hook (user-patch.ts marks every one) or a built-in that declares it. */
const choosers = new WeakSet<object>();

export function mayChoose<F extends object>(f: F): F {
  choosers.add(f);
  return f;
}

export function isChooser(f: unknown): boolean {
  return typeof f === "function" && choosers.has(f);
}
