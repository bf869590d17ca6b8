/**
 * A validated scenario: the topology, rules and packets a model check runs on.
 * Addresses are interned to small integers (`addrs[i]` is the text form).
 */

export interface HostPort {
  readonly addr: number;
  readonly port: number;
}

export type Protocol = "udp" | "tcp";
export type EndpointChoice = "random" | "consistent";
export type SnatMode = "none" | "null-binding" | "masquerade";

export interface Dnat {
  readonly endpoints: readonly HostPort[];
  /** kube-proxy `statistic --mode random` / nft `numgen random` pick per packet;
   * a consistent hash picks the same endpoint for the same tuple. */
  readonly choice: EndpointChoice;
}

export interface Snat {
  readonly mode: SnatMode;
  /** The address MASQUERADE maps to (the node's address). */
  readonly to?: number;
}

export interface PacketSpec {
  readonly name: string;
  readonly cpu: number;
  readonly from: HostPort;
  readonly to: HostPort;
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
  /** Kernel variants to check by default; the first is `check`'s default. */
  readonly kernels: readonly string[];
  readonly addrs: readonly string[];
}

export function formatHostPort(hp: HostPort, addrs: readonly string[]): string {
  return `${addrs[hp.addr]}:${hp.port}`;
}
