/**
 * A kernel variant is a set of behaviours at the points where the versions
 * differ. The base (v4.6) defines all of them; each patch overrides a few,
 * usually by wrapping the behaviour it was applied on (patches/).
 */
import type { Conn } from "./conn.js";
import type { CpuStats, KState } from "./state.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Tuple } from "./tuple.js";

/** What nf_ct_resolve_clash decided for the loser of a confirm race. */
export type ClashOutcome = "merge" | "drop";

export interface Ctx {
  readonly sc: Scenario;
  readonly k: Kernel;
}

export interface KernelBehaviour {
  /** nf_conntrack_tuple_taken: does confirmed entry `other` hold a tuple that
   * NAT wants for `self`? (called only when a tuple of `other` equals it) */
  takenBy(self: Conn, other: Conn): boolean;
  /** nf_nat_l4proto_unique_tuple: the source port to use once `t`'s is taken. */
  uniqueSourcePort(ctx: Ctx, st: KState, self: number, t: Tuple, used: (t: Tuple) => boolean): number;
  /** nf_ct_resolve_clash: `loser` (packet/entry index) found `winner` at confirm. May count. */
  resolveClash(ctx: Ctx, st: KState, loser: number, winner: number): ClashOutcome;
  /** The test inside nf_ct_resolve_clash (v4.7+): may the loser go on with the winner's entry? */
  clashMergeable(winner: Conn, loser: Conn): boolean;
  /** What __nf_conntrack_confirm itself counts after a clash. */
  confirmClashStats(stats: CpuStats, outcome: ClashOutcome): void;
}

export interface Kernel extends KernelBehaviour {
  /** The name asked for, e.g. "v4.19" or "v4.18+1032812". */
  readonly name: string;
  /** The base and every patch applied, in order: ["v4.6", "71d8c47fc653", ...]. */
  readonly parts: readonly string[];
}
