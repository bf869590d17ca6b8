/**
 * The control plane of a scenario's `control` (docs/scenarios.md): user space changing the rules and the table while
 * packets flow. Its program runs in the scenario's order, each step when the search picks it, between any two packet
 * steps: a rule change (the DNAT rule's endpoint set, one atomic ruleset swap: KState.rules); `conntrack -D` with a
 * filter (a dump that takes the matching linked entries, then one delete each, nf_ct_delete's two parts); `conntrack
 * -F` (the iteration's walk, then one delete each); a helper unregistered (its stages per release). A resync repeats
 * the deletes once the program is done, whenever the table differs from what their last run left. Its state:
 * KState.ctl, ctlPhase, rules and the masks (walk, walked, flushed, late, synced); kernel/functions/nf_ct_iterate.ts
 * holds what each step does to the table.
 */
import type { Ctx } from "../../kernel/kernel.js";
import { Fate, Pc, type KState } from "../../kernel/net/state.js";
import { ctnetlink_dump_table, deleteVisit, flushUnconfirmed, helperRemovalStage, inRcuSection, iterateMask, linkedMask, removalStages, TIMEOUT_STAGES, timeoutRemovalStage } from "../../kernel/functions/nf_ct_iterate.js";
import type { ControlOp } from "../../scenario/scenario.js";
import type { StepNote } from "../../kernel/note.js";
import type { Actor, ActorKind, Move } from "../actor.js";

/** The lowest entry of a mask. */
const lowest = (m: number): number => 31 - Math.clz32(m & -m);

