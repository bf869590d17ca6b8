/**
 * A kernel variant is a set of behaviours at the points where the versions
 * differ. The base (v4.6) defines all of them; each patch overrides a few,
 * usually by wrapping the behaviour it was applied on (patches/).
 */
import type { Conn } from "./net/conn.js";
import type { CpuStats, KState } from "./net/state.js";
import type { Protocol, Scenario } from "../scenario/scenario.js";
import type { Tuple } from "./net/tuple.js";
import type { Dir } from "./net/table.js";
import type { Zone } from "./net/zone.js";
import type { StepNote, TrackerNote } from "./note.js";

export type { Note, StepNote, TrackerNote } from "./note.js";

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

/** A NAT range as nf_nat_setup_info is given it (struct nf_nat_range2 with one
 * address): a DNAT rule's endpoint, MASQUERADE's address, or a null binding's
 * current address (nf_nat_alloc_null_binding: no ports). */
export interface NatRange {
  /** The range's one address (min_addr == max_addr), a scenario address index. */
  readonly addr: number;
  /** NF_NAT_RANGE_PROTO_SPECIFIED: the port range; undefined when the range names no ports. */
  readonly ports: PortRange | undefined;
  /** NF_NAT_RANGE_PROTO_RANDOM_FULLY. */
  readonly randomFully: boolean;
}

/** Which manip nf_nat_setup_info sets up: S3 the destination (DNAT or its null
 * binding), S4 the source (MASQUERADE or its null binding). */
export type Manip = "DST" | "SRC";

/**
 * Every kernel function the model runs, under its kernel name, and the points
 * inside them where versions differ. The base (v4.6) defines all but the two
 * that 6a757c07e51f (v5.6) adds (marked optional); a patch overrides some, by wrapping or replacing the function the real patch changed.
 * Steps return their note for traces as data (a Note, src/kernel/note.ts, which report/ words), or a user's
 * one-line string; "" when `ctx.explain` is false: the search builds no note.
 */
