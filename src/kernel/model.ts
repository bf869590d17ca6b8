/**
 * The conntrack model as the engine sees it: one actor per CPU. A CPU works on
 * one packet at a time (softirq): a query runs S1..S5, a reply is one step.
 * When a CPU is idle, which waiting packet it takes next is its choice (arrival
 * order); a random DNAT rule and --random-fully are choices of the step.
 */
import type { Action, Model } from "../engine/model.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Ctx, Kernel } from "./kernel.js";
import { cloneState, initialState, Pc, Reply, type KState } from "./state.js";
import { progressMeasure, stateCodec } from "./packed.js";
import { raw_notrack } from "./steps/resolve_normal_ct.js";
import { dnatChoices, snatChoices } from "./steps/nf_nat_core.js";
import { deleteStep } from "./steps/nf_ct_delete.js";
import { baseV46 } from "./base-v4.6.js";
import { canonicalizer, symmetric } from "./symmetry.js";

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
  readonly packet: number;
  readonly kind: "query" | "reply" | "delete";
  readonly function: string;
}

export interface ConntrackModel extends Model<KState> {
  readonly ctx: Ctx;
  move(s: KState, a: Action): Move;
  /** Applies `a` to `draft` in place and returns the step's note. The search
   * runs it on a copy; traces run it under immer to get the exact diff. */
  apply(draft: KState, a: Action): string;
}

/** `portable`: encode tuples by value, so that models built apart (parallel
 * workers) encode every state alike. */
