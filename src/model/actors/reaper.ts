/**
 * The reaper of a timed scenario: v4.6's per-entry timers (death_by_timeout), or from v4.9 the gc worker
 * (b87a2f9199ea), which walks the table and kills expired entries (nf_ct_gc_expired), the unlink a step later.
 * f330a7fdbe16 without b87a2f9199ea has neither: only lookups reap. With recycled memory the gc worker too is a
 * lockless reader: it reaches an entry in one step and looks at its slot again in a later one. Its state: st.gc
 * (the entry it owes an unlink), st.gcReader, st.gcSaw and st.gcHalf (the lockless walk).
 */
import { reapable } from "../../kernel/functions/nf_ct_gc_expired.js";
import { lockedAgainst } from "../../kernel/functions/recycle.js";
import { runOver } from "../../kernel/functions/time.js";
import type { KState } from "../../kernel/net/state.js";
import type { Actor, ActorKind } from "../actor.js";

export const reaper: ActorKind = {
  labels: { gc_worker: "gc_worker", death_by_timeout: "death_by_timeout" },
  what: "the reaper of a timed scenario: v4.6's timers, or the gc worker from v4.9",
  make({ sc, k, quiet }) {
    const timers = !k.nf_ct_gc_expired;
    const reapStep = k.gc_worker ?? (timers ? k.death_by_timeout : undefined);
    if (!sc.timed || !reapStep) return [];
    const fn = k.gc_worker ? "gc_worker" : "death_by_timeout";
    /** What it may work on: the entry it is unlinking, else every one it may start on (none once the run is over). */
    const targets = (s: KState): number[] => {
      // In a `recycle` scenario the unlink waits for the entry's bucket locks.
      if (s.gc >= 0) return sc.recycle && lockedAgainst(s, s.gc) ? [] : [s.gc];
      if (s.gcHalf >= 0) return [s.gcHalf];
      if (s.gcReader >= 0) return [s.gcSaw];
      return runOver(s) ? [] : reapable(quiet, s);
    };
    const target = (s: KState, choice: number): number => {
      const id = targets(s)[choice];
      if (id === undefined) throw new Error(`the reaper has no step ${choice} to take`);
      return id;
    };
    const actor: Actor = {
      name: k.gc_worker ? "gc" : "timer",
      maxMoves: sc.packets.length + 1,
      moves: (s) => targets(s).length,
      move: (s, choice) => ({ packet: target(s, choice), kind: "reap", function: fn }),
      step: (ctx, st, choice) => reapStep(ctx, st, target(st, choice)),
    };
    return [actor];
  },
};