export interface KernelBehaviour {
  /** S1, from resolve_normal_ct: a confirmed entry holding packet `p`'s tuple, either direction (a hit accepts the packet). */
  __nf_conntrack_find_get(ctx: Ctx, st: KState, p: number): StepNote;
  /** S2: a private, unconfirmed entry for packet `p`: ORIGINAL its tuple, REPLY the inverse, once
   * __nf_conntrack_alloc allowed it (else the packet is dropped for a full table). `choice` is the step's
   * choice: with a full table, which evictable entries early_drop meets (a bit mask over them). */
  init_conntrack(ctx: Ctx, st: KState, p: number, choice: number): StepNote;
  /** The count check of the allocation: true when packet `p`'s entry may be made; with a table at
   * nf_conntrack_max (a scenario's conntrack-max) only if early_drop evicted something. */
  __nf_conntrack_alloc(ctx: Ctx, st: KState, p: number, choice: number): boolean;
  /** Bit mask `choice` names what the chains early_drop walks hold (the hash's doing): bit k is the k-th
   * entry of st.table (oldest first) that is not DYING. v4.6 evicts the first of them that is not ASSURED,
   * walking newest first; early_drop_list (v4.9+) every such one. A replacement evicts an entry with
   * lib.hashRemove(st, id) (unlinked, DYING) and sets st.pkts[id].evicted, adds the number to
   * st.stats[ctx.sc.packets[p].cpu].earlyDrop, and returns it (checked against the entries it marked). */
  early_drop(ctx: Ctx, st: KState, p: number, choice: number): number;
  /** S3 (DST) and S4 (SRC): the rule's range (the DNAT endpoint `choice` picks, MASQUERADE, or a null binding),
   * get_unique_tuple, the REPLY tuple altered to match. `choice` is the step's choice: the DNAT endpoint, or the
   * --random-fully offset. */
  nf_nat_setup_info(ctx: Ctx, st: KState, p: number, manip: Manip, choice: number): StepNote;
  /** The ORIGINAL-direction tuple packet `p`'s entry is to have after `manip`: `orig` (its current one) if that is
   * in `range` and free, else a mapping find_appropriate_src reuses (SRC), else the range's address with the port
   * kept or searched for (nf_nat_l4proto_unique_tuple). `random` is the --random-fully offset. */
  get_unique_tuple(ctx: Ctx, st: KState, p: number, orig: Tuple, range: NatRange, manip: Manip, random: number): Tuple;
  /** The mapping of an entry in nf_nat_bysource with `orig`'s source and packet `p`'s ORIGINAL zone, as a tuple in
   * `range` (its source replaced, `orig`'s destination kept), or undefined. */
  find_appropriate_src(ctx: Ctx, st: KState, p: number, orig: Tuple, range: NatRange): Tuple | undefined;
  /** The port to use once `t`'s is taken (the source port for SRC; for DST the destination port, which a range
   * without ports keeps). `random` is the --random-fully offset, else undefined: the search starts at st.rover. */
  nf_nat_l4proto_unique_tuple(st: KState, t: Tuple, range: PortRange | undefined, random: number | undefined, used: (t: Tuple) => boolean, manip: Manip): number;
  /** Would `t` (ORIGINAL direction) give packet `self`'s entry a REPLY tuple another entry holds? */
  nf_nat_used_tuple(ctx: Ctx, st: KState, self: number, t: Tuple): boolean;
  /** v6.12+ (d8f84a9bc7c4; absent before): nf_nat_used_tuple for a SRC manip's current tuple `t` (get_unique_tuple's
   * first test), which calls it free when the holder is a reverse twin of `self`'s entry that confirm will merge. */
  nf_nat_used_tuple_new?(ctx: Ctx, st: KState, self: number, t: Tuple): boolean;
  /** The lockless walk of `reply`'s bucket: the holder that counts (see takenBy), or -1. */
  nf_conntrack_tuple_taken(ctx: Ctx, st: KState, reply: Tuple, ignored: number): number;
  /** S5: link packet `p`'s entry, or on a clash let nf_ct_resolve_clash decide. */
  __nf_conntrack_confirm(ctx: Ctx, st: KState, p: number): StepNote;
  /** `loser` (packet/entry index) found `winner` linked at confirm: merge, insert or drop. May count. */
  nf_ct_resolve_clash(ctx: Ctx, st: KState, loser: number, winner: number): Resolution;
  /** v5.6+ (6a757c07e51f adds it; absent before): the loser goes on with entry `into` ({ kind: "merge", into }) or
   * not ({ kind: "drop" }: NF_DROP, and nf_ct_resolve_clash tries harder). */
  __nf_ct_resolve_clash?(ctx: Ctx, st: KState, loser: number, into: number): Resolution;
  /** v5.6+ (6a757c07e51f; absent before): after a failed merge, an entry holding the loser's REPLY tuple is tried
   * the same way; if none, the loser is inserted by its REPLY node only, NAT_CLASH | FIXED_TIMEOUT. */
  nf_ct_resolve_clash_harder?(ctx: Ctx, st: KState, loser: number): Resolution;
  /** The answer to packet `p`'s query, in one step: resolve_normal_ct's lookup of the tuple the endpoint answered
   * to, the protocol's tracker on the entry it hit, nf_nat_packet back. */
  nf_conntrack_in_reply(ctx: Ctx, st: KState, p: number): StepNote;
  /** The UDP tracker on a packet that found entry `id` by its node of direction `dir`: a reply, or a query's S1
   * hit. A note for traces (a Note, or a one-line string; only under ctx.explain), or undefined. It refreshes and may set IPS_ASSURED (v4.6-v5.15: when SEEN_REPLY is
   * already set); v5.6-5.8 delete a NAT_CLASH entry on its first reply here. SEEN_REPLY is set after it returns,
   * and only in a scenario with conntrack-max (elsewhere nothing reads it, nor ASSURED). */
  nf_conntrack_udp_packet(ctx: Ctx, st: KState, id: number, dir: Dir): TrackerNote | undefined;
  /** The TCP tracker on a packet that found entry `id` (a reply: the SYN-ACK; or a query's S1 hit), by its node of
   * direction `dir`: as the UDP one. */
  nf_conntrack_tcp_packet(ctx: Ctx, st: KState, id: number, dir: Dir): TrackerNote | undefined;
  /** `conntrack -D` of entry `id`, one ctnetlink step per call: the scenario's `deletes` name the
   * entries; the deleter may step on one while it is linked in the table (its `ct` is set). The
   * base's first call (DYING clear) sets DYING and leaves it linked; the next (DYING set) unlinks it
   * (hashRemove). A patch may do both at once: the entry is then no longer linked and not called again. */
  nf_ct_delete(ctx: Ctx, st: KState, id: number): StepNote;
  /** The timeout part of __nf_ct_refresh_acct: entry `id`'s timeout becomes `extra` ms from now (a
   * duration while unconfirmed); none with IPS_FIXED_TIMEOUT. Only a timed scenario keeps time. */
  __nf_ct_refresh_acct(ctx: Ctx, st: KState, id: number, extra: number): void;
  /** Inside get_next_corpse, the walk of nf_ct_iterate_cleanup (`conntrack -F`, netns exit, module removal): does it
   * reach linked entry `id`? v4.6-v5.6 call the iterator for ORIGINAL nodes only, so an entry linked by its REPLY
   * node alone (a v5.6 NAT_CLASH entry) is never reached; 54ab49fde956 (v5.7) visits REPLY nodes, which every
   * linked entry has. */
  get_next_corpse(ctx: Ctx, st: KState, id: number): boolean;
  /** v4.6's per-entry timer, in a timed scenario: the reaper's step on expired entry `id` (the
   * first call sets DYING and leaves it linked, the next unlinks it). Kernels with gc_worker (v4.9+) have no timer. */
  death_by_timeout(ctx: Ctx, st: KState, id: number): StepNote;
  /** v4.9+ (f330a7fdbe16; absent before): may a reaper kill expired entry `id`? Expired, CONFIRMED, not DYING. */
  nf_ct_should_gc?(ctx: Ctx, st: KState, id: number): boolean;
  /** v4.9+ (f330a7fdbe16): a walker met expired entry `id`: if nf_ct_should_gc, set DYING and return true
   * (the caller then unlinks it; S1's lookup and the gc worker do so in their next step). */
  nf_ct_gc_expired?(ctx: Ctx, st: KState, id: number): boolean;
  /** v4.9+ (b87a2f9199ea): the gc worker's step on expired entry `id` (nf_ct_gc_expired, then the unlink next step). */
  gc_worker?(ctx: Ctx, st: KState, id: number): StepNote;

