/**
 * The user-space program of a scenario's NFQUEUE rule (`nfqueue`): each of its threads takes a queued packet, gives
 * its verdict (nf_reinject), and on NF_ACCEPT the rest of the packet's path (S4, confirm) runs on that thread, one
 * step each, before it takes another. With `order: fifo` a thread takes the packet queued first; with `any`, any.
 */
import { Fate, Nfq, type KState } from "../../kernel/net/state.js";
import type { Actor, ActorEnv, ActorKind, Move } from "../actor.js";
import { snatChoices } from "../../kernel/functions/nf_nat_core.js";
import { Later, LATER_FUNCTION, laterOf, laterStep } from "./path.js";

function threadActor(env: ActorEnv, thread: number): Actor {
  const { sc, features, quiet } = env;
  // S4's alternatives (--random-fully's offsets) when a reinjected packet's next step is S4.
  const snatN = snatChoices(quiet);
  const q = sc.nfqueue!;
  const verdicts = q.verdicts;
  const n = sc.packets.length;
  /** The packet it is reinjecting, or -1. */
  const busyWith = (s: KState): number => {
    for (let p = 0; p < n; p++) {
      const x = s.pkts[p]!;
      if (x.nfq === Nfq.RUNNING && x.thread === thread && x.fate === Fate.PENDING) return p;
    }
    return -1;
  };
  /** The queued packets it may take, by queue place (fifo: the first only). */
  const candidates = (s: KState): number[] => {
    const out: number[] = [];
    for (let p = 0; p < n; p++) if (s.pkts[p]!.nfq === Nfq.QUEUED) out.push(p);
    out.sort((a, b) => s.pkts[a]!.qseq - s.pkts[b]!.qseq);
    return q.order === "fifo" ? out.slice(0, 1) : out;
  };
  const take = (s: KState, choice: number): { p: number; verdict: "accept" | "drop" } => {
    const p = candidates(s)[Math.floor(choice / verdicts.length)];
    if (p === undefined) throw new Error(`nfq${thread} has no step ${choice} to take`);
    return { p, verdict: verdicts[choice % verdicts.length]! };
  };
  return {
    name: q.threads > 1 ? `nfq-thread${thread}` : "nfq",
    maxMoves: Math.max(1, n * verdicts.length, snatN),
    moves(s) {
      const busy = busyWith(s);
      if (busy >= 0) return laterOf(sc, features.skbs, s, busy) === Later.SNAT ? snatN : 1;
      return candidates(s).length * verdicts.length;
    },
    move(s, choice): Move {
      const busy = busyWith(s);
      if (busy >= 0) return { packet: busy, kind: "query", function: LATER_FUNCTION[laterOf(sc, features.skbs, s, busy)] };
      const { p, verdict } = take(s, choice);
      return { packet: p, kind: verdict === "accept" ? "reinject" : "verdict-drop", function: "nf_reinject" };
    },
    step(ctx, st, choice) {
      const busy = busyWith(st);
      if (busy >= 0) return laterStep(ctx, st, busy, laterOf(sc, features.skbs, st, busy), choice);
      const { p, verdict } = take(st, choice);
      st.pkts[p]!.thread = thread;
      return ctx.k.nf_reinject(ctx, st, p, verdict);
    },
  };
}

export const nfqueue: ActorKind = {
  labels: { nf_reinject: "nf_reinject" },
  what: "the user-space program of an NFQUEUE rule, one per thread (scenario `nfqueue`): its verdicts, then the reinjected packet's path",
  make: (env) => (env.sc.nfqueue ? Array.from({ length: env.sc.nfqueue.threads }, (_, t) => threadActor(env, t)) : []),
};