export const control: ActorKind = {
  labels: { nf_ct_delete: "nf_ct_delete", get_next_corpse: "get_next_corpse", nf_ct_iterate_destroy: "unconfirmedDyingOnDestroy", nf_ct_ext_bump_genid: "extGenid", nf_ct_untimeout: "get_next_corpse", ctnl_timeout_try_del: "timeoutRefcounted" },
  what: "the control plane of a scenario's `control`: rule changes, `conntrack -D` by filter, `conntrack -F`, a helper unregistered, a timeout policy removed",
  make({ sc, quiet }) {
    const prog = sc.control;
    if (prog.length === 0) return [];
    const n = prog.length;
    const deletes = prog.flatMap((op, i) => (op.kind === "delete" ? [i] : []));
    const stages = removalStages(quiet);
    /** The step at `ctl`: the program's, or past its end a resync run's delete; undefined when idle. */
    const opAt = (ctl: number): ControlOp | undefined => (ctl < n ? prog[ctl] : ctl > n ? prog[deletes[ctl - n - 1]!] : undefined);
    /** Whether it may move now. */
    const enabled = (s: KState): boolean => {
      const op = opAt(s.ctl);
      // Idle: a resync runs again once the table differs from what the last run left.
      if (!op) return sc.resync && linkedMask(s) !== s.synced;
      // synchronize_net waits for every packet inside its softirq pass (docs/kernel.md, "A helper removed").
      if (op.kind === "remove-helper" && stages[s.ctlPhase] === "synchronize_net") return !s.pkts.some((_, p) => inRcuSection(s, p));
      return true;
    };
    /** After the step at st.ctl is done: the next one, or idle; `late` records the packets yet to start. With a resync
     * it is recorded again after each run: "once the control plane is done" is after its last run
     * (docs/kernel.md, "The control plane"). */
    const finish = (st: KState): void => {
      st.ctlPhase = 0;
      st.walk = 0;
      st.ctl = st.ctl === n + deletes.length ? n : st.ctl + 1;
      if (st.ctl !== n) return;
      let late = 0;
      for (let p = 0; p < st.pkts.length; p++) if (st.pkts[p]!.pc === Pc.LOOKUP && st.pkts[p]!.fate === Fate.PENDING) late |= 1 << p;
      st.late = late;
    };
    /** A walk's first step: what it will visit. */
    const startWalk = (ctx: Ctx, st: KState, op: ControlOp & { kind: "delete" | "flush" }): StepNote => {
      const linked = linkedMask(st);
      let note: StepNote;
      if (op.kind === "delete") {
        st.walk = ctnetlink_dump_table(ctx, st, op.filter);
        st.walked |= linked;
        st.synced = linked;
        note = ctx.explain ? { kind: "dump", listed: maskIds(st.walk), hidden: maskIds(linked & ~st.walk & replyOnlyMask(st)) } : "";
      } else {
        st.walk = iterateMask(ctx, st);
        st.flushed = linked;
        const marked = flushUnconfirmed(ctx, st);
        note = ctx.explain ? { kind: "flush-walk", reached: maskIds(st.walk), missed: maskIds(linked & ~st.walk), unconfirmed: marked } : "";
      }
      if (st.walk === 0) finish(st);
      else st.ctlPhase = 1;
      return note;
    };
    const step = (ctx: Ctx, st: KState): StepNote => {
      const op = opAt(st.ctl);
      if (!op) {
        // A resync run: its first delete starts now.
        st.ctl = n + 1;
        return startWalk(ctx, st, opAt(st.ctl) as ControlOp & { kind: "delete" });
      }
      switch (op.kind) {
        case "endpoints":
          st.rules = op.set;
          finish(st);
          return ctx.explain ? { kind: "rules", set: op.set } : "";
        case "delete":
        case "flush": {
          if (st.ctlPhase === 0) return startWalk(ctx, st, op);
          const id = lowest(st.walk);
          const r = deleteVisit(ctx, st, id, op.kind === "delete");
          st.walk &= ~(1 << id);
          if (r.holds >= 0) st.walk |= 1 << r.holds;
          // What the reconciler deleted is no change for its resync: the table as its run leaves it.
          else if (op.kind === "delete") st.synced &= linkedMask(st);
          if (st.walk === 0) finish(st);
          return r.note;
        }
        case "remove-helper": {
          const note = helperRemovalStage(ctx, st, stages[st.ctlPhase]!);
          if (++st.ctlPhase === stages.length) finish(st);
          return note;
        }
        case "remove-timeout-policy": {
          const note = timeoutRemovalStage(ctx, st, TIMEOUT_STAGES[st.ctlPhase]!);
          if (++st.ctlPhase === TIMEOUT_STAGES.length) finish(st);
          return note;
        }
        default: {
          const never: never = op;
          throw new Error(`unknown control step ${JSON.stringify(never)}`);
        }
      }
    };
    const move = (s: KState): Move => {
      const op = opAt(s.ctl);
      if (!op) return { packet: -1, kind: "resync", function: "ctnetlink_dump_table" };
      switch (op.kind) {
        case "endpoints":
          return { packet: -1, kind: "rules", function: "iptables-restore" };
        case "delete":
          return s.ctlPhase === 0 ? { packet: -1, kind: "dump", function: "ctnetlink_dump_table" } : { packet: lowest(s.walk), kind: "delete", function: "nf_ct_delete" };
        case "flush":
          return s.ctlPhase === 0 ? { packet: -1, kind: "flush", function: "get_next_corpse" } : { packet: lowest(s.walk), kind: "flush-delete", function: "nf_ct_delete" };
        case "remove-helper": {
          const stage = stages[s.ctlPhase]!;
          return { packet: -1, kind: "helper", function: stage === "unconfirmed-destroy" ? "nf_ct_iterate_destroy" : stage === "bump-genid" ? "nf_ct_ext_bump_genid" : stage === "synchronize_net" ? "synchronize_net" : "nf_ct_iterate_cleanup" };
        }
        case "remove-timeout-policy": {
          const stage = TIMEOUT_STAGES[s.ctlPhase]!;
          return { packet: -1, kind: "timeout", function: stage === "rule-removed" ? "iptables-restore" : stage === "untimeout" ? "nf_ct_untimeout" : "ctnl_timeout_try_del" };
        }
        default: {
          const never: never = op;
          throw new Error(`unknown control step ${JSON.stringify(never)}`);
        }
      }
    };
    const actor: Actor = {
      name: "control",
      maxMoves: 1,
      moves: (s) => (enabled(s) ? 1 : 0),
      move: (s) => move(s),
      step: (ctx, st) => step(ctx, st),
    };
    return [actor];
  },
};

/** The entries of a mask, in order. */
function maskIds(m: number): number[] {
  const out: number[] = [];
  for (let v = m; v !== 0; v &= v - 1) out.push(lowest(v));
  return out;
}

/** The entries linked by their REPLY node alone (NAT_CLASH), as a mask. */
function replyOnlyMask(st: KState): number {
  let m = 0;
  for (const id of st.table) if (st.pkts[id]!.replyOnly) m |= 1 << id;
  return m;
}
