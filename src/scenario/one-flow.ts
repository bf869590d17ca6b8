/**
 * The scaling question of `npm run bench` (and of tests that need a big
 * search): N packets of one UDP flow on N CPUs, a service with two random
 * DNAT endpoints, NAT host, replies optional.
 */
import { scenarioFromData } from "./load.js";
import type { Scenario } from "./scenario.js";

/** `conntrackMax`: a table limit (the lifecycle rows of the bench), none when absent; `replyWithin`: how long an
 * answer may take (a scenario with time, e.g. "1.5s"), none when absent. */
export function oneFlowScenario(n: number, replies = false, conntrackMax?: number, replyWithin?: string): Scenario {
  return scenarioFromData(oneFlowData(n, replies, conntrackMax, replyWithin), `one flow of ${n} packets`);
}

/** The same as scenario-file data (what the bench writes to a file for the command). */
export function oneFlowData(n: number, replies = false, conntrackMax?: number, replyWithin?: string): Record<string, unknown> {
  return {
    name: `dns-${n}-packets`,
    description: `${n} packets of one UDP flow on ${n} CPUs, two random endpoints`,
    protocol: "udp",
    cpus: n,
    "nat-table": true,
    client: "10.244.0.5:40000",
    service: "10.96.0.10:53",
    dnat: { endpoints: ["10.244.1.7:53", "10.244.2.9:53"], choice: "random" },
    snat: "null-binding",
    replies,
    ...(conntrackMax !== undefined ? { "conntrack-max": conntrackMax } : {}),
    ...(replyWithin !== undefined ? { "reply-within": replyWithin } : {}),
    packets: Array.from({ length: n }, (_, i) => ({ name: `P${i + 1}`, cpu: i })),
    kernels: ["v5.0"],
  };
}
