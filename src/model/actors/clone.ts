/**
 * A clone of a bridged frame (a packet's `clones`), on a lane of its own: the copy a macvlan's broadcast worker sends
 * out of a lower device, or the copy the bridge forwards out of a port, each on its own CPU. Once made it goes on to
 * the confirm of its way out (POSTROUTING), sharing the frame's entry.
 */
import { Fate, Pc, type KState } from "../../kernel/net/state.js";
import type { Actor, ActorEnv, ActorKind } from "../actor.js";
import { LATER_FUNCTION, laterOf, laterStep } from "./path.js";

function cloneActor(env: ActorEnv, q: number): Actor {
  const { sc, features } = env;
  const ready = (s: KState): boolean => s.pkts[q]!.pc !== Pc.LOOKUP && s.pkts[q]!.fate === Fate.PENDING;
  return {
    name: sc.packets[q]!.name,
    maxMoves: 1,
    moves: (s) => (ready(s) ? 1 : 0),
    move: (s) => ({ packet: q, kind: "clone", function: LATER_FUNCTION[laterOf(sc, features.skbs, s, q)] }),
    step: (ctx, st) => laterStep(ctx, st, q, laterOf(sc, features.skbs, st, q), 0),
  };
}

export const clones: ActorKind = {
  labels: {},
  what: "a clone of a bridged frame, one per entry of a packet's `clones`: its confirm on the way out, on its own CPU",
  make: (env) => env.sc.packets.flatMap((p, i) => (p.copy === "clone" ? [cloneActor(env, i)] : [])),
};