export function conntrackModel(sc: Scenario, k: Kernel, opts: { portable?: boolean } = {}): ConntrackModel {
  // Traces run steps with words; the search without (string building is most of a step's cost).
  const ctx: Ctx = { sc, k, explain: true };
  const quiet: Ctx = { sc, k, explain: false };
  const byCpu: number[][] = Array.from({ length: sc.cpus }, () => []);
  const cpuOf = sc.packets.map((p) => p.cpu);
  sc.packets.forEach((p, i) => byCpu[p.cpu]!.push(i));
  // A scenario with `deletes` has one more actor: conntrack -D through ctnetlink.
  const deleter = sc.deletes.length ? sc.cpus : -1;
  const actorNames = [...Array.from({ length: sc.cpus }, (_, c) => `cpu${c}`), ...(deleter >= 0 ? ["ctnetlink"] : [])];
  const deletable = (s: KState): number[] => sc.deletes.filter((id) => deleteStep(s, id) !== undefined);

  /** The packet a CPU is in the middle of (a query between S1 and S5), or -1. */
  const busyWith = (s: KState, cpu: number): number => {
    for (const p of byCpu[cpu]!) {
      const pc = s.pkts[p]!.pc;
      if (pc !== Pc.LOOKUP && pc !== Pc.DONE) return p;
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
      if ((dep === undefined || s.pkts[dep]!.reply === Reply.DELIVERED) && n++ === choice) return p;
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
  const maxChoices = Math.max(dnatChoices(ctx), snatChoices(ctx), sc.packets.length + 1);
  const actionTable: Action[] = [];
  for (let actor = 0; actor < actorNames.length; actor++) for (let choice = 0; choice < maxChoices; choice++) actionTable.push({ actor, choice });
  const action = (actor: number, choice: number): Action => actionTable[actor * maxChoices + choice]!;

  const move = (s: KState, a: Action): Move => {
    if (a.actor === deleter) {
      const id = deletable(s)[a.choice];
      if (id === undefined) throw new Error(`ctnetlink has no step ${a.choice} to take`);
      return { packet: id, kind: "delete", function: "nf_ct_delete" };
    }
    const p = packetOf(s, a);
    if (p < 0) throw new Error(`cpu${a.actor} has no step ${a.choice} to take`);
    const pc = s.pkts[p]!.pc;
    return { packet: p, kind: pc === Pc.DONE ? "reply" : "query", function: stepFunction(pc, sc.notrack) };
  };

  // A plain switch, not ts-pattern: this runs for every transition of the search.
  // Every step is the kernel's own function (k.<kernel name>), which patches may override.
  const step = (ctx: Ctx, st: KState, a: Action): string => {
    if (a.actor === deleter) return k.nf_ct_delete(ctx, st, move(st, a).packet);
    const p = packetOf(st, a);
    if (p < 0) throw new Error(`cpu${a.actor} has no step ${a.choice} to take`);
    const pc = st.pkts[p]!.pc;
    if (pc === Pc.DONE) return k.nf_conntrack_in_reply(ctx, st, p);
    switch (pc) {
      case Pc.LOOKUP:
        return sc.notrack ? raw_notrack(ctx, st, p) : k.__nf_conntrack_find_get(ctx, st, p);
      case Pc.ALLOC:
        return k.init_conntrack(ctx, st, p);
      case Pc.DNAT:
        return k.nf_nat_setup_info(ctx, st, p, "DST", a.choice);
      case Pc.SNAT:
        return k.nf_nat_setup_info(ctx, st, p, "SRC", a.choice);
      case Pc.CONFIRM:
        return k.__nf_conntrack_confirm(ctx, st, p);
      default: {
        const never: never = pc;
        throw new Error(`unknown step ${String(never)}`);
      }
    }
  };

  const codec = stateCodec(sc.packets.length, sc.cpus, opts.portable);
  // Symmetry works on the packed state; the state form is a decoded copy of it.
  const canonicalize = symmetric(sc) ? canonicalizer(codec, sc.packets.length, cpuOf) : undefined;
  const canonWords = new Int32Array(codec.words);
  const canonical = (s: KState): KState => {
    codec.encode(s, canonWords);
    canonicalize!(canonWords);
    return codec.decode(canonWords, 0, codec.words, codec.scratch());
  };
  const localSteps = k.init_conntrack === baseV46.init_conntrack && k.nf_nat_setup_info === baseV46.nf_nat_setup_info;
  const dnatN = dnatChoices(ctx);
  const snatN = snatChoices(ctx);

  return {
    ctx,
    actorNames,
    encodedWords: codec.words,
    initialStates: () => [initialState(sc.packets.length, sc.cpus)],
    actions(s) {
      const out: Action[] = [];
      for (let cpu = 0; cpu < sc.cpus; cpu++) {
        const busy = busyWith(s, cpu);
        if (busy >= 0) {
          const pc = s.pkts[busy]!.pc;
          const n = pc === Pc.DNAT ? dnatN : pc === Pc.SNAT ? snatN : 1;
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
      return out;
    },
    next(s, a) {
      const t = cloneState(s);
      step(quiet, t, a);
      return t;
    },
    encode: codec.encode,
    inPlace: {
      scratch: codec.scratch,
      decode: codec.decode,
      restore: codec.restore,
      progress: progressMeasure(codec, sc.packets.map((p) => sc.natTable && p.nat)),
      apply: (st, a) => void step(quiet, st, a),
      ...(canonicalize ? { canonicalize } : {}),
    },
    ...(canonicalize ? { canonical } : {}),
    // init_conntrack and DNAT touch only the packet's private, unconfirmed entry:
    // no other CPU can see it, and no property looks at a pending packet. Not
    // when a patch changed either: its version may touch shared state.
    isLocal(s, a) {
      if (a.actor === deleter || !localSteps) return false;
      const busy = busyWith(s, a.actor);
      if (busy < 0) return false;
      const pc = s.pkts[busy]!.pc;
      return pc === Pc.ALLOC || pc === Pc.DNAT;
    },
    describe(s, a) {
      const m = move(s, a);
      return `${sc.packets[m.packet]!.name}: ${m.function}`;
    },
    move,
    apply: (draft, a) => step(ctx, draft, a),
  };
}
