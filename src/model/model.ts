/**
 * The conntrack model as the engine sees it, built from the table of actors (actors/index.ts): the engine's
 * actions are the actors' moves in a state, in table order, and a step is the actor's. A kernel that may call
 * lib.choose (a user's patch) has each step's alternatives found by running it (choose.ts).
 */
import type { Action, Model } from "../engine/model.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Ctx, Kernel } from "../kernel/kernel.js";
import { cloneState, initialState, type KState } from "../kernel/net/state.js";
import { progressMeasure, stateCodec } from "./packed.js";
import { canonicalizer } from "./symmetry.js";
import { current, isDraft } from "immer";
import { isChooser, MAX_CHOICES, withChoices } from "../kernel/choose.js";
import { patchError, type UserCode } from "../runtime/user-code.js";
import { CRASH } from "../kernel/functions/recycle.js";
import type { Actor, ActorKind, Move } from "./actor.js";
import { ACTORS } from "./actors/index.js";
import { featuresOf, withActorState, type Features } from "./features.js";
import type { StepNote } from "../kernel/note.js";

export type { Move } from "./actor.js";
export { stepFunction } from "./actors/cpu.js";

/** One alternative of a step in a kernel that may choose: the built-in choice
 * (endpoint, offset, waiting packet) and the answers its lib.choose calls get. */
interface Leaf {
  readonly builtin: number;
  readonly picks: readonly number[];
  /** n of each of those calls, as discovery saw them. */
  readonly ns: readonly number[];
  readonly who: UserCode | undefined;
}

export interface ConntrackModel extends Model<KState> {
  readonly ctx: Ctx;
  /** What the model has, and why each reduction does or does not apply (features.ts). */
  readonly features: Features;
  /** Whether the kernel may call lib.choose, so each step's alternatives are found by running it (choose.ts). */
  readonly choosing: boolean;
  move(s: KState, a: Action): Move;
  /** Applies `a` to `draft` in place and returns the step's note (a Note, kernel/note.ts, that report/notes.ts words,
   * or a user's one-line string; only when `explain`, the default: else "", the search asks for none). The search
   * runs it on a copy; traces run it under immer to get the exact diff. */
  apply(draft: KState, a: Action, explain?: boolean): StepNote;
}

/** `portable`: encode tuples by value, so that models built apart (parallel
 * workers) encode every state alike. `bysourceOrder`: keep nf_nat_bysource's
 * whole order in the state, bookkeeping included (tests compare with the counts
 * from before packed.ts's view of it). `actors`: the table of actors (tests add one). */
