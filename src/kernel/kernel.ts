/**
 * A kernel variant is a set of behaviours at the points where the versions
 * differ. The base (v4.6) defines all of them; each patch overrides a few,
 * usually by wrapping the behaviour it was applied on (patches/).
 */
import type { Conn } from "./conn.js";
import type { CpuStats, KState } from "./state.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Tuple } from "./tuple.js";

/** A --to-ports range (NF_NAT_RANGE_PROTO_SPECIFIED). */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** What nf_ct_resolve_clash decided for the loser of a confirm race. */
export type Resolution =
  /** The packet continues with entry `into`; the loser's entry is freed. */
  | { readonly kind: "merge"; readonly into: number }
  /** v5.6+: the loser is linked as a NAT_CLASH entry, by its REPLY node only. */
  | { readonly kind: "insert" }
  | { readonly kind: "drop" };

export interface Ctx {
  /** The scenario being checked (frozen): packets, addresses, NAT rules. */
  readonly sc: Scenario;
  /** The kernel as finally assembled, every patch applied: call other functions through it. */
  readonly k: Kernel;
  /** Whether steps word what they did (for traces); the search runs without. */
  readonly explain: boolean;
}

/** Which manip nf_nat_setup_info sets up: S3 the destination (DNAT or its null
 * binding), S4 the source (MASQUERADE or its null binding). */
export type Manip = "DST" | "SRC";

/**
 * Every kernel function the model runs, under its kernel name, and the points
 * inside them where versions differ. The base (v4.6) defines all; a patch
 * overrides some, by wrapping or replacing the function the real patch changed.
 * Steps return their note for traces (empty when `ctx.explain` is false).
 */
export interface KernelBehaviour {
  /** S1, from resolve_normal_ct: a confirmed entry holding packet `p`'s tuple, either direction (a hit accepts the packet). */
  __nf_conntrack_find_get(ctx: Ctx, st: KState, p: number): string;
  /** S2: a private, unconfirmed entry for packet `p`: ORIGINAL its tuple, REPLY the inverse. */
  init_conntrack(ctx: Ctx, st: KState, p: number): string;
  /** S3 (DST) and S4 (SRC). `choice` is the step's choice: the DNAT endpoint, or the --random-fully offset. */
  nf_nat_setup_info(ctx: Ctx, st: KState, p: number, manip: Manip, choice: number): string;
  /** Would `t` (ORIGINAL direction) give packet `self`'s entry a REPLY tuple another entry holds? */
  nf_nat_used_tuple(ctx: Ctx, st: KState, self: number, t: Tuple): boolean;
  /** The lockless walk of `reply`'s bucket: the holder that counts (see takenBy), or -1. */
  nf_conntrack_tuple_taken(ctx: Ctx, st: KState, reply: Tuple, ignored: number): number;
  /** S5: link packet `p`'s entry, or on a clash let nf_ct_resolve_clash (resolveClash) decide. */
  __nf_conntrack_confirm(ctx: Ctx, st: KState, p: number): string;
  /** The answer to packet `p`'s query, in one step: resolve_normal_ct's lookup of the tuple the
   * endpoint answered to, the tracker (nf_conntrack_udp_packet: udpReply), nf_nat_packet back. */
  nf_conntrack_in_reply(ctx: Ctx, st: KState, p: number): string;
  /** `conntrack -D` of entry `id`, one ctnetlink step per call: the scenario's `deletes` name the
   * entries; the deleter may step on one while it is linked in the table (its `ct` is set). The
   * base's first call (DYING clear) sets DYING and leaves it linked; the next (DYING set) unlinks it
   * (hashRemove). A patch may do both at once: the entry is then no longer linked and not called again. */
    nf_ct_delete(ctx: Ctx, st: KState, id: number): string;

  // The points inside those functions where the releases differ.
  /** nf_conntrack_tuple_taken: does confirmed entry `other` hold a tuple that
   * NAT wants for `self`? (called only when a tuple of `other` equals it) */
  takenBy(self: Conn, other: Conn, zone?: import("./zone.js").Zone, otherZone?: import("./zone.js").Zone): boolean;
  /** nf_nat_l4proto_unique_tuple: the source port to use once `t`'s is taken.
   * `random` is the random offset when the range asks for one (--random-fully). */
  uniqueSourcePort(st: KState, t: Tuple, range: PortRange | undefined, random: number | undefined, used: (t: Tuple) => boolean): number;
  /** nf_ct_resolve_clash: `loser` (packet/entry index) found `winner` at confirm. May count. */
  resolveClash(ctx: Ctx, st: KState, loser: number, winner: number): Resolution;
  /** The test inside nf_ct_resolve_clash (v4.7+): may the loser go on with the winner's entry? */
  clashMergeable(winner: Conn, loser: Conn, winnerZone?: import("./zone.js").Zone, loserZone?: import("./zone.js").Zone): boolean;
  /** nf_ct_resolve_clash's test of the winner itself (not dying, a reference can be taken). */
  clashWinnerUsable(winner: Conn): boolean;
  /** What nf_ct_resolve_clash counts for a resolved clash (v5.6+ counts there, not in confirm). */
  countResolved(stats: CpuStats, how: "merge" | "insert"): void;
  /** What __nf_conntrack_confirm itself counts after a clash. */
  confirmClashStats(stats: CpuStats, r: Resolution): void;
  /** nf_conntrack_udp_packet on a reply that matched entry `id` (v5.6-5.8 delete NAT_CLASH entries here). */
  udpReply(st: KState, id: number): string | undefined;
}

export interface Kernel extends KernelBehaviour {
  /** The name asked for, e.g. "v4.19" or "v4.18+1032812". */
  readonly name: string;
  /** The base and every patch applied, in order: ["v4.6", "71d8c47fc653", ...]. */
  readonly parts: readonly string[];
  /** How another thread builds the same kernel: its name and the files of the
   * users' patches in it. Absent when a patch came from neither (a test's mutant). */
  readonly rebuild?: { readonly name: string; readonly patchFiles: readonly string[] };
}
