/**
 * The one table of the kernel functions the model runs (KernelBehaviour): for each, the kernel identifier it is
 * (or is a point inside), the commit that adds it where the base lacks it, and what a version of it returns.
 * Every list that names the functions is derived from this table: the functions a user's patch may override
 * and their order (user-patch/load.ts), the check of what each returns (user-patch/guards.ts), the "comes with"
 * advice for functions a release lacks, the source links of traces and the generated reference
 * (scripts/patch-api.ts, docs/patch-api.md). `satisfies` makes the compiler refuse a function missing here, or
 * one here that KernelBehaviour lacks.
 */
import type { KernelBehaviour } from "./kernel.js";

/** What a function returns, as user-patch/guards.ts checks it. */
export type Returns =
  /** A step: its note for traces, a Note (kernel/note.ts) or a one-line string. */
  | "note"
  /** true or false, from what the state holds (asked twice, alike). */
  | "boolean"
  /** nf_ct_gc_expired's boolean: whether it set DYING, so its caller unlinks. */
  | "killed"
  /** early_drop's count of the entries it evicted. */
  | "evictions"
  /** A tuple. */
  | "tuple"
  /** A tuple, or undefined for none. */
  | "tuple-or-none"
  /** A port 1 to 65535. */
  | "port"
  /** An entry index, or -1 for none. */
  | "entry-or-none"
  /** A clash Resolution. */
  | "resolution"
  /** A tracker's note (a Note or a one-line string), or undefined. */
  | "tracker-note"
  /** Nothing: it changes the state it is given. */
  | "nothing"
  /** A test of two entries (and their zones). */
  | "predicate2"
  /** A test of one entry. */
  | "predicate1"
  /** Nothing: it changes the counters it is given. */
  | "counters"
  /** A constant of the release. */
  | "constant";

export interface FunctionInfo {
  /** The kernel identifier to read it under: the function it is, or the function it is a point inside. */
  readonly kernel: string;
  /** The commit and release that add it, where the base (v4.6) has none: a patch on an older kernel cannot override it. */
  readonly addedBy?: { readonly commit: string; readonly release: string; readonly otherwise: string };
  readonly returns: Returns;
}

const V5_6 = { commit: "6a757c07e51f", release: "v5.6", otherwise: "require 6a757c07e51f, or override nf_ct_resolve_clash instead" } as const;
const V4_9_GC = (commit: string) => ({ commit, release: "v4.9", otherwise: "apply it on v4.18 or later, or override death_by_timeout (v4.6's timer) instead" }) as const;

