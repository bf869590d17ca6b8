/**
 * The conntrack model as the engine sees it: one actor per CPU, each running
 * its packets one after the other through S1..S5; the DNAT step of a random
 * rule is a choice among the endpoints.
 */
import { match } from "ts-pattern";
import type { Action, Model } from "../engine/model.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Ctx, Kernel } from "./kernel.js";
import { cloneState, encodedWords, encodeState, initialState, Pc, type KState } from "./state.js";
import { init_conntrack, nf_conntrack_find_get } from "./steps/resolve_normal_ct.js";
import { dnatChoices, nf_nat_setup_info_dst, nf_nat_setup_info_src } from "./steps/nf_nat_core.js";
import { nf_conntrack_confirm } from "./steps/nf_conntrack_confirm.js";

/** The kernel function each step models, for traces. */
export function stepFunction(pc: Pc): string {
  return match(pc)
    .with(Pc.LOOKUP, () => "__nf_conntrack_find_get")
    .with(Pc.ALLOC, () => "init_conntrack")
    .with(Pc.DNAT, () => "nf_nat_setup_info(DST)")
    .with(Pc.SNAT, () => "nf_nat_setup_info(SRC)")
    .with(Pc.CONFIRM, () => "__nf_conntrack_confirm")
    .with(Pc.DONE, () => "(done)")
    .exhaustive();
}

export interface ConntrackModel extends Model<KState> {
  readonly ctx: Ctx;
  /** The packet an action moves. */
  packetOf(s: KState, a: Action): number;
  /** Applies `a` to `draft` in place and returns the step's note. The search
   * runs it on a copy; traces run it under immer to get the exact diff. */
  apply(draft: KState, a: Action): string;
}

export function conntrackModel(sc: Scenario, k: Kernel): ConntrackModel {
  const ctx: Ctx = { sc, k };
  const byCpu: number[][] = Array.from({ length: sc.cpus }, () => []);
  sc.packets.forEach((p, i) => byCpu[p.cpu]!.push(i));
  const actorNames = Array.from({ length: sc.cpus }, (_, c) => `cpu${c}`);

  /** The packet CPU `cpu` is working on: its first one not done (softirq runs them in turn). */
  const current = (s: KState, cpu: number): number => {
    for (const p of byCpu[cpu]!) if (s.pkts[p]!.pc !== Pc.DONE) return p;
    return -1;
  };

  const apply = (st: KState, a: Action): string => {
    const p = current(st, a.actor);
    return match(st.pkts[p]!.pc)
      .with(Pc.LOOKUP, () => nf_conntrack_find_get(ctx, st, p))
      .with(Pc.ALLOC, () => init_conntrack(ctx, st, p))
      .with(Pc.DNAT, () => nf_nat_setup_info_dst(ctx, st, p, a.choice))
      .with(Pc.SNAT, () => nf_nat_setup_info_src(ctx, st, p))
      .with(Pc.CONFIRM, () => nf_conntrack_confirm(ctx, st, p))
      .with(Pc.DONE, () => {
        throw new Error(`cpu${a.actor} has no step to take`);
      })
      .exhaustive();
  };

  return {
    ctx,
    actorNames,
    encodedWords: encodedWords(sc.packets.length, sc.cpus),
    initialStates: () => [initialState(sc.packets.length, sc.cpus)],
    actions(s) {
      const out: Action[] = [];
      for (let cpu = 0; cpu < sc.cpus; cpu++) {
        const p = current(s, cpu);
        if (p < 0) continue;
        const n = s.pkts[p]!.pc === Pc.DNAT ? dnatChoices(ctx, s, p) : 1;
        for (let choice = 0; choice < n; choice++) out.push({ actor: cpu, choice });
      }
      return out;
    },
    next(s, a) {
      const t = cloneState(s);
      apply(t, a);
      return t;
    },
    encode: encodeState,
    describe(s, a) {
      const p = current(s, a.actor);
      return `${sc.packets[p]!.name}: ${stepFunction(s.pkts[p]!.pc)}`;
    },
    packetOf: (s, a) => current(s, a.actor),
    apply,
  };
}
