/**
 * The conntrack model as the engine sees it: one actor per CPU. A CPU works on
 * one packet at a time (softirq): a query runs S1..S5, a reply is one step.
 * When a CPU is idle, which waiting packet it takes next is its choice (arrival
 * order); a random DNAT rule and --random-fully are choices of the step.
 */
import type { Action, Model } from "../engine/model.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Ctx, Kernel } from "../kernel/kernel.js";
import { cloneState, initialState, Pc, Reply, type KState } from "../kernel/net/state.js";
import { progressMeasure, stateCodec } from "./packed.js";
import { raw_notrack } from "../kernel/functions/resolve_normal_ct.js";
import { dnatChoices, snatChoices } from "../kernel/functions/nf_nat_core.js";
import { allocChoices } from "../kernel/functions/early_drop.js";
import { deleteStep } from "../kernel/functions/nf_ct_delete.js";
import { baseV46 } from "../kernel/base-v4.6.js";
import { canonicalizer, symmetric } from "./symmetry.js";
import { current, isDraft } from "immer";
import { isChooser, MAX_CHOICES, withChoices } from "../kernel/choose.js";
import { patchError, type UserCode } from "../runtime/user-code.js";
import { PATCHES } from "../kernel/variants.js";
import { nextTick, runOver, sentAt, tick } from "../kernel/functions/time.js";
import { reapable } from "../kernel/functions/nf_ct_gc_expired.js";
import { blocked, CRASH, lockedAgainst, slotChoices } from "../kernel/functions/recycle.js";
import { confirmDyingTest, confirmLock } from "../kernel/functions/nf_conntrack_confirm.js";

/** One alternative of a step in a kernel that may choose: the built-in choice
 * (endpoint, offset, waiting packet) and the answers its lib.choose calls get. */
interface Leaf {
  readonly builtin: number;
  readonly picks: readonly number[];
  /** n of each of those calls, as discovery saw them. */
  readonly ns: readonly number[];
  readonly who: UserCode | undefined;
}

/** Whether kernel `k` may call lib.choose in a step: it has a user's hook (or a
 * patch that is not built in, which may call one), or a built-in declares it. */
function mayChooseIn(k: Kernel): boolean {
  return Object.values(k).some(isChooser) || k.parts.slice(1).some((id) => !PATCHES.some((p) => p.id === id));
}

/** The kernel function each step models, by Pc (a table: this is on the hot path). */
const STEP_FUNCTION: Record<Pc, string> = {
  [Pc.LOOKUP]: "__nf_conntrack_find_get",
  [Pc.ALLOC]: "init_conntrack",
  [Pc.DNAT]: "nf_nat_setup_info(DST)",
  [Pc.SNAT]: "nf_nat_setup_info(SRC)",
  [Pc.CONFIRM]: "__nf_conntrack_confirm",
  [Pc.DONE]: "reply",
};

/** The kernel function a packet's next step models, for traces. */
export function stepFunction(pc: Pc, notrack = false): string {
  return pc === Pc.LOOKUP && notrack ? "raw NOTRACK" : STEP_FUNCTION[pc];
}

/** The packet an action moves and what it does: its query's next step, its
 * reply, or (the ctnetlink actor) a step of deleting its entry. */
export interface Move {
  /** The packet, or the entry (by its packet) a deleter or reaper works on; -1 for the clock. */
  readonly packet: number;
  readonly kind: "query" | "reply" | "delete" | "reap" | "tick";
  readonly function: string;
}

export interface ConntrackModel extends Model<KState> {
  readonly ctx: Ctx;
  /** Whether the kernel may call lib.choose, so each step's alternatives are found by running it (choose.ts). */
  readonly choosing: boolean;
  move(s: KState, a: Action): Move;
  /** Applies `a` to `draft` in place and returns the step's note. The search
   * runs it on a copy; traces run it under immer to get the exact diff. */
  apply(draft: KState, a: Action): string;
}

