/**
 * What a step did, as data: each kernel step returns a Note for traces, and report/notes.ts (wordNote) words each
 * kind, so the kernel holds no English and the search builds no string (docs/architecture.md). Fields
 * hold packet/entry indices (an entry is named by the packet that allocated it), tuples and numbers, never words.
 *
 * A step builds its note only under ctx.explain; the search runs without and every step returns "" (no words,
 * nothing allocated). A user's patch may still return a plain one-line string as its note: what steps return is
 * StepNote.
 */
import type { Dir } from "./net/conn.js";
import type { Tuple } from "./net/tuple.js";

/** How get_unique_tuple came to the tuple it returned (nf_nat_core.c), for the SNAT step's note. */
export type PortChoice =
  /** The current tuple is in range and free: the source port is kept (SRC), as is a free tuple's in step 3. */
  | { readonly why: "free" }
  /** v6.12+: nf_nat_used_tuple finds the REPLY tuple held by entry `by`, but nf_nat_used_tuple_new calls it free
   * (a reverse twin confirm can merge, or no entry found by the tuple's lookups): the source port is kept. */
  | { readonly why: "free-new"; readonly by: number }
  /** find_appropriate_src: the mapping of an entry with the same source. */
  | { readonly why: "reuse" }
  /** DST: the destination port is kept. */
  | { readonly why: "keeps-dport" }
  /** --random-fully: the port search starts at offset `offset`, and picks `port`. */
  | { readonly why: "random"; readonly offset: number; readonly port: number }
  /** The REPLY tuple is taken by entry `by` (confirmed): the port search picks `port`. */
  | { readonly why: "taken"; readonly by: number; readonly port: number }
  /** The port is out of the range: the port search picks `port`. */
  | { readonly why: "out-of-range"; readonly port: number }
  /** The tuple is taken, but the protocol's key cannot be changed (GRE without a PPTP master, generic): kept. */
  | { readonly why: "not-remapped" }
  /** No reason recorded (a user's get_unique_tuple): it gave source port `port`. */
  | { readonly why: "given"; readonly port: number };

/** What nf_ct_resolve_clash decided (the shape of kernel.ts's Resolution). */
export type ClashOutcome = { readonly kind: "merge"; readonly into: number } | { readonly kind: "insert" } | { readonly kind: "drop" };

/** A tracker's note inside a step's (nf_conntrack_udp_packet, nf_conntrack_tcp_packet): a Note, or a user's words. */
export type TrackerNote = Note | string;

/** Where init_conntrack's entry went in a `recycle` scenario: slot `slot`, a freed entry's memory (`reused`; `was`
 * the freed entry, -1 when unknown) or a new one. */
export interface SlotNote {
  readonly slot: number;
  readonly reused: boolean;
  readonly was: number;
}

/** What a step did, one kind per distinct thing a step reports (report/notes.ts words each): entries by index, tuples,
 * numbers. A step returns one only under ctx.explain. */
