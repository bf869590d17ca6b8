/**
 * The steps of a query after S3, on whichever actor runs them: the CPU that took it, a thread of the queue program
 * that reinjected it (nfqueue.ts), or a clone's own lane (clone.ts). Where the scenario queues queries, the NFQUEUE
 * rule comes first (the packet leaves the CPU there); a bridged frame goes up through br0 before its confirm; S4;
 * then confirm, which is two steps where packets are queued or copied (the wrapper's test, then
 * __nf_conntrack_confirm: another skb of the same entry can come between).
 */
import type { Ctx } from "../../kernel/kernel.js";
import { Nfq, Pc, type KState } from "../../kernel/net/state.js";
import type { Scenario } from "../../scenario/scenario.js";
import type { StepNote } from "../../kernel/note.js";
import { skbEntry } from "../../kernel/net/skb.js";

export const Later = { ENQUEUE: 0, PASS_UP: 1, SNAT: 2, CONFIRM_TEST: 3, CONFIRM: 4, FORWARD: 5 } as const;
export type Later = (typeof Later)[keyof typeof Later];

/** The kernel function of each, as traces name it. */
export const LATER_FUNCTION: Readonly<Record<Later, string>> = {
  [Later.ENQUEUE]: "nfqnl_enqueue_packet",
  [Later.PASS_UP]: "br_pass_frame_up",
  [Later.SNAT]: "nf_nat_setup_info(SRC)",
  [Later.CONFIRM_TEST]: "nf_conntrack_confirm",
  [Later.CONFIRM]: "__nf_conntrack_confirm",
  [Later.FORWARD]: "br_forward",
};

/** Packet `p`'s next step, at S4 or confirm (pc SNAT or CONFIRM); `skbs`: the scenario queues or copies packets. */
export function laterOf(sc: Scenario, skbs: boolean, s: KState, p: number): Later {
  const q = s.pkts[p]!;
  const spec = sc.packets[p]!;
  if (sc.nfqueue && spec.cloneOf === undefined && q.nfq === Nfq.NONE) return Later.ENQUEUE;
  if (q.pc === Pc.SNAT) return Later.SNAT;
  if (spec.bridge !== undefined && spec.cloneOf === undefined && !q.passedUp) {
    // A promisc frame's copies are forwarded first (made once: a copy made is no longer at LOOKUP).
    const first = spec.bridge === "promisc" ? sc.packets.findIndex((c) => c.cloneOf === p && c.copy === "clone") : -1;
    return first >= 0 && s.pkts[first]!.pc === Pc.LOOKUP ? Later.FORWARD : Later.PASS_UP;
  }
  return skbs && !q.entered ? Later.CONFIRM_TEST : Later.CONFIRM;
}

/** After the confirm of packet `p`, whose queue verdict set its entry's timeout (nfqueue.timeout): if the step linked
 * entry `e`, is its lifetime from now the timeout set? (What property timeout-as-set reads: PacketState.lifetimeOff.) */
function lifetimeAsSet(ctx: Ctx, st: KState, p: number, e: number): void {
  if (e < 0 || skbEntry(st, p) !== e || !st.table.includes(e)) return;
  if (st.pkts[e]!.ct!.timeout - st.now !== ctx.sc.nfqueue!.timeout) st.pkts[p]!.lifetimeOff = true;
}

/** Takes that step: the kernel's function for it (ctx.k.<name>, which patches override). `choice`: S4's --random-fully offset. */
export function laterStep(ctx: Ctx, st: KState, p: number, later: Later, choice: number): StepNote {
  const k = ctx.k;
  switch (later) {
    case Later.ENQUEUE:
      return k.nfqnl_enqueue_packet(ctx, st, p);
    case Later.FORWARD:
      return k.br_forward(ctx, st, p);
    case Later.PASS_UP:
      return k.br_pass_frame_up(ctx, st, p);
    case Later.SNAT:
      return k.nf_nat_setup_info(ctx, st, p, "SRC", choice);
    case Later.CONFIRM_TEST:
      return k.nf_conntrack_confirm(ctx, st, p);
    case Later.CONFIRM: {
      // With queued or copied packets, the wrapper's second step runs __nf_conntrack_confirm; elsewhere the CPU calls
      // it itself, as it always has (a `recycle` scenario's confirm is three steps: nf_conntrack_confirm.ts).
      const e = skbEntry(st, p);
      const note = st.pkts[p]!.entered ? k.nf_conntrack_confirm(ctx, st, p) : k.__nf_conntrack_confirm(ctx, st, p);
      if (st.pkts[p]!.timeoutSet) lifetimeAsSet(ctx, st, p, e);
      return note;
    }
    default: {
      const never: never = later;
      throw new Error(`unknown step ${String(never)}`);
    }
  }
}
