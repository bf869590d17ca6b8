/**
 * The clock of a timed scenario (nfct_time_stamp): one move, to the next instant where something can change
 * (kernel/functions/time.ts says which), while no sent query is between its hooks. Its state: st.now.
 */
import { nextTick, tick } from "../../kernel/functions/time.js";
import type { Actor, ActorKind } from "../actor.js";

export const clock: ActorKind = {
  labels: {},
  what: "the clock of a timed scenario",
  make({ sc, k }) {
    if (!sc.timed) return [];
    // v4.6's timers fire at their entry's expiry: the clock waits for them (time.ts).
    const timers = !k.nf_ct_gc_expired;
    const actor: Actor = {
      name: "clock",
      maxMoves: 1,
      moves: (s) => (nextTick(sc, s, timers) >= 0 ? 1 : 0),
      move: () => ({ packet: -1, kind: "tick", function: "tick" }),
      step: (ctx, st) => tick(ctx, st),
    };
    return [actor];
  },
};