export type Note =
  // ---- Packets that leave softirq or are copied (nfnetlink_queue.ts, br_netfilter.ts) ----
  /** nf_conntrack_confirm's inline test of entry `id` (-1: the skb has none): CONFIRMED (or none), so the packet goes
   * on without __nf_conntrack_confirm; else that is its next step. */
  | { readonly kind: "confirm-test"; readonly id: number; readonly confirmed: boolean }
  /** __nf_conntrack_confirm found entry `id` CONFIRMED once it held the locks: another skb sharing it won the race
   * (WARN_ON_ONCE, NF_DROP). */
  | { readonly kind: "confirmed-clone"; readonly id: number }
  /** nfqnl_enqueue_packet: `queued` went to the queue (a GSO packet's segments when `segmented`), `dropped` were
   * dropped for an unconfirmed entry with more than one reference (7d8dc1c7be8d, 207b3ebacb61). */
  | { readonly kind: "enqueue"; readonly queued: readonly number[]; readonly dropped: readonly number[]; readonly segmented: boolean }
  /** nf_reinject with the program's verdict; `update` what nf_conntrack_update did (v4.18+), `shared` a later segment
   * dropped because its entry is still unconfirmed and shared (207b3ebacb61). */
  | { readonly kind: "reinject"; readonly verdict: "accept" | "drop"; readonly update?: StepNote; readonly shared?: boolean; readonly timeout?: number }
  /** nf_conntrack_update (368982cd7d1b): the packet's pre-NAT tuple found entry `found` (-1: none); the packet now
   * uses it, rewritten with its NAT; `misrouted`: its route was chosen for its own endpoint and stays. */
  | { readonly kind: "update"; readonly found: number; readonly misrouted: boolean }
  /** br_forward: a `promisc` frame's copies made to be forwarded, `clones`. */
  | { readonly kind: "forward"; readonly clones: readonly number[] }
  /** br_pass_frame_up: the frame goes up through br0; `hook` what br_nf_local_in did (v6.8+); `clones` the copies a
   * macvlan on br0 made after it for its broadcast worker. */
  | { readonly kind: "pass-up"; readonly hook?: StepNote; readonly clones: readonly number[] }
  /** br_nf_local_in: `did` what it did with entry `id`; `confirm` the confirm's note; `warn` the assertion after confirm
   * fired; `shared` the WARN_ON on an entry with more than one reference (v6.8-v6.10: confirmed anyway; the
   * reset-shared of 7d8dc1c7be8d is its own `did`); `stale` it read the entry after a merge had released it. */
  | { readonly kind: "local-in"; readonly id: number; readonly did: "confirmed-already" | "reset-promisc" | "reset-shared" | "confirm"; readonly confirm?: StepNote; readonly warn: boolean; readonly stale: boolean; readonly shared?: boolean }
  // ---- S1: __nf_conntrack_find_get (resolve_normal_ct) ----
  /** A hit on entry `id` by its node `dir`: the packet is accepted; `tracker` what the tracker said. `reaped`: an
   * expired entry this lookup had killed, unlinked first (v4.9+, timed). */
  | { readonly kind: "hit"; readonly id: number; readonly dir: Dir; readonly tracker?: TrackerNote; readonly reaped?: number }
  /** No entry: on to init_conntrack. `reaped` as for a hit. */
  | { readonly kind: "miss"; readonly reaped?: number }
  /** A walker (S1's lookup, or the gc worker) met entry `id` expired: nf_ct_gc_expired -> nf_ct_kill sets DYING, the
   * unlink comes later. `reaped` as for a hit (a lookup only). */
  | { readonly kind: "expired-kill"; readonly id: number; readonly reaped?: number }
  /** A raw-table NOTRACK rule: untracked. */
  | { readonly kind: "notrack" }
  // ---- S1 in a `recycle` scenario: the lockless walk ----
  /** The walk reaches entry `id`'s node `dir`, in slot `slot`, with no reference yet. */
  | { readonly kind: "walk-reaches"; readonly id: number; readonly dir: Dir; readonly slot: number }
  /** The unlink a lookup's kill owed: entry `id` unlinked, the walk goes on. */
  | { readonly kind: "walk-unlinked"; readonly id: number }
  /** A lockless lookup looked again at the slot it reached and misses: its memory is freed, or entry `id` (living
   * there now) is DYING, or the key changed (`now`: the entry living in the slot now when it is another, else -1). */
  | { readonly kind: "lockless-miss"; readonly reason: "freed" }
  | { readonly kind: "lockless-miss"; readonly reason: "dying"; readonly id: number }
  | { readonly kind: "lockless-miss"; readonly reason: "key-changed"; readonly now: number }
  /** v4.6-v5.2 (lookupSkipsDying): the referenced candidate's key changed (now entry `now`'s memory, or -1): put, walk again. */
  | { readonly kind: "walk-restart"; readonly now: number }
  /** nf_ct_delete_from_lists on entry `id`, which is not linked: the kernel crashes. */
  | { readonly kind: "unlink-crash"; readonly id: number }
  // ---- S2: init_conntrack ----
  /** A new unconfirmed entry. With a full table (nf_conntrack_max `max`), `evicted`: the entries early_drop evicted
   * for it; in a `recycle` scenario `slot`: where it went (not worded after an eviction). */
  | { readonly kind: "new-entry"; readonly max: number; readonly evicted: readonly number[]; readonly slot?: SlotNote; readonly tracker?: TrackerNote }
  /** A full table (nf_conntrack_max `max`) and early_drop evicted nothing: NF_DROP. */
  | { readonly kind: "table-full"; readonly max: number }
  // ---- S3, S4: nf_nat_setup_info ----
  /** DNAT to endpoint `endpoint` (an index of the scenario's DNAT endpoints), of `of`; `random`: the rule picks at random;
   * `set`: the rule's endpoint set in force, after a control plane's rule change (Dnat.sets). */
  | { readonly kind: "dnat"; readonly endpoint: number; readonly of: number; readonly random: boolean; readonly set?: number }
  /** No DNAT rule: the null binding. */
  | { readonly kind: "dnat-null" }
  /** S4: MASQUERADE (`masquerade`) or the null binding, and how get_unique_tuple chose the tuple. */
  | { readonly kind: "snat"; readonly masquerade: boolean; readonly how: PortChoice }
  // ---- S5: __nf_conntrack_confirm ----
  /** No clash: linked, CONFIRMED. */
  | { readonly kind: "inserted" }
  /** A clash with entry `winner`, found by its node `dir`, and what nf_ct_resolve_clash decided. */
  | { readonly kind: "clash"; readonly winner: number; readonly dir: Dir; readonly outcome: ClashOutcome }
  /** Both bucket locks taken (recycle); `confirmedEarly`: IPS_CONFIRMED set then (1397af5bfd7d). */
  | { readonly kind: "locks"; readonly confirmedEarly: boolean }
  /** Confirm's test of its own DYING under the locks (recycle): `dying` drops the packet. */
  | { readonly kind: "own-dying"; readonly dying: boolean }
  /** d7e7747ac5c2: the ORIGINAL chain holds more than `limit` (max_chainlen + 1) other nodes: chaintoolong, NF_DROP. */
  | { readonly kind: "chaintoolong"; readonly limit: number }
  // ---- the reply ----
  /** An untracked query's answer `tuple`, delivered. */
  | { readonly kind: "reply-untracked"; readonly tuple: Tuple }
  /** The query left for `to` without DNAT: nobody answers. */
  | { readonly kind: "reply-unanswered"; readonly to: Tuple }
  /** The reply `sent` matches entry `id`'s node `dir` and is translated to `delivered`, what the client expects. */
  | { readonly kind: "reply-delivered"; readonly sent: Tuple; readonly id: number; readonly dir: Dir; readonly delivered: Tuple; readonly tracker?: TrackerNote }
  /** As reply-delivered, but the client expects `expected`. */
  | { readonly kind: "reply-misrouted"; readonly sent: Tuple; readonly id: number; readonly dir: Dir; readonly delivered: Tuple; readonly expected: Tuple; readonly tracker?: TrackerNote }
  /** The reply `sent` matches no entry: lost. */
  | { readonly kind: "reply-lost"; readonly sent: Tuple }
  /** As reply-lost, because early drop evicted entry `id`. */
  | { readonly kind: "reply-evicted"; readonly sent: Tuple; readonly id: number }
  /** As reply-lost, because entry `id` timed out at `at` (ms). */
  | { readonly kind: "reply-expired"; readonly sent: Tuple; readonly id: number; readonly at: number }
  // ---- trackers ----
  /** v5.6-5.8 (6a757c07e51f): the first reply of NAT_CLASH entry `id` deletes it. */
  | { readonly kind: "nat-clash-kill"; readonly id: number }
  // ---- ctnetlink's delete ----
  /** test_and_set_bit(IPS_DYING_BIT) on entry `id`; still linked. */
  | { readonly kind: "delete-mark"; readonly id: number }
  /** nf_ct_delete_from_lists: entry `id` unlinked (ctnetlink's delete). */
  | { readonly kind: "delete-unlink"; readonly id: number }
  // ---- the control plane (model/actors/control.ts) ----
  /** The DNAT rule's endpoint set becomes set `set` of the scenario's (Dnat.sets). */
  | { readonly kind: "rules"; readonly set: number }
  /** `conntrack -D`'s dump: the entries it lists that pass the filter (`listed`), and linked ones it cannot list
   * (`hidden`: linked by their REPLY node only). */
  | { readonly kind: "dump"; readonly listed: readonly number[]; readonly hidden: readonly number[] }
  /** `conntrack -F`: the entries get_next_corpse reaches (`reached`), linked ones it does not (`missed`), and (up to
   * v4.12) the unconfirmed entries its walk of the unconfirmed lists marks DYING (`unconfirmed`). */
  | { readonly kind: "flush-walk"; readonly reached: readonly number[]; readonly missed: readonly number[]; readonly unconfirmed: readonly number[] }
  /** The delete for entry `id` finds nothing to delete (ENOENT, or a reaper is unlinking it). */
  | { readonly kind: "delete-enoent"; readonly id: number }
  /** A stage of a helper's unregistration, and the entries it marked (DYING, or a stale genid). */
  | { readonly kind: "helper-removal"; readonly stage: "unconfirmed-destroy" | "synchronize_net" | "bump-genid" | "iterate"; readonly entries: readonly number[] }
  /** A stage of a timeout policy's removal: the entries whose pointer nf_ct_untimeout cleared, or at "free" those that
   * still point at it; `freed`: the policy is freed (else detached, referenced by those entries: v7.2). */
  | { readonly kind: "timeout-removal"; readonly stage: "rule-removed" | "untimeout" | "free"; readonly entries: readonly number[]; readonly freed: boolean }
  /** nf_ct_ext_valid_pre at confirm: the entry's extensions are stamped with an older genid: insert_failed, NF_DROP. */
  | { readonly kind: "genid-drop" }
  // ---- the reapers ----
  /** v4.6's timer of entry `id` fired: DYING, still linked. */
  | { readonly kind: "timer-fired"; readonly id: number }
  /** A reaper's second step: entry `id` unlinked. */
  | { readonly kind: "reap-unlink"; readonly id: number }
  /** The gc worker met entry `id` expired but nf_ct_should_gc no longer holds. */
  | { readonly kind: "gc-left"; readonly id: number }
  /** The gc worker's lockless walk (recycle) reaches expired entry `id`'s node in slot `slot`. */
  | { readonly kind: "gc-walk-reaches"; readonly id: number; readonly slot: number }
  /** The gc worker looked again: entry `saw`'s slot (now entry `now`, -1: freed) no longer expired. */
  | { readonly kind: "no-longer-expired"; readonly saw: number; readonly now: number }
  /** Entry `saw` read expired but its memory is free: refcount_inc_not_zero fails. */
  | { readonly kind: "expired-freed"; readonly saw: number }
  /** nf_ct_gc_expired's reference on entry `id` (in the slot the walker reached at `saw`'s node) and nf_ct_should_gc's
   * first read (CONFIRMED with `confirmedFirst`, else expired): `holds` or not (put). */
  | { readonly kind: "should-gc-first"; readonly id: number; readonly saw: number; readonly confirmedFirst: boolean; readonly holds: boolean }
  /** nf_ct_should_gc's other reads on entry `id` (`confirmedFirst`: expired and not DYING, else CONFIRMED and not
   * DYING): `holds` kills it (DYING), else put. */
  | { readonly kind: "should-gc-rest"; readonly id: number; readonly confirmedFirst: boolean; readonly holds: boolean }
  /** A user's nf_ct_gc_expired, run whole on entry `id`: it `killed` it, or left it. */
  | { readonly kind: "gc-patched"; readonly id: number; readonly killed: boolean }
  // ---- the clock ----
  /** The clock moves to `now` (ms). */
  | { readonly kind: "tick"; readonly now: number }
  // ---- the model ----
  /** A step of a kernel that calls lib.choose: the step's own `note`, and the answers its calls got (`picks[i]` of
   * `of[i]`, from 0). */
  | { readonly kind: "chose"; readonly note: StepNote; readonly picks: readonly number[]; readonly of: readonly number[] };

