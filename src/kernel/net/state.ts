/**
 * The model's state: every packet's progress and private entry, the hash
 * table of confirmed entries, the NAT port rover and the per-CPU counters.
 * An entry is named by the index of the packet that allocated it.
 */
import type { Conn } from "./conn.js";

/** Where a packet is in the netfilter path: the next step it will take. */
export const Pc = {
  LOOKUP: 0, // S1 resolve_normal_ct -> __nf_conntrack_find_get
  ALLOC: 1, // S2 init_conntrack
  DNAT: 2, // S3 nf_nat_setup_info(NF_NAT_MANIP_DST) at PREROUTING/OUTPUT
  SNAT: 3, // S4 nf_nat_setup_info(NF_NAT_MANIP_SRC) at POSTROUTING/LOCAL_IN
  CONFIRM: 4, // S5 __nf_conntrack_confirm
  DONE: 5,
} as const;
export type Pc = (typeof Pc)[keyof typeof Pc];

/** A packet's verdict: not yet given, NF_ACCEPT, NF_DROP. */
export const Fate = { PENDING: 0, ACCEPTED: 1, DROPPED: 2 } as const;
export type Fate = (typeof Fate)[keyof typeof Fate];

/** The answer to an accepted query, when the scenario has replies. */
export const Reply = {
  NONE: 0, // no reply (yet): the query is not through, was dropped, or replies are off
  PENDING: 1, // the endpoint answered; the node has not processed the reply yet
  DELIVERED: 2, // reached the client from the address and port it sent to
  LOST: 3, // no entry matched: not translated back, the client's socket never sees it
  MISROUTED: 4, // translated by an entry, but not back to what the client sent to
  UNANSWERED: 5, // the query left for the service address untranslated: no host there answers
  EVICTED: 6, // no entry matched because early drop had evicted the one that would have
  EXPIRED: 7, // no entry matched because the one that would have had timed out (skipped or reaped)
} as const;
export type Reply = (typeof Reply)[keyof typeof Reply];

export interface PacketState {
  /** The next step the packet takes. */
  pc: Pc;
  /** Its verdict, once given. */
  fate: Fate;
  /** The entry this packet allocated; private (unconfirmed) until confirm links it. */
  ct: Conn | null;
  /** Its entry was freed (a clash loser, merged or dropped). */
  freed: boolean;
  /** The entry the packet continues with: its own, the winner's after a merge, or a lookup hit. -1: none yet. */
  uses: number;
  /** The entry confirm's clash check found, -1 if none. */
  clashWith: number;
  /** Its entry is linked by its REPLY node only (a v5.6+ NAT_CLASH entry). */
  replyOnly: boolean;
  /** What became of the answer to it (scenarios with replies). */
  reply: Reply;
  /** Its entry was deleted by early drop to make room (a scenario with conntrack-max). */
  evicted: boolean;
  /** Its entry was deleted because it had timed out (a reaper's nf_ct_gc_expired or v4.6's timer; timed scenarios). */
  expired: boolean;
  /** The expired entry this packet's lookup is deleting (it set DYING; the unlink is its next step), -1 if none. */
  reaping: number;
  /** When its query was sent (ms; its S1 step: queries take no time), so its answer's window starts there. Timed scenarios. */
  sentAt: number;
  /** A `recycle` scenario's: the memory slot its entry was allocated in (a freed entry's slot is reused), -1 before. */
  slot: number;
  /** A `recycle` scenario's: the slot its lockless lookup reached a node of, holding no reference yet (-1: none). */
  reader: number;
  /** The entry (packet index) whose node that was, when the walk reached it: the slot may hold another since. */
  readerSaw: number;
  /** Its __nf_conntrack_confirm holds both bucket locks, from its first step to its decision (`recycle`). */
  locked: boolean;
  /** Its confirm has passed the test of its own entry's DYING, so the chain walks and the decision come next (`recycle`). */
  dyingChecked: boolean;
  /** The entry its lookup holds a reference on between nf_ct_should_gc's first read and the rest (`recycle`), -1. */
  halfGc: number;
  // Packets that leave softirq or are copied (a scenario's nfqueue, segments or clones; model/actors/nfqueue.ts,
  // clone.ts): packed only there (features.skbs), and 0 or false elsewhere.
  /** Where the packet is with respect to the scenario's NFQUEUE rule (Nfq). */
  nfq: Nfq;
  /** The queue program's thread that reinjected it (nfq RUNNING). */
  thread: number;
  /** Its place in the queue: how many packets had been queued before it. */
  qseq: number;
  /** A GSO segment after the first, queued while its entry was unconfirmed (207b3ebacb61 re-checks it at reinject). */
  marked: boolean;
  /** A bridged frame that went up through br0 (br_pass_frame_up: bridge LOCAL_IN, then the copies made there). */
  passedUp: boolean;
  /** Passed nf_conntrack_confirm's inline test (its entry unconfirmed): __nf_conntrack_confirm is its next step. */
  entered: boolean;
  /** A kernel WARN_ON it triggered (WARN), 0 for none. */
  warn: number;
  /** A caller that used an entry this packet no longer held (STALE), 0 for none. */
  staleCt: number;
  /** Rewritten to another endpoint after its route was chosen: it left the wrong way (nfqueue's update in POSTROUTING). */
  misrouted: boolean;
  /** Why it was dropped where no clash explains it (DROP_WHY), 0 otherwise. */
  dropWhy: number;
  /** nf_conntrack_update attached it to the entry it found (`uses`) and rewrote it with that entry's NAT. */
  attached: boolean;
  /** Its skb's entry was reset (nf_reset_ct): it goes on untracked. */
  reset: boolean;
  /** The queue program's verdict set its entry's timeout (scenario nfqueue.timeout). */
  timeoutSet: boolean;
  /** Once confirmed, its entry's lifetime was not the timeout the verdict set (73db1b8f2bb6). */
  lifetimeOff: boolean;
}