  /** The confirm hooks' inline wrapper (ipv4_confirm, nf_confirm) on packet `p`, where packets are queued or copied: its
   * test of CONFIRMED (a step), then __nf_conntrack_confirm and the cached events (the next step). */
  nf_conntrack_confirm(ctx: Ctx, st: KState, p: number): StepNote;
  /** Packet `p` meets the scenario's NFQUEUE rule: it leaves softirq for the queue (a GSO packet segmented first,
   * without F_GSO), or is dropped there. */
  nfqnl_enqueue_packet(ctx: Ctx, st: KState, p: number): StepNote;
  /** The queue program's verdict on queued packet `p`: NF_DROP, or NF_ACCEPT and the update hook; the rest of the
   * path (S4, confirm) follows as steps of the program's thread. */
  nf_reinject(ctx: Ctx, st: KState, p: number, verdict: "accept" | "drop"): StepNote;
  /** ctnetlink's timeout change (CTA_TIMEOUT, here through the queue's NFQA_CT glue) on entry `id`: `ms` from now. */
  ctnetlink_change_timeout(ctx: Ctx, st: KState, id: number, ms: number): void;
  /** v4.18+ (368982cd7d1b; absent before): nf_ct_hook->update at reinject, on packet `p`. */
  nf_conntrack_update?(ctx: Ctx, st: KState, p: number): StepNote;
  /** A `promisc` bridged frame `p` is forwarded: its copies made (deliver_clone), before it goes up. */
  br_forward(ctx: Ctx, st: KState, p: number): StepNote;
  /** A bridged frame `p` goes up through br0: the bridge's LOCAL_IN hook and the copies made after it. */
  br_pass_frame_up(ctx: Ctx, st: KState, p: number): StepNote;
  /** v6.8+ (62e7151ae3eb; absent before): the bridge's LOCAL_IN hook on frame `p`, which confirms its entry. */
  br_nf_local_in?(ctx: Ctx, st: KState, p: number): StepNote;

