/**
 * A validated scenario: the topology, rules and packets a model check runs on.
 * Addresses are interned to small integers (`addrs[i]` is the text form).
 */
import type { Zone } from "./zone.js";

export interface HostPort {
  readonly addr: number;
  readonly port: number;
}

/** The flows' protocol: its tracker, and what its tuple holds besides addresses (kernel/net/proto.ts). */
export type Protocol = "udp" | "tcp" | "icmp" | "gre" | "generic";
export type EndpointChoice = "random" | "consistent";
export type SnatMode = "none" | "null-binding" | "masquerade";

export interface Dnat {
  /** What the rule matches: packets to this address and port (the service, a VIP); others get the null binding. */
  readonly service: HostPort;
  /** Every endpoint the rule ever has: those at the start, then those a control-plane step adds. Notes and
   * endpoint indexes name them here. */
  readonly endpoints: readonly HostPort[];
  /** The rule's endpoint sets in turn, as indexes into `endpoints`: the first at the start, then one per
   * control-plane `endpoints` step (KState.rules says which is in force). An empty set: the rule matches
   * nothing (no endpoints, or the service deleted), so packets to the service get the null binding. */
  readonly sets: readonly (readonly number[])[];
  /** kube-proxy `statistic --mode random` / nft `numgen random` pick per packet;
   * a consistent hash picks the same endpoint for the same tuple. */
  readonly choice: EndpointChoice;
}

export interface Snat {
  readonly mode: SnatMode;
  /** The address MASQUERADE maps to (the node's address). */
  readonly to?: number;
  /** --to-ports: the source port range (NF_NAT_RANGE_PROTO_SPECIFIED). */
  readonly ports?: { readonly min: number; readonly max: number };
  /** --random-fully (NF_NAT_RANGE_PROTO_RANDOM_FULLY): never keep the port, start the search at a random offset. */
  readonly randomFully: boolean;
}

export interface PacketSpec {
  readonly name: string;
  readonly cpu: number;
  readonly from: HostPort;
  readonly to: HostPort;
  /** Sent only once the reply to this packet (an index) was delivered: resolv.conf single-request. */
  readonly afterReply?: number;
  /** False: the packet passes no NAT hook although the scenario has a NAT table
   * (it went through before the nat table's hooks were registered). */
  readonly nat: boolean;
  /** The conntrack zone of its raw-table template (`-j CT --zone N`, `--zone-orig N`,
   * `--zone-reply N`); absent: no template, the default zone 0 in both directions. */
  readonly zone?: Zone;
  /** A timed scenario's send time, in ms from its start (`at`; 0 when absent): its query may not run before. */
  readonly at?: number;
  /** A GSO packet (`segments: N`): the queue, lacking F_GSO, splits it into N segments sharing its entry; this packet
   * is the first, and the loader adds the others after every written packet (`copy: "segment"`). */
  readonly segments?: number;
  /** A bridged frame (`bridge`), conntracked by br_netfilter in the bridge's PREROUTING: `broadcast` goes up through
   * br0, where a macvlan's broadcast worker copies it (its `clones`) after the bridge's LOCAL_IN; `promisc` goes up
   * only because br0 is promiscuous, and its `clones` are the copies the bridge forwards, made before. */
  readonly bridge?: "broadcast" | "promisc";
  /** Set by the loader on a copy: the packet whose skb it was copied from, whose entry it shares. */
  readonly cloneOf?: number;
  /** What a copy is: a GSO segment (it runs on the queue program's threads) or a bridge clone (a lane of its own). */
  readonly copy?: "segment" | "clone";
}