/** A packet and the scenario's NFQUEUE rule: not (yet) queued, in the queue, or reinjected and running on a thread
 * of the queue program. */
export const Nfq = { NONE: 0, QUEUED: 1, RUNNING: 2 } as const;
export type Nfq = (typeof Nfq)[keyof typeof Nfq];

/** The WARN_ONs the model passes (property no-warn). */
export const WARN = {
  /** __nf_conntrack_confirm: the entry is CONFIRMED once the locks are taken: another skb sharing it won the race. */
  CONFIRMED_CLONE: 1,
  /** br_nf_local_in (7d8dc1c7be8d, v6.11): an unconfirmed entry with more than one reference. */
  LOCAL_IN_SHARED: 2,
  /** br_nf_local_in (62e7151ae3eb to 479a54ab9208): after confirm, the entry it read before is not CONFIRMED. */
  LOCAL_IN_UNCONFIRMED: 3,
} as const;

/** The callers that keep an entry pointer across a call that may swap the skb's (property no-stale-ct). */
export const STALE = {
  /** nf_conntrack_confirm's event delivery on the entry read before __nf_conntrack_confirm merged it away (fixed by 56b14ecec97f, v5.19). */
  CONFIRM_EVENTS: 1,
  /** br_nf_local_in's assertion on the entry read before confirm merged it away (62e7151ae3eb to 479a54ab9208, v6.17). */
  LOCAL_IN: 2,
} as const;

/** Drops that no clash explains (property no-drop's classes). */
export const DROP_WHY = {
  /** The queue program's verdict was NF_DROP: its own decision, not the kernel's (no-drop does not count it). */
  VERDICT: 1,
  /** Queued while its unconfirmed entry was shared (7d8dc1c7be8d, v6.11; before segmentation from 207b3ebacb61, v7.0). */
  QUEUE_SHARED: 2,
  /** Reinjected as a later segment while its entry was still unconfirmed and shared (207b3ebacb61, v7.0). */
  REINJECT_SHARED: 3,
  /** __nf_conntrack_confirm found its entry CONFIRMED by another skb sharing it (WARN, NF_DROP). */
  CONFIRMED_CLONE: 4,
} as const;