/** In the order the reference lists them (and the supervisor numbers them). */
const TABLE = {
  __nf_conntrack_find_get: { kernel: "__nf_conntrack_find_get", returns: "note" },
  init_conntrack: { kernel: "init_conntrack", returns: "note" },
  __nf_conntrack_alloc: { kernel: "__nf_conntrack_alloc", returns: "boolean" },
  early_drop: { kernel: "early_drop", returns: "evictions" },
  nf_nat_setup_info: { kernel: "nf_nat_setup_info", returns: "note" },
  get_unique_tuple: { kernel: "get_unique_tuple", returns: "tuple" },
  find_appropriate_src: { kernel: "find_appropriate_src", returns: "tuple-or-none" },
  nf_nat_l4proto_unique_tuple: { kernel: "nf_nat_l4proto_unique_tuple", returns: "port" },
  nf_nat_used_tuple: { kernel: "nf_nat_used_tuple", returns: "boolean" },
  nf_nat_used_tuple_new: { kernel: "nf_nat_used_tuple_new", returns: "boolean", addedBy: { commit: "d8f84a9bc7c4", release: "v6.12", otherwise: "require d8f84a9bc7c4, or override nf_nat_used_tuple instead" } },
  nf_conntrack_tuple_taken: { kernel: "nf_conntrack_tuple_taken", returns: "entry-or-none" },
  __nf_conntrack_confirm: { kernel: "__nf_conntrack_confirm", returns: "note" },
  nf_ct_resolve_clash: { kernel: "nf_ct_resolve_clash", returns: "resolution" },
  __nf_ct_resolve_clash: { kernel: "__nf_ct_resolve_clash", returns: "resolution", addedBy: V5_6 },
  nf_ct_resolve_clash_harder: { kernel: "nf_ct_resolve_clash_harder", returns: "resolution", addedBy: V5_6 },
  nf_conntrack_in_reply: { kernel: "nf_conntrack_in", returns: "note" },
  nf_conntrack_udp_packet: { kernel: "nf_conntrack_udp_packet", returns: "tracker-note" },
  nf_conntrack_tcp_packet: { kernel: "nf_conntrack_tcp_packet", returns: "tracker-note" },
  nf_ct_delete: { kernel: "nf_ct_delete", returns: "note" },
  __nf_ct_refresh_acct: { kernel: "__nf_ct_refresh_acct", returns: "nothing" },
  get_next_corpse: { kernel: "get_next_corpse", returns: "boolean" },
  death_by_timeout: { kernel: "death_by_timeout", returns: "note" },
  nf_ct_should_gc: { kernel: "nf_ct_should_gc", returns: "boolean", addedBy: V4_9_GC("f330a7fdbe16") },
  nf_ct_gc_expired: { kernel: "nf_ct_gc_expired", returns: "killed", addedBy: V4_9_GC("f330a7fdbe16") },
  gc_worker: { kernel: "gc_worker", returns: "note", addedBy: V4_9_GC("b87a2f9199ea") },
  nf_conntrack_confirm: { kernel: "nf_conntrack_confirm", returns: "note" },
  nfqnl_enqueue_packet: { kernel: "nfqnl_enqueue_packet", returns: "note" },
  nf_reinject: { kernel: "nf_reinject", returns: "note" },
  ctnetlink_change_timeout: { kernel: "ctnetlink_change_timeout", returns: "nothing" },
  nf_conntrack_update: { kernel: "nf_conntrack_update", returns: "note", addedBy: { commit: "368982cd7d1b", release: "v4.18", otherwise: "require 368982cd7d1b, or override nf_reinject instead" } },
  br_forward: { kernel: "br_forward", returns: "note" },
  br_pass_frame_up: { kernel: "br_pass_frame_up", returns: "note" },
  br_nf_local_in: { kernel: "br_nf_local_in", returns: "note", addedBy: { commit: "62e7151ae3eb", release: "v6.8", otherwise: "require 62e7151ae3eb, or override br_pass_frame_up instead" } },
  takenBy: { kernel: "nf_conntrack_tuple_taken", returns: "predicate2" },
  clashMergeable: { kernel: "nf_ct_resolve_clash", returns: "predicate2" },
  clashWinnerUsable: { kernel: "nf_ct_resolve_clash", returns: "predicate1" },
  allow_clash: { kernel: "nf_ct_resolve_clash", returns: "constant" },
  countResolved: { kernel: "nf_ct_resolve_clash", returns: "counters" },
  confirmClashStats: { kernel: "__nf_conntrack_confirm", returns: "counters" },
  confirmedAtLock: { kernel: "__nf_conntrack_confirm", returns: "constant" },
  shouldGcConfirmedFirst: { kernel: "nf_ct_should_gc", returns: "constant" },
  lookupSkipsDying: { kernel: "____nf_conntrack_find", returns: "constant" },
  unconfirmedDyingOnDestroy: { kernel: "nf_ct_iterate_destroy", returns: "constant" },
  extGenid: { kernel: "nf_ct_iterate_destroy", returns: "constant" },
  timeoutRefcounted: { kernel: "ctnl_timeout_try_del", returns: "constant" },
  iterateUnconfirmed: { kernel: "get_next_corpse", returns: "constant" },
  nfqueueSharedCheck: { kernel: "nfqnl_enqueue_packet", returns: "constant" },
  brLocalInAsserts: { kernel: "br_nf_local_in", returns: "constant" },
} as const satisfies { readonly [K in keyof Required<KernelBehaviour>]: FunctionInfo };

export type FunctionName = keyof typeof TABLE;
export const FUNCTIONS: { readonly [K in FunctionName]: FunctionInfo } = TABLE;

/** Every function's name, in the table's order. */
export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

/** The table's entry for `name`, or undefined for a name that is none of them. */
export const functionInfo = (name: string): FunctionInfo | undefined => (Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name as FunctionName] : undefined);
