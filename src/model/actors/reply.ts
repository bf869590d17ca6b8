/**
 * The reply path: the answer to an accepted query reaches the node, and an idle CPU (its query's) takes it
 * in softirq as one step: nf_conntrack_in's lookup of the answer's tuple, the protocol's tracker, nf_nat_packet
 * back (kernel/functions/reply.ts). A scenario has replies when its queries are answered (`replies`); a reply is
 * work the CPU actor (cpu.ts) picks up, after its next query, in packet order.
 */
import type { Ctx } from "../../kernel/kernel.js";
import { Reply, type KState } from "../../kernel/net/state.js";
import type { Move } from "../actor.js";
import type { StepNote } from "../../kernel/note.js";

/** Has packet `p`'s answer reached the node, waiting for its CPU? */
export const replyWaiting = (s: KState, p: number): boolean => s.pkts[p]!.reply === Reply.PENDING;

/** The kernel function of the step traces call "reply". */
export const REPLY_LABELS = { reply: "nf_conntrack_in_reply" } as const;

/** The move of delivering packet `p`'s answer. The kernel function is nf_conntrack_in_reply (inside nf_conntrack_in);
 * traces have always called the step "reply". */
export const replyMove = (p: number): Move => ({ packet: p, kind: "reply", function: "reply" });

/** The step: the kernel's nf_conntrack_in_reply, which a patch may override. */
export const deliverReply = (ctx: Ctx, st: KState, p: number): StepNote => ctx.k.nf_conntrack_in_reply(ctx, st, p);
