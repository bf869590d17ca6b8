/**
 * A CPU in softirq: it works on one packet at a time. A query runs S1..S5 (resolve_normal_ct's lookup,
 * init_conntrack, the DNAT and SNAT hooks' nf_nat_setup_info, __nf_conntrack_confirm), one step each; a reply is
 * one step (reply.ts). When the CPU is idle, which waiting packet it takes next is its choice: its next query in
 * order (once sent, and once the reply it waits for, if any, was delivered), then every reply waiting for it. A
 * step's own alternatives (DNAT's endpoints, --random-fully's offsets, early_drop's sets, a recycled slot) are
 * moves too.
 */
import type { Ctx } from "../../kernel/kernel.js";
import { Pc, Reply, type KState } from "../../kernel/net/state.js";
import { raw_notrack } from "../../kernel/functions/resolve_normal_ct.js";
import { dnatChoices, snatChoices } from "../../kernel/functions/nf_nat_core.js";
import { allocChoices } from "../../kernel/functions/early_drop.js";
import { blocked, slotChoices } from "../../kernel/functions/recycle.js";
import { sentAt } from "../../kernel/functions/time.js";
import type { Actor, ActorEnv, ActorKind, Move } from "../actor.js";
import { deliverReply, REPLY_LABELS, replyMove, replyWaiting } from "./reply.js";
import { Later, LATER_FUNCTION, laterOf, laterStep } from "./path.js";