/** An NFQUEUE rule (`nfqueue`): every query is queued at `hook` to a user-space program that reinjects it with a verdict. */
export interface Nfqueue {
  /** Where the rule is: in PREROUTING and OUTPUT the packet is routed (again) after a reinject, in POSTROUTING not. */
  readonly hook: "prerouting" | "output" | "postrouting";
  /** fifo: the program gives its verdicts in queue order; any: in any order. */
  readonly order: "fifo" | "any";
  /** The program's threads, each reinjecting one packet at a time (2: two reinjections may run at once). */
  readonly threads: number;
  /** The queue has NFQA_CFG_F_GSO: a GSO packet is queued whole, not segmented. */
  readonly gso: boolean;
  /** The verdicts the program may give: accept, and drop too when listed. */
  readonly verdicts: readonly ("accept" | "drop")[];
  /** With its NF_ACCEPT the program sets the entry's timeout to this many ms (NFQA_CT, CTA_TIMEOUT); a timed scenario. */
  readonly timeout?: number;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Where it was read from, for messages. */
  readonly source: string;
  readonly protocol: Protocol;
  readonly cpus: number;
  /** The host's NAT table is active: every new entry gets NAT bindings, null ones if no rule matches. */
  readonly natTable: boolean;
  readonly dnat?: Dnat;
  readonly snat: Snat;
  readonly packets: readonly PacketSpec[];
  /** Each endpoint answers each query it receives; the reply is processed on the query's CPU. */
  readonly replies: boolean;
  /** nf_conntrack_max: the most entries the table may hold before init_conntrack runs early_drop
   * (__nf_conntrack_alloc); 0, the kernel's default here, for no limit. */
  readonly conntrackMax: number;
  /** The scenario has time (`reply-within` or a packet's `at`): entries expire, the reapers run, the clock
   * is a step of its own (kernel/functions/time.ts). Without it no clock exists and no entry expires. */
  readonly timed: boolean;
  /** How long after its query (ms) an answer may reach the node; 0: at once. Only in a timed scenario. */
  readonly replyWithin: number;
  /** Long bucket chains (d7e7747ac5c2, v5.15): confirm's limit on the nodes it walks, and how many nodes of
   * flows outside the scenario every chain confirm walks holds (older than the scenario's entries). */
  readonly chains?: { readonly maxChainlen: number; readonly otherNodes: number };
  /** Entries are SLAB_TYPESAFE_BY_RCU memory (`recycle`): a freed entry's slot may go to the next
   * init_conntrack, lockless walkers reach a node in one step and re-check it in a later one, confirm holds
   * its bucket locks across two steps, and the no-crash property applies (kernel/functions/recycle.ts). */
  readonly recycle: boolean;
  /** A raw-table NOTRACK rule matches these packets and their replies (NodeLocal DNSCache). */
  readonly notrack: boolean;
  /** Packets (indexes) whose entries a concurrent `conntrack -D` (ctnetlink ->
   * nf_ct_delete) may delete once confirmed, e.g. kube-proxy flushing stale UDP
   * entries after an endpoint change. */
  readonly deletes: readonly number[];
  /** The control plane's program (`control`), in its own order: rule changes, deletes, a flush, a helper
   * removed. The search interleaves its steps with every packet's (model/actors/control.ts); empty: none. */
  readonly control: readonly ControlOp[];
  /** The reconciler repeats (kube-proxy's periodic resync): once the program is done, its `delete` steps run
   * again whenever the table has changed since their last run began (a run on an unchanged table deletes nothing). */
  readonly resync: boolean;
  /** The conntrack helper the flows' rule attaches to their entries (`-j CT --helper NAME`), which a
   * `remove-helper` step unregisters; undefined: none. */
  readonly helper?: string;
  /** The timeout policy the flows' rule attaches (`-j CT --timeout NAME`, nfnetlink_cttimeout), which a
   * `remove-timeout-policy` step removes; undefined: none. */
  readonly timeoutPolicy?: string;
  /** An NFQUEUE rule for the queries (docs/scenarios.md, "nfqueue"). */
  readonly nfqueue?: Nfqueue;
  /** Kernel variants to check by default; the first is `check`'s default. */
  readonly kernels: readonly string[];
  /** The scenario is a mitigation users apply (docs/sre.md): it is scenario `of`'s setting with `how` changed, and
   * `check`/`diagnose` name it where it holds and `of` is violated. */
  readonly mitigation?: Mitigation;
  readonly addrs: readonly string[];
}

/** A mitigation: its users' name, the scenarios whose race it is meant to remove, what a user changes. */
export interface Mitigation {
  readonly name: string;
  readonly of: readonly string[];
  readonly how: string;
}

/** What `conntrack -D` matches (its filter options); an absent field matches every entry. */
export interface DeleteFilter {
  /** --orig-dst with --dport: the ORIGINAL tuple's destination (the service address). */
  readonly origDst?: HostPort;
  /** --reply-src with --reply-port-src: the REPLY tuple's source (for a DNATed flow, its endpoint). */
  readonly replySrc?: HostPort;
  /** -p: the protocol. */
  readonly protocol?: Protocol;
}

/** One step of the control plane's program (scenario `control`). */
export type ControlOp =
  /** The DNAT rule's endpoint set is replaced (iptables-restore, an nft commit): set `set` of Dnat.sets. */
  | { readonly kind: "endpoints"; readonly set: number }
  /** `conntrack -D` with a filter: a dump of the table, then a delete by ORIGINAL tuple (no id) of each match. */
  | { readonly kind: "delete"; readonly filter: DeleteFilter }
  /** `conntrack -F`: ctnetlink's flush, the table iteration nf_ct_iterate_cleanup. */
  | { readonly kind: "flush" }
  /** The scenario's helper is unregistered (nf_conntrack_helper_unregister). */
  | { readonly kind: "remove-helper" }
  /** The rule that attaches the scenario's timeout policy is removed, then the policy deleted (`nfct timeout delete`). */
  | { readonly kind: "remove-timeout-policy" };

/** The same address and port. */
export const sameHostPort = (a: HostPort, b: HostPort): boolean => a.addr === b.addr && a.port === b.port;

export function formatHostPort(hp: HostPort, addrs: readonly string[]): string {
  return `${addrs[hp.addr]}:${hp.port}`;
}

/** Whether the scenario's packets leave softirq (nfqueue) or are copied or bridged (segments, clones, bridge). */
export const hasSkbs = (sc: Scenario): boolean => sc.nfqueue !== undefined || sc.packets.some((p) => p.cloneOf !== undefined || p.bridge !== undefined);