export function conntrackModel(sc: Scenario, k: Kernel, opts: { portable?: boolean; bysourceOrder?: boolean; actors?: readonly ActorKind[] } = {}): ConntrackModel {
  // Traces run steps with words; the search without (string building is most of a step's cost).
  const ctx: Ctx = { sc, k, explain: true };
  const quiet: Ctx = { sc, k, explain: false };
  const table = opts.actors ?? ACTORS;
  const base = featuresOf(sc, k, opts);
  // The words the actors claim for their own state, in table order.
  const claims: string[] = [];
  const actors: readonly Actor[] = table.flatMap((kind) =>
    kind.make({
      sc,
      k,
      features: base,
      quiet,
      claim: (words) => {
        if (!Number.isInteger(words) || words < 0) throw new Error(`an actor claimed ${words} words of state`);
        const at = claims.length;
        for (let i = 0; i < words; i++) claims.push(kind.what);
        return at;
      },
    }),
  );
  const features = withActorState(base, [...new Set(claims)]);
  const actorNames = actors.map((a) => a.name);
  const cpuOf = sc.packets.map((p) => p.cpu);
  // Actions are immutable: one object per (actor, choice), made once.
  const maxChoices = Math.max(...actors.map((a) => a.maxMoves));
  const actionTable: Action[] = [];
  for (let actor = 0; actor < actors.length; actor++) for (let choice = 0; choice < maxChoices; choice++) actionTable.push({ actor, choice });
  const action = (actor: number, choice: number): Action => actionTable[actor * maxChoices + choice]!;
  const plainMove = (s: KState, a: Action): Move => actors[a.actor]!.move(s, a.choice);
  const step = (c: Ctx, st: KState, a: Action): StepNote => actors[a.actor]!.step(c, st, a.choice);

  const codec = stateCodec(sc.packets.length, sc.cpus, { portable: opts.portable === true, features, ext: claims.length });
  // A kernel that may call lib.choose: every step's alternatives are found by running it (choose.ts).
  // Built-in kernels never take this path: their actions and steps are the plain ones above and below.
  // It may when it has a user's hook (or a patch that is not built in, which may call one), or a built-in declares it.
  const choosing = Object.values(k).some(isChooser) || features.userPatch;
  /** The built-in alternatives of an actor's next step (what actions() enumerates for it). */
  const builtinChoices = (s: KState, actor: number): number => actors[actor]!.moves(s);
  /** Every sequence of answers the step's choose calls may get, depth first (each run is one leaf). */
  const discover = (s: KState, actor: number, builtin: number, out: Leaf[]): void => {
    let picks: number[] = [];
    let expect: readonly number[] = [];
    for (;;) {
      const t = cloneState(s);
      const r = withChoices(picks, expect, false, () => void step(quiet, t, action(actor, builtin)));
      out.push({ builtin, picks: r.taken, ns: r.ns, who: r.who });
      if (out.length >= MAX_CHOICES) {
        const by = r.who ? `${r.who.field}: ${r.who.what}'s` : "the";
        throw patchError(`${by} lib.choose calls give ${actorNames[actor]} more than ${MAX_CHOICES - 1} alternatives in one step: the search takes at most ${MAX_CHOICES - 1} per CPU (ask for fewer)`);
      }
      let i = r.ns.length - 1;
      while (i >= 0 && r.taken[i] === r.ns[i]! - 1) i--;
      if (i < 0) return;
      picks = [...r.taken.slice(0, i), r.taken[i]! + 1];
      expect = r.ns.slice(0, i + 1);
    }
  };
  // The leaves of the last state asked about, by actor: actions() finds them, the steps from that state replay them.
  const leafKey = new Int32Array(codec.words);
  const leafNow = new Int32Array(leafKey.length);
  let leafLen = -1;
  let leaves: Leaf[][] = [];
  const leavesOf = (s: KState): Leaf[][] => {
    const len = codec.encode(s, leafNow);
    let same = len === leafLen;
    for (let i = 0; same && i < len; i++) same = leafNow[i] === leafKey[i];
    if (same) return leaves;
    const found: Leaf[][] = [];
    let total = 0;
    for (let actor = 0; actor < actorNames.length; actor++) {
      const mine: Leaf[] = [];
      const n = builtinChoices(s, actor);
      for (let b = 0; b < n; b++) discover(s, actor, b, mine);
      total += mine.length;
      found.push(mine);
    }
    if (total > MAX_CHOICES) {
      const who = found.flat().find((l) => l.who)?.who;
      throw patchError(`${who ? `${who.field}: ${who.what}'s` : "the"} lib.choose calls give one state ${total} successors: the search takes at most ${MAX_CHOICES} (ask for fewer)`);
    }
    leaves = found;
    leafKey.set(leafNow.subarray(0, len));
    leafLen = len;
    return leaves;
  };
  const leafOf = (s: KState, a: Action): Leaf => {
    const leaf = leavesOf(s)[a.actor]?.[a.choice];
    if (!leaf) throw new Error(`${actorNames[a.actor] ?? `actor ${a.actor}`} has no step ${a.choice} to take`);
    return leaf;
  };
  // Action objects past the built-in table's width, made once each.
  const wide: Action[][] = actorNames.map(() => []);
  const choiceAction = (actor: number, choice: number): Action => (wide[actor]![choice] ??= { actor, choice });
  /** A step of a kernel that may choose: the built-in step of the action's leaf, its choose calls answered as discovered. */
  const choosingStep = (c: Ctx, st: KState, a: Action): StepNote => {
    // Under immer (traces) the leaves are found on a plain copy of the draft.
    const leaf = leafOf(isDraft(st) ? current(st) : st, a);
    let note: StepNote = "";
    withChoices(leaf.picks, leaf.ns, true, () => void (note = step(c, st, action(a.actor, leaf.builtin))), leaf.who);
    if (!c.explain || leaf.picks.length === 0) return note;
    // The answers its lib.choose calls got (report/notes.ts words them after the step's own note).
    return { kind: "chose", note, picks: leaf.picks, of: leaf.ns.slice(0, leaf.picks.length) };
  };
  const choosingActions = (s: KState): Action[] => {
    const out: Action[] = [];
    // A crash ends the run here too.
    if (s.crash & CRASH.UNLINK_UNLINKED) return out;
    const all = leavesOf(s);
    for (let actor = 0; actor < all.length; actor++) for (let choice = 0; choice < all[actor]!.length; choice++) out.push(choiceAction(actor, choice));
    return out;
  };
  const run = choosing ? choosingStep : step;
  const move = choosing ? (s: KState, a: Action): Move => plainMove(s, action(a.actor, leafOf(s, a).builtin)) : plainMove;

  // Symmetry works on the packed state; the state form is a decoded copy of it.
  const canon = features.noSymmetry.length === 0 ? canonicalizer(codec, sc.packets.length, cpuOf) : undefined;
  const canonicalize = canon?.canonicalize;
  const canonWords = new Int32Array(codec.words);
  const canonical = (s: KState): KState => {
    codec.encode(s, canonWords);
    canonicalize!(canonWords);
    return codec.decode(canonWords, 0, codec.words, codec.scratch());
  };
  return {
    ctx,
    features,
    choosing,
    actorNames,
    encodedWords: codec.words,
    initialStates: () => [initialState(sc.packets.length, sc.cpus, claims.length)],
    actions: choosing ? choosingActions : (s) => {
      const out: Action[] = [];
      // A crash ends the run: the kernel has oopsed.
      if (s.crash & CRASH.UNLINK_UNLINKED) return out;
      for (let actor = 0; actor < actors.length; actor++) {
        const n = actors[actor]!.moves(s);
        for (let choice = 0; choice < n; choice++) out.push(action(actor, choice));
      }
      return out;
    },
    next(s, a) {
      const t = cloneState(s);
      run(quiet, t, a);
      return t;
    },
    encode: codec.encode,
    inPlace: {
      scratch: codec.scratch,
      decode: codec.decode,
      restore: codec.restore,
      // The clock's steps change no step count: a timed scenario has no progress measure (no sweep).
      // Nor do the control plane's (a rule change, a walk's start).
      // Nor the queue's and the copies' (a test of CONFIRMED, a pass up through br0).
      ...(sc.timed || features.control || features.skbs ? {} : { progress: progressMeasure(codec, sc.packets.map((p) => sc.natTable && p.nat)) }),
      apply: (st, a) => void run(quiet, st, a),
      ...(canonicalize ? { canonicalize } : {}),
    },
    ...(canon ? { canonical, canonicalActor: canon.actorAfter } : {}),
    // A patch's lib.choose answers refine the built-in choice of their leaf: that is the choice another kernel knows.
    ...(choosing ? { sharedChoice: (s: KState, a: Action): number => leafOf(s, a).builtin } : {}),
    // Offered only where every reason against it is absent (features.ts): then a move is local as its actor says.
    ...(features.noPor.length === 0
      ? {
          isLocal(s: KState, a: Action): boolean {
            const actor = actors[a.actor]!;
            return actor.isLocal !== undefined && actor.isLocal(s, a.choice);
          },
        }
      : {}),
    describe(s, a) {
      const m = move(s, a);
      return m.packet < 0 ? m.function : `${sc.packets[m.packet]!.name}: ${m.function}`;
    },
    move,
    apply: (draft, a, explain = true) => run(explain ? ctx : quiet, draft, a),
  };
}