/** `portable`: encode tuples by value, so that models built apart (parallel
 * workers) encode every state alike. `bysourceOrder`: keep nf_nat_bysource's
 * whole order in the state, bookkeeping included (tests compare with the counts
 * from before packed.ts's view of it). */
export function conntrackModel(sc: Scenario, k: Kernel, opts: { portable?: boolean; bysourceOrder?: boolean } = {}): ConntrackModel {
  // Traces run steps with words; the search without (string building is most of a step's cost).
  const ctx: Ctx = { sc, k, explain: true };
  const quiet: Ctx = { sc, k, explain: false };
  const byCpu: number[][] = Array.from({ length: sc.cpus }, () => []);
  const cpuOf = sc.packets.map((p) => p.cpu);
  sc.packets.forEach((p, i) => byCpu[p.cpu]!.push(i));
  // A scenario with `deletes` has one more actor: conntrack -D through ctnetlink.
  const deleter = sc.deletes.length ? sc.cpus : -1;
  // A timed scenario has the clock, and a reaper: v4.6's timers, or from v4.9 the gc worker (f330a7fdbe16
  // without b87a2f9199ea has neither: only lookups reap).
  const timers = !k.nf_ct_gc_expired;
  const reapStep = k.gc_worker ?? (timers ? k.death_by_timeout : undefined);
  const reaper = sc.timed && reapStep ? sc.cpus + (deleter >= 0 ? 1 : 0) : -1;
  const clock = sc.timed ? sc.cpus + (deleter >= 0 ? 1 : 0) + (reaper >= 0 ? 1 : 0) : -1;
  const reaperName = k.gc_worker ? "gc_worker" : "death_by_timeout";
  const actorNames = [
    ...Array.from({ length: sc.cpus }, (_, c) => `cpu${c}`),
    ...(deleter >= 0 ? ["ctnetlink"] : []),
    ...(reaper >= 0 ? [k.gc_worker ? "gc" : "timer"] : []),
    ...(clock >= 0 ? ["clock"] : []),
  ];
  const deletable = (s: KState): number[] =>
    sc.deletes.filter((id) => {
      const how = deleteStep(s, id);
      // With recycled memory the unlink waits for the entry's bucket locks.
      return how !== undefined && !(sc.recycle && how === "unlink" && lockedAgainst(s, id));
    });
  /** What the reaper may work on: the entry it is unlinking, else every one it may start on (none once the run is over). */
  // In a `recycle` scenario the unlink waits for the entry's bucket locks.
  // With recycled memory the gc worker too reaches an entry in one step and looks again in a later one.
  const reapTargets = (s: KState): number[] => {
    if (s.gc >= 0) return sc.recycle && lockedAgainst(s, s.gc) ? [] : [s.gc];
    if (s.gcHalf >= 0) return [s.gcHalf];
    if (s.gcReader >= 0) return [s.gcSaw];
    return runOver(s) ? [] : reapable(quiet, s);
  };

  /** The packet a CPU is in the middle of (a query between S1 and S5), or -1. */
  const busyWith = (s: KState, cpu: number): number => {
    for (const p of byCpu[cpu]!) {
      const q = s.pkts[p]!;
      // A lookup is busy while it holds a pointer, owes an unlink, or walks on past a node (recycle).
      if ((q.pc !== Pc.LOOKUP && q.pc !== Pc.DONE) || q.reaping >= 0 || q.reader >= 0 || q.readerSaw >= 0 || q.halfGc >= 0) return p;
    }
    return -1;
  };

  /** What an idle CPU may take next: its next query in order (once the reply it
   * waits for, if any, was delivered), then every reply waiting for it. The
   * `choice`-th of them, or -1 (counted without allocating: the search asks for every state). */
  const waiting = (s: KState, cpu: number, choice: number): number => {
    let n = 0;
    const mine = byCpu[cpu]!;
    for (const p of mine) {
      if (s.pkts[p]!.pc !== Pc.LOOKUP) continue;
      const dep = sc.packets[p]!.afterReply;
      const sent = dep === undefined ? sentAt(sc, p) <= s.now : s.pkts[dep]!.reply === Reply.DELIVERED;
      if (sent && n++ === choice) return p;
      break;
    }
    for (const p of mine) if (s.pkts[p]!.reply === Reply.PENDING && n++ === choice) return p;
    return choice < 0 ? n : -1;
  };
  const waitingCount = (s: KState, cpu: number): number => waiting(s, cpu, -1);
  /** The packet action `a` of a CPU moves. */
  const packetOf = (s: KState, a: Action): number => {
    const busy = busyWith(s, a.actor);
    return busy >= 0 ? busy : waiting(s, a.actor, a.choice);
  };
  // Actions are immutable: one object per (actor, choice), made once. A CPU
  // chooses among endpoints, ports or its waiting packets; ctnetlink among entries.
  // With conntrack-max, S2 chooses what early_drop meets: a set of the evictable entries (at most conntrack-max).
  const limited = sc.conntrackMax > 0;
  const maxChoices = Math.max(dnatChoices(ctx), snatChoices(ctx), sc.packets.length + 1, limited ? 1 << sc.conntrackMax : 1);
  const actionTable: Action[] = [];
  for (let actor = 0; actor < actorNames.length; actor++) for (let choice = 0; choice < maxChoices; choice++) actionTable.push({ actor, choice });
  const action = (actor: number, choice: number): Action => actionTable[actor * maxChoices + choice]!;

  const plainMove = (s: KState, a: Action): Move => {
    if (a.actor === deleter) {
      const id = deletable(s)[a.choice];
      if (id === undefined) throw new Error(`ctnetlink has no step ${a.choice} to take`);
      return { packet: id, kind: "delete", function: "nf_ct_delete" };
    }
    if (a.actor === reaper) {
      const id = reapTargets(s)[a.choice];
      if (id === undefined) throw new Error(`the reaper has no step ${a.choice} to take`);
      return { packet: id, kind: "reap", function: reaperName };
    }
    if (a.actor === clock) return { packet: -1, kind: "tick", function: "tick" };
    const p = packetOf(s, a);
    if (p < 0) throw new Error(`cpu${a.actor} has no step ${a.choice} to take`);
    const pc = s.pkts[p]!.pc;
    return { packet: p, kind: pc === Pc.DONE ? "reply" : "query", function: stepFunction(pc, sc.notrack) };
  };

  // The kernel's step functions, read once: a call through a constant is cheaper than through k.<name> per step.
  const { nf_ct_delete: del, nf_conntrack_in_reply: inReply, __nf_conntrack_find_get: findGet, init_conntrack: initCt } = k;
  const { nf_nat_setup_info: setupInfo, __nf_conntrack_confirm: confirm } = k;

  // A plain switch, not ts-pattern: this runs for every transition of the search.
  // Every step is the kernel's own function (k.<kernel name>), which patches may override.
  const step = (ctx: Ctx, st: KState, a: Action): string => {
    if (a.actor === deleter) return del(ctx, st, plainMove(st, a).packet);
    if (a.actor === reaper) return reapStep!(ctx, st, plainMove(st, a).packet);
    if (a.actor === clock) return tick(ctx, st);
    const p = packetOf(st, a);
    if (p < 0) throw new Error(`cpu${a.actor} has no step ${a.choice} to take`);
    const pc = st.pkts[p]!.pc;
    if (pc === Pc.DONE) return inReply(ctx, st, p);
    switch (pc) {
      case Pc.LOOKUP:
        // Its send time: a query takes no time on the clock's scale, and its answer's window starts here.
        if (sc.timed) st.pkts[p]!.sentAt = st.now;
        return sc.notrack ? raw_notrack(ctx, st, p) : findGet(ctx, st, p);
      case Pc.ALLOC:
        return initCt(ctx, st, p, a.choice);
      case Pc.DNAT:
        return setupInfo(ctx, st, p, "DST", a.choice);
      case Pc.SNAT:
        return setupInfo(ctx, st, p, "SRC", a.choice);
      case Pc.CONFIRM: {
        // Recycled memory: confirm's first step takes the locks (and from v5.19 sets CONFIRMED), its second decides and unlocks.
        // then tests its own DYING, and the third walks, decides and unlocks.
        if (sc.recycle && !st.pkts[p]!.locked) return confirmLock(ctx, st, p);
        if (sc.recycle && !st.pkts[p]!.dyingChecked) return confirmDyingTest(ctx, st, p);
        const note = confirm(ctx, st, p);
        st.pkts[p]!.locked = false;
        st.pkts[p]!.dyingChecked = false;
        return note;
      }
      default: {
        const never: never = pc;
        throw new Error(`unknown step ${String(never)}`);
      }
    }
  };

  /** The alternatives of busy packet `p`'s next step: DNAT's endpoints, SNAT's offsets, S2's sets or slots; none while it waits for a lock. */
  const stepChoices = (s: KState, p: number): number => {
    const pc = s.pkts[p]!.pc;
    if (pc === Pc.DNAT) return dnatN;
    if (pc === Pc.SNAT) return snatN;
    if (pc === Pc.ALLOC) return limited ? allocChoices(ctx, s) : sc.recycle ? slotChoices(s) : 1;
    return blocked(ctx, s, p) ? 0 : 1;
  };
  // nf_nat_bysource's order of equal neighbours is bookkeeping (packed.ts, sortBysourceRuns), for a user's patch too
  // (state.ts tells hooks not to depend on it), unless recycled slots reuse entries or packets differ in zone
  // (find_appropriate_src compares it).
  const oneZone = sc.packets.every((p) => p.zone?.id === sc.packets[0]!.zone?.id && p.zone?.dir === sc.packets[0]!.zone?.dir);
  const codec = stateCodec(sc.packets.length, sc.cpus, opts.portable, limited, sc.timed, sc.chains !== undefined, sc.recycle, oneZone && !sc.recycle && opts.bysourceOrder !== true);
  // A kernel that may call lib.choose: every step's alternatives are found by running it (choose.ts).
  // Built-in kernels never take this path: their actions and steps are the plain ones above and below.
  const choosing = mayChooseIn(k);
  /** The built-in alternatives of an actor's next step (what actions() enumerates for it). */
  const builtinChoices = (s: KState, actor: number): number => {
    if (actor === deleter) return deletable(s).length;
    if (actor === reaper) return reapTargets(s).length;
    if (actor === clock) return nextTick(sc, s, timers) >= 0 ? 1 : 0;
    const busy = busyWith(s, actor);
    if (busy < 0) return waitingCount(s, actor);
    return stepChoices(s, busy);
  };
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
  const choosingStep = (c: Ctx, st: KState, a: Action): string => {
    // Under immer (traces) the leaves are found on a plain copy of the draft.
    const leaf = leafOf(isDraft(st) ? current(st) : st, a);
    let note = "";
    withChoices(leaf.picks, leaf.ns, true, () => void (note = step(c, st, action(a.actor, leaf.builtin))), leaf.who);
    if (!c.explain || leaf.picks.length === 0) return note;
    return `${note} (patch chose ${leaf.picks.map((x, i) => `${x + 1} of ${leaf.ns[i]}`).join(", ")})`;
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
  const canon = symmetric(sc) ? canonicalizer(codec, sc.packets.length, cpuOf) : undefined;
  const canonicalize = canon?.canonicalize;
  const canonWords = new Int32Array(codec.words);
  const canonical = (s: KState): KState => {
    codec.encode(s, canonWords);
    canonicalize!(canonWords);
    return codec.decode(canonWords, 0, codec.words, codec.scratch());
  };
  // DNAT's get_unique_tuple may ask nf_nat_used_tuple, but only a changed tuple search can make its answer count.
  // With conntrack-max, init_conntrack's early_drop reads and changes the table: not local.
  // Every function S2 and S3 may call: a user's hook among them may read or change shared state.
  // In a timed scenario S2 runs the tracker (a timeout, stream_ts from the clock): no local step either.
  const localSteps =
    !limited &&
    !sc.timed &&
    !sc.recycle &&
    k.init_conntrack === baseV46.init_conntrack &&
    // A lookup of a user's patch may see an unconfirmed entry (examples/patches/lookup-sees-unconfirmed.mjs): not private then.
    k.__nf_conntrack_find_get === baseV46.__nf_conntrack_find_get &&
    k.nf_nat_setup_info === baseV46.nf_nat_setup_info &&
    k.get_unique_tuple === baseV46.get_unique_tuple &&
    k.nf_nat_l4proto_unique_tuple === baseV46.nf_nat_l4proto_unique_tuple &&
    ![k.__nf_conntrack_alloc, k.early_drop, k.nf_nat_used_tuple, k.nf_conntrack_tuple_taken, k.takenBy].some(isChooser);
  const dnatN = dnatChoices(ctx);
  const snatN = snatChoices(ctx);

  return {
    ctx,
    choosing,
    actorNames,
    encodedWords: codec.words,
    initialStates: () => [initialState(sc.packets.length, sc.cpus)],
    actions: choosing ? choosingActions : (s) => {
      const out: Action[] = [];
      // A crash ends the run: the kernel has oopsed.
      if (s.crash & CRASH.UNLINK_UNLINKED) return out;
      for (let cpu = 0; cpu < sc.cpus; cpu++) {
        const busy = busyWith(s, cpu);
        if (busy >= 0) {
          const n = stepChoices(s, busy);
          for (let choice = 0; choice < n; choice++) out.push(action(cpu, choice));
        } else {
          const w = waitingCount(s, cpu);
          for (let choice = 0; choice < w; choice++) out.push(action(cpu, choice));
        }
      }
      if (deleter >= 0) {
        const d = deletable(s).length;
        for (let choice = 0; choice < d; choice++) out.push(action(deleter, choice));
      }
      if (reaper >= 0) {
        const r = reapTargets(s).length;
        for (let choice = 0; choice < r; choice++) out.push(action(reaper, choice));
      }
      if (clock >= 0 && nextTick(sc, s, timers) >= 0) out.push(action(clock, 0));
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
      ...(sc.timed ? {} : { progress: progressMeasure(codec, sc.packets.map((p) => sc.natTable && p.nat)) }),
      apply: (st, a) => void run(quiet, st, a),
      ...(canonicalize ? { canonicalize } : {}),
    },
    ...(canon ? { canonical, canonicalActor: canon.actorAfter } : {}),
    // A patch's lib.choose answers refine the built-in choice of their leaf: that is the choice another kernel knows.
    ...(choosing ? { sharedChoice: (s: KState, a: Action): number => leafOf(s, a).builtin } : {}),
    // init_conntrack and DNAT touch only the packet's private, unconfirmed entry:
    // no other CPU can see it, and no property looks at a pending packet. Not
    // when a patch changed either (its version may touch shared state), nor with
    // conntrack-max: then POR has no local step, and the model offers none.
    ...(localSteps
      ? {
          isLocal(s: KState, a: Action): boolean {
            if (a.actor === deleter) return false;
            const busy = busyWith(s, a.actor);
            if (busy < 0) return false;
            const pc = s.pkts[busy]!.pc;
            return pc === Pc.ALLOC || pc === Pc.DNAT;
          },
        }
      : {}),
    describe(s, a) {
      const m = move(s, a);
      return m.packet < 0 ? m.function : `${sc.packets[m.packet]!.name}: ${m.function}`;
    },
    move,
    apply: (draft, a) => run(ctx, draft, a),
  };
}