/** The per-CPU counters of `conntrack -S`. */
export interface CpuStats {
  /** insert_failed */
  insertFailed: number;
  /** drop */
  drop: number;
  /** clash_resolve (v5.6+) */
  clashResolve: number;
  /** early_drop: entries evicted for a full table (packed only for a scenario with conntrack-max). */
  earlyDrop: number;
  /** chaintoolong (v5.15+): confirms refused for a bucket chain past the limit (packed only for a scenario with `chains`). */
  chainTooLong: number;
}

export interface KState {
  /** Every packet of the scenario, by index; `pkts[id].ct` is entry `id`. */
  pkts: PacketState[];
  /** Confirmed entries linked in the hash table, oldest first (chains are walked newest first). */
  table: number[];
  /** nf_nat_bysource chain of entries with source NAT set up, newest first. Neighbours of one source that map it
   * alike (the same ORIGINAL source and REPLY destination) may come in either order: find_appropriate_src, which
   * takes the first of a source, cannot tell them apart, so the search holds them in one order. A hook must not
   * depend on their order. */
  bysource: number[];
  /** The shared, unlocked per-protocol port rover of v4.x nf_nat_l4proto_unique_tuple. */
  rover: number;
  /** Per CPU, by the scenario's `cpu` of a packet. */
  stats: CpuStats[];
  /** The clock (nfct_time_stamp, in ms from the scenario's start); 0 for ever in a scenario without time. */
  now: number;
  /** The expired entry the gc worker (v4.6: its timer) is deleting: DYING set, the unlink next; -1 if none. */
  gc: number;
  /** What the kernel did wrong, once it did (CRASH codes, recycle.ts): the run ends there; 0 for nothing. */
  crash: number;
  /** A `recycle` scenario's: the slot the gc worker's walk reached an expired entry in, no reference yet (-1: none). */
  gcReader: number;
  /** The entry whose node that was when it reached it. */
  gcSaw: number;
  /** The entry the gc worker holds a reference on between nf_ct_should_gc's first read and the rest, -1. */
  gcHalf: number;
  /** The control plane (a scenario's `control`; model/actors/control.ts), all 0 in a scenario without one. The step
   * of its program it is at (its length once done; past it, a resync run's delete). */
  ctl: number;
  /** Within that step: 0 before it starts; a walk's 1 while it visits; the helper removal's stage. */
  ctlPhase: number;
  /** The DNAT rule's endpoint set in force, an index of sc.dnat.sets: S3 reads it (the ruleset current at that instant). */
  rules: number;
  /** Bit i: entry i is one the running walk (a dump's deletes, a flush) has still to visit. */
  walk: number;
  /** Bit i: entry i was linked when a delete of the control plane began its dump. */
  walked: number;
  /** Bit i: entry i was linked when the last flush began. */
  flushed: number;
  /** Bit i: packet i had not started when the control plane last finished its work (its S1 came after). */
  late: number;
  /** Bit i: entry i's extensions carry a genid older than the last nf_ct_ext_bump_genid (v5.19-v7.1). */
  stale: number;
  /** Bit i: entry i was linked when the reconciler's last run began (a resync runs again once the table differs). */
  synced: number;
  /** Bit i: entry i's timeout extension points at the scenario's timeout policy (set at S2 while a rule attaches it). */
  policy: number;
  /** The scenario's timeout policy: 0 attached by the flows' rule, 1 the rule removed (new entries do not get it),
   * 2 freed. */
  policyState: number;
  /** The words of the actors that keep state of their own (model/actor.ts, ActorEnv.claim): each actor reads and
   * writes its slice through its own accessors; the codec and clone copy them as they are. Empty for the actors
   * above, whose fields are named here. */
  ext: number[];
}