/** What a step returns: a Note, a user's one-line words, or "" (no words: every step's under a quiet ctx). */
export type StepNote = Note | string;

/** Every kind, once (the compiler refuses a kind missing here or one that is none). */
const KINDS: { readonly [K in Note["kind"]]: true } = {
  hit: true,
  miss: true,
  "expired-kill": true,
  notrack: true,
  "walk-reaches": true,
  "walk-unlinked": true,
  "lockless-miss": true,
  "walk-restart": true,
  "unlink-crash": true,
  "new-entry": true,
  "table-full": true,
  dnat: true,
  "dnat-null": true,
  snat: true,
  inserted: true,
  clash: true,
  locks: true,
  "own-dying": true,
  chaintoolong: true,
  "reply-untracked": true,
  "reply-unanswered": true,
  "reply-delivered": true,
  "reply-misrouted": true,
  "reply-lost": true,
  "reply-evicted": true,
  "reply-expired": true,
  "nat-clash-kill": true,
  "delete-mark": true,
  rules: true,
  dump: true,
  "flush-walk": true,
  "delete-enoent": true,
  "helper-removal": true,
  "genid-drop": true,
  "timeout-removal": true,
  "delete-unlink": true,
  "timer-fired": true,
  "reap-unlink": true,
  "gc-left": true,
  "gc-walk-reaches": true,
  "no-longer-expired": true,
  "expired-freed": true,
  "should-gc-first": true,
  "should-gc-rest": true,
  "gc-patched": true,
  tick: true,
  chose: true,
  "confirm-test": true,
  "confirmed-clone": true,
  enqueue: true,
  reinject: true,
  update: true,
  "pass-up": true,
  forward: true,
  "local-in": true,
};

/** The Note kinds, frozen. */
export const NOTE_KINDS: readonly Note["kind"][] = Object.freeze(Object.keys(KINDS) as Note["kind"][]);

/** Is `v` a Note (an object whose kind is one of NOTE_KINDS)? What a user's patch passes on from a built-in step. */
export function isNote(v: unknown): v is Note {
  if (v === null || typeof v !== "object") return false;
  const kind = (v as { kind?: unknown }).kind;
  return typeof kind === "string" && Object.hasOwn(KINDS, kind);
}