  // Points inside those functions where the releases differ, which no kernel function of their own holds.
  /** Inside nf_conntrack_tuple_taken: does confirmed entry `other` hold a tuple that
   * NAT wants for `self`? (called only when a tuple of `other` equals it) */
  takenBy(self: Conn, other: Conn, zone?: Zone, otherZone?: Zone): boolean;
  /** The test inside nf_ct_resolve_clash (v4.7+; __nf_ct_resolve_clash from v5.6): may the loser go on with the winner's entry? */
  clashMergeable(winner: Conn, loser: Conn, winnerZone?: Zone, loserZone?: Zone): boolean;
  /** nf_ct_resolve_clash's test of the winner itself (not dying, a reference can be taken). */
  clashWinnerUsable(winner: Conn): boolean;
  /** The tracker's allow_clash (struct nf_conntrack_l4proto), which nf_ct_resolve_clash tests first and
   * nf_nat_used_tuple_new (v6.12+) reads: may a clash of protocol `proto` be resolved at all? */
  allow_clash(proto: Protocol): boolean;
  /** What nf_ct_resolve_clash counts for a resolved clash (v5.6+ counts there, not in confirm). */
  countResolved(stats: CpuStats, how: "merge" | "insert"): void;
  /** What __nf_conntrack_confirm itself counts after a clash. */
  confirmClashStats(stats: CpuStats, r: Resolution): void;
  /** Inside __nf_conntrack_confirm: is IPS_CONFIRMED set when the bucket locks are taken, before the DYING test,
   * the chain walks and the clash handling (1397af5bfd7d, v5.19-v6.15), rather than with the insert? Read in a
   * `recycle` scenario only, where confirm is two steps another CPU can come between. */
  confirmedAtLock(): boolean;
  /** Inside nf_ct_should_gc: does it test CONFIRMED first, then expired and !DYING (2d72afb34065, v6.16), rather than
   * expired first, then CONFIRMED and !DYING? A `recycle` scenario reads it in two steps, a reference held between. */
  shouldGcConfirmedFirst(): boolean;
  /** Inside ____nf_conntrack_find and __nf_conntrack_find_get: does the lockless lookup pass over DYING entries, refuse a
   * DYING candidate, and walk again when the candidate was recycled (v4.6-v5.2), rather than take any matching
   * entry it can reference and miss on a recycled one (87e389b4c200, v5.3)? S1, the reply's lookup and the
   * lockless walk of a `recycle` scenario read it. */
  lookupSkipsDying(): boolean;
  /** Inside nf_ct_iterate_destroy, which a helper's unregistration calls from 2843fb69980b (v4.13): are the entries on
   * the per-CPU unconfirmed lists marked DYING (__nf_ct_unconfirmed_destroy), so that confirm drops them? Until
   * v5.18; v4.6-v4.12 cleared their helper pointer instead. */
  unconfirmedDyingOnDestroy(): boolean;
  /** Does a helper's removal bump the extension genid after synchronize_net (nf_ct_ext_bump_genid), so that confirm
   * drops an unconfirmed entry stamped before (nf_ct_ext_valid_pre)? c56716c69ce1 (v5.19) to its revert 35e21a4dccc5 (v7.2). */
  extGenid(): boolean;
  /** Inside ctnl_timeout_try_del: does an entry's timeout extension hold a reference on its policy, so that deleting
   * the policy frees it only once no entry refers to it (7d6a9cdb8d3a, v7.2)? Before, the policy is freed once no
   * rule uses it, after nf_ct_untimeout cleared the linked entries' pointers: an unconfirmed entry keeps its own. */
  timeoutRefcounted(): boolean;
  /** Inside get_next_corpse and ctnl_untimeout (v4.6-v4.12): do the table walks also walk the per-CPU unconfirmed
   * lists, so that a flush marks the unconfirmed entries DYING (confirm then drops them) and a timeout policy's
   * deletion clears their pointer too? v4.13 ("don't call iter for non-confirmed conntracks") stopped that. */
  iterateUnconfirmed(): boolean;
  /** Inside nfqnl_enqueue_packet: where is an unconfirmed entry with more than one reference refused? "none" (to
   * v6.10), "segments" (each segment, 7d8dc1c7be8d, v6.11), "aggregate" (the packet before segmentation, and later
   * segments again at reinject: 207b3ebacb61, v7.0). */
  nfqueueSharedCheck(): "none" | "segments" | "aggregate";
  /** Inside br_nf_local_in: does it assert, after confirm, that the entry it read before is CONFIRMED (62e7151ae3eb,
   * v6.8, until 479a54ab9208, v6.17)? */
  brLocalInAsserts(): boolean;
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