/** `ext`: the actors' words (all 0 at the start). */
export function initialState(packets: number, cpus: number, ext = 0): KState {
  return {
    pkts: Array.from({ length: packets }, () => ({
      pc: Pc.LOOKUP,
      fate: Fate.PENDING,
      ct: null,
      freed: false,
      uses: -1,
      clashWith: -1,
      replyOnly: false,
      reply: Reply.NONE,
      evicted: false,
      expired: false,
      reaping: -1,
      sentAt: 0,
      slot: -1,
      reader: -1,
      readerSaw: -1,
      locked: false,
      dyingChecked: false,
      halfGc: -1,
      nfq: Nfq.NONE,
      thread: 0,
      qseq: 0,
      marked: false,
      passedUp: false,
      entered: false,
      warn: 0,
      staleCt: 0,
      misrouted: false,
      dropWhy: 0,
      attached: false,
      reset: false,
      timeoutSet: false,
      lifetimeOff: false,
    })),
    table: [],
    bysource: [],
    rover: 0,
    stats: Array.from({ length: cpus }, () => ({ insertFailed: 0, drop: 0, clashResolve: 0, earlyDrop: 0, chainTooLong: 0 })),
    now: 0,
    gc: -1,
    crash: 0,
    gcReader: -1,
    gcSaw: -1,
    gcHalf: -1,
    ctl: 0,
    ctlPhase: 0,
    rules: 0,
    walk: 0,
    walked: 0,
    flushed: 0,
    late: 0,
    stale: 0,
    synced: 0,
    policy: 0,
    policyState: 0,
    ext: new Array<number>(ext).fill(0),
  };
}

/** A deep copy for exploration (hand-written field by field: immer, and even
 * object spread, are too slow on the hot path). Tuples are immutable, so shared. */
export function cloneState(s: KState): KState {
  const pkts: PacketState[] = new Array(s.pkts.length);
  for (let i = 0; i < pkts.length; i++) {
    const p = s.pkts[i]!;
    const ct = p.ct;
    pkts[i] = {
      pc: p.pc,
      fate: p.fate,
      ct: ct ? { orig: ct.orig, reply: ct.reply, status: ct.status, timeout: ct.timeout, streamTs: ct.streamTs } : null,
      freed: p.freed,
      uses: p.uses,
      clashWith: p.clashWith,
      replyOnly: p.replyOnly,
      reply: p.reply,
      evicted: p.evicted,
      expired: p.expired,
      reaping: p.reaping,
      sentAt: p.sentAt,
      slot: p.slot,
      reader: p.reader,
      readerSaw: p.readerSaw,
      locked: p.locked,
      dyingChecked: p.dyingChecked,
      halfGc: p.halfGc,
      nfq: p.nfq,
      thread: p.thread,
      qseq: p.qseq,
      marked: p.marked,
      passedUp: p.passedUp,
      entered: p.entered,
      warn: p.warn,
      staleCt: p.staleCt,
      misrouted: p.misrouted,
      dropWhy: p.dropWhy,
      attached: p.attached,
      reset: p.reset,
      timeoutSet: p.timeoutSet,
      lifetimeOff: p.lifetimeOff,
    };
  }
  const stats: CpuStats[] = new Array(s.stats.length);
  for (let i = 0; i < stats.length; i++) {
    const c = s.stats[i]!;
    stats[i] = { insertFailed: c.insertFailed, drop: c.drop, clashResolve: c.clashResolve, earlyDrop: c.earlyDrop, chainTooLong: c.chainTooLong };
  }
  return { pkts, table: s.table.slice(), bysource: s.bysource.slice(), rover: s.rover, stats, now: s.now, gc: s.gc, crash: s.crash, gcReader: s.gcReader, gcSaw: s.gcSaw, gcHalf: s.gcHalf, ctl: s.ctl, ctlPhase: s.ctlPhase, rules: s.rules, walk: s.walk, walked: s.walked, flushed: s.flushed, late: s.late, stale: s.stale, synced: s.synced, policy: s.policy, policyState: s.policyState, ext: s.ext.slice() };
}