/** The kernel function a query's next step runs, by Pc, as traces name it (a table: this is on the hot path). */
const STEP_FUNCTION: Readonly<Record<Pc, string>> = {
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

function cpuActor(env: ActorEnv, cpu: number): Actor {
  const { sc, features, quiet } = env;
  // Its queries (a copy of one, a segment or clone, runs on the queue's threads or a lane of its own).
  const mine = sc.packets.flatMap((p, i) => (p.cpu === cpu && p.cloneOf === undefined ? [i] : []));
  // By the rule's endpoint set in force (KState.rules: a control plane may change it), then by packet.
  const dnatN = (sc.dnat?.sets ?? [[]]).map((_, r) => sc.packets.map((_, p) => dnatChoices(quiet, p, r)));
  const snatN = snatChoices(quiet);
  // The kernel's step functions, read once: a call through a constant is cheaper than through k.<name> per step.
  const { __nf_conntrack_find_get: findGet, init_conntrack: initCt, nf_nat_setup_info: setupInfo, __nf_conntrack_confirm: confirm } = env.k;

  /** The packet it is in the middle of (a query between S1 and S5), or -1. */
  const busyWith = (s: KState): number => {
    for (const p of mine) {
      const q = s.pkts[p]!;
      // A lookup is busy while it holds a pointer, owes an unlink, or walks on past a node (recycle).
      // A queued packet left the CPU (nfq): the queue program's thread goes on with it.
      if ((q.pc !== Pc.LOOKUP && q.pc !== Pc.DONE && q.nfq === 0) || q.reaping >= 0 || q.reader >= 0 || q.readerSaw >= 0 || q.halfGc >= 0) return p;
    }
    return -1;
  };
  /** What it may take when idle: the `choice`-th waiting packet, or -1; with choice -1, how many wait (counted
   * without allocating: the search asks for every state). */
  const waiting = (s: KState, choice: number): number => {
    let n = 0;
    for (const p of mine) {
      if (s.pkts[p]!.pc !== Pc.LOOKUP) continue;
      const dep = sc.packets[p]!.afterReply;
      const sent = dep === undefined ? sentAt(sc, p) <= s.now : s.pkts[dep]!.reply === Reply.DELIVERED;
      if (sent && n++ === choice) return p;
      break;
    }
    for (const p of mine) if (replyWaiting(s, p) && n++ === choice) return p;
    return choice < 0 ? n : -1;
  };
  /** The packet move `choice` works on. */
  const packetOf = (s: KState, choice: number): number => {
    const busy = busyWith(s);
    const p = busy >= 0 ? busy : waiting(s, choice);
    if (p < 0) throw new Error(`cpu${cpu} has no step ${choice} to take`);
    return p;
  };
  /** The alternatives of busy packet `p`'s next step: DNAT's endpoints, SNAT's offsets, S2's sets or slots; none while it waits for a lock. */
  const stepChoices = (s: KState, p: number): number => {
    const pc = s.pkts[p]!.pc;
    if (pc === Pc.DNAT) return dnatN[s.rules]![p]!;
    if (pc === Pc.SNAT) return laterOf(sc, features.skbs, s, p) === Later.SNAT ? snatN : 1;
    if (pc === Pc.ALLOC) return features.limited ? allocChoices(quiet, s) : features.recycle ? slotChoices(s) : 1;
    return blocked(quiet, s, p) ? 0 : 1;
  };

  return {
    name: `cpu${cpu}`,
    // A CPU chooses among endpoints, ports or its waiting packets; with conntrack-max, S2 among sets of the evictable entries.
    maxMoves: Math.max(...dnatN.flat(), snatN, sc.packets.length + 1, features.limited ? 1 << sc.conntrackMax : 1),
    moves(s) {
      const busy = busyWith(s);
      return busy >= 0 ? stepChoices(s, busy) : waiting(s, -1);
    },
    move(s, choice): Move {
      const p = packetOf(s, choice);
      const pc = s.pkts[p]!.pc;
      if (pc === Pc.DONE) return replyMove(p);
      const fn = pc === Pc.SNAT || pc === Pc.CONFIRM ? LATER_FUNCTION[laterOf(sc, features.skbs, s, p)] : stepFunction(pc, sc.notrack);
      return { packet: p, kind: "query", function: fn };
    },
    // A plain switch, not ts-pattern: this runs for every transition of the search.
    // Every step is the kernel's own function (ctx.k.<kernel name>), which patches may override.
    step(ctx: Ctx, st, choice) {
      const p = packetOf(st, choice);
      const pc = st.pkts[p]!.pc;
      switch (pc) {
        case Pc.DONE:
          return deliverReply(ctx, st, p);
        case Pc.LOOKUP:
          // Its send time: a query takes no time on the clock's scale, and its answer's window starts here.
          if (sc.timed) st.pkts[p]!.sentAt = st.now;
          return sc.notrack ? raw_notrack(ctx, st, p) : findGet(ctx, st, p);
        case Pc.ALLOC:
          return initCt(ctx, st, p, choice);
        case Pc.DNAT:
          return setupInfo(ctx, st, p, "DST", choice);
        case Pc.SNAT:
          if (!features.skbs && !sc.nfqueue) return setupInfo(ctx, st, p, "SRC", choice);
          return laterStep(ctx, st, p, laterOf(sc, features.skbs, st, p), choice);
        case Pc.CONFIRM:
          // With recycled memory confirm is three steps (the locks, its own DYING, the walks and the decision):
          // each is a call of the kernel's function, so an override applies to all of them (nf_conntrack_confirm.ts).
          if (!features.skbs) return confirm(ctx, st, p);
          return laterStep(ctx, st, p, laterOf(sc, features.skbs, st, p), choice);
        default: {
          const never: never = pc;
          throw new Error(`unknown step ${String(never)}`);
        }
      }
    },
    // init_conntrack and DNAT touch only the packet's private, unconfirmed entry: no other CPU can see it, and no
    // property looks at a pending packet.
    isLocal(s) {
      const busy = busyWith(s);
      if (busy < 0) return false;
      const pc = s.pkts[busy]!.pc;
      return pc === Pc.ALLOC || pc === Pc.DNAT;
    },
  };
}

export const cpus: ActorKind = {
  labels: {
    __nf_conntrack_find_get: "__nf_conntrack_find_get",
    init_conntrack: "init_conntrack",
    nf_nat_setup_info: "nf_nat_setup_info",
    __nf_conntrack_confirm: "__nf_conntrack_confirm",
    nf_conntrack_confirm: "nf_conntrack_confirm",
    nfqnl_enqueue_packet: "nfqnl_enqueue_packet",
    br_forward: "br_forward",
    br_pass_frame_up: "br_pass_frame_up",
    ...REPLY_LABELS,
  },
  what: "a CPU in softirq, one per `cpu` of the scenario: its packets' queries S1..S5, and their replies",
  make: (env) => Array.from({ length: env.sc.cpus }, (_, c) => cpuActor(env, c)),
};
