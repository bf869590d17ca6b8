/**
 * `conntrack-mc live`: runs a scenario's packets on the running kernel, many
 * times, and sets what the kernel showed beside what the model says is
 * reachable on the closest kernel variant.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { counterKey, type Counters } from "../kernel/properties/outcomes.js";
import { resolveKernel } from "../kernel/variants.js";
import { CANDIDATE, compareVersions, formatVersion, mainlineOf, MAINLINE, OLDEST, parseVersion } from "../kernel/versions.js";
import type { Scenario } from "../scenario/scenario.js";
import { formatHostPort } from "../scenario/scenario.js";
import { checkHost, kernelVersion, liveBinary, LiveUnavailable, nfqBinary } from "./host.js";
import { afterReplyChain, build, collectAnswers, liveUnsupported, queueBatches, teardown, type Topology } from "./topology.js";

/** What the model says a run of the scenario on a kernel variant can show (the caller searches: app/live.ts). */
export interface Prediction {
  readonly drop: boolean;
  /** undefined: the scenario has no replies. */
  readonly lost: boolean | undefined;
  readonly resolved: boolean;
  /** The counter totals one run can leave. */
  readonly counters: Counters[];
  /** An entry to a removed endpoint can outlive the control plane (no-stale-mapping); undefined without a rule change. */
  readonly stale?: boolean;
  /** The share of schedules that drop a packet, or lose a reply, under a uniform scheduler (engine/probability.ts):
   * a weight of interleavings, not a rate a kernel shows; undefined where not computed. */
  readonly share?: { readonly drop?: number; readonly lost?: number };
}

export interface LiveOptions {
  readonly tries: number;
  /** glibc's pattern: one thread, one sendmmsg() with every query. */
  readonly sendmmsg: boolean;
}

interface Try {
  readonly sent: number;
  readonly replies: number; // -1: not measured (TCP)
  readonly insert_failed: number;
  readonly drop: number;
  readonly clash_resolve: number;
}

export type Outcome = "packet dropped" | "reply lost" | "clash resolved" | "stale mapping";

export interface OutcomeRow {
  readonly outcome: Outcome;
  /** n/a: the model has no such outcome for this scenario (no replies for TCP). */
  readonly model: "reachable" | "unreachable" | "n/a";
  /** Tries in which the kernel showed it; null when it cannot be observed here. */
  readonly seenIn: number | null;
  readonly agree: boolean;
  /** The model's share of schedules that show it under a uniform scheduler (Prediction.share), beside seenIn. */
  readonly share?: number;
}

export interface LiveReport {
  readonly scenario: string;
  readonly uname: string;
  readonly variant: string;
  readonly tries: number;
  /** threads: one pinned thread per packet, at once; sendmmsg: glibc's one call; sequence: an after-reply chain from one
   * socket; stream: a one-way stream from one socket while the control plane runs its program. */
  readonly pattern: "threads" | "sendmmsg" | "sequence" | "stream";
  readonly cpus: number[];
  readonly outcomes: OutcomeRow[];
  /** Counter totals one run can leave, per the model. */
  readonly modelCounters: Counters[];
  /** Distinct per-try counter changes the kernel showed, with how many tries. */
  readonly kernelCounters: { counters: Counters; tries: number; inModel: boolean }[];
  /** Queries each answering address received (UDP), and what the client got back. */
  readonly received: { at: string; queries: number }[];
  readonly sent: number;
  readonly replies: number | null;
  /** With an NFQUEUE rule: the program's batches of verdicts (of more than one packet) in queue order and reversed,
   * and the packets it gave verdicts on. */
  readonly queue?: { readonly fifo: number; readonly reversed: number; readonly packets: number };
  readonly agree: boolean;
}

/** The kernel the model takes the running one for: its release, with the stable backports of its stable number
 * (kernel/stable.ts; a distro's own backports are not known); the base for an older kernel, the newest known for
 * a newer one. */
export function closestVariant(major: number, minor: number, stable?: number): string {
  const v = { major, minor, ...(stable ? { stable } : {}) };
  if (compareVersions(v, parseVersion(OLDEST)!) < 0) return OLDEST;
  if (compareVersions({ major, minor }, parseVersion(CANDIDATE)!) >= 0) return CANDIDATE;
  const name = formatVersion(v);
  // A release that never was (v5.20): the newest release before it.
  return MAINLINE.includes(mainlineOf(v)) ? name : MAINLINE.filter((r) => compareVersions(parseVersion(r)!, v) < 0).at(-1)!;
}

async function sendTries(sc: Scenario, t: Topology, bin: string, opts: LiveOptions, cpus: number[]): Promise<Try[]> {
  const chain = afterReplyChain(sc);
  const mode = chain ? "udp-seq" : sc.protocol === "tcp" ? "tcp-syn" : sc.protocol === "icmp" ? "icmp" : opts.sendmmsg ? "udp-sendmmsg" : "udp";
  const p = sc.packets[0]!;
  // A chain goes from one socket to each packet's destination in turn; packets at once go to the first's.
  const to = chain ? sc.packets.map((q) => formatHostPort(q.to, sc.addrs)).join(",") : formatHostPort(p.to, sc.addrs);
  const args = ["netns", "exec", t.client, bin, "send", mode, sc.addrs[p.from.addr]!, to, chain ? "-" : cpus.join(","), String(opts.tries), String(t.statPid)];
  const child = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
  t.children.push(child);
  const tries: Try[] = [];
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  for await (const line of createInterface({ input: child.stdout! })) tries.push(JSON.parse(line) as Try);
  const code: number = child.exitCode ?? (await new Promise((res) => child.on("exit", (c) => res(c ?? 1))));
  if (code !== 0) throw new LiveUnavailable(`live: the sender failed: ${err.trim().split("\n")[0] ?? code}`);
  return tries;
}

/** An outcome beside the model's word on it (`reachable`: undefined when the model has no such outcome here): the
 * kernel agrees unless it showed what the model calls unreachable. */
export function outcomeRow(outcome: Outcome, reachable: boolean | undefined, seenIn: number | null, share?: number): OutcomeRow {
  return {
    outcome,
    model: reachable === undefined ? "n/a" : reachable ? "reachable" : "unreachable",
    seenIn,
    agree: reachable === true || seenIn === null || seenIn === 0,
    ...(share !== undefined ? { share } : {}),
  };
}

/** The distinct per-try counter changes the kernel showed, most frequent first, each with whether a finished model
 * run leaves it (`model`). */
export function tallyCounters(tries: readonly Counters[], model: readonly Counters[]): LiveReport["kernelCounters"] {
  const modelKeys = new Set(model.map(counterKey));
  const seen = new Map<string, { counters: Counters; tries: number; inModel: boolean }>();
  for (const c of tries) {
    const key = counterKey(c);
    const e = seen.get(key) ?? { counters: c, tries: 0, inModel: modelKeys.has(key) };
    e.tries++;
    seen.set(key, e);
  }
  return [...seen.values()].sort((a, b) => b.tries - a.tries);
}

/** `predict` gives the model's answer for the variant closest to the running kernel. */
export async function runLive(sc: Scenario, opts: LiveOptions, predict: (sc: Scenario, variant: string) => Prediction): Promise<LiveReport> {
  const unsupported = liveUnsupported(sc);
  if (unsupported) throw new LiveUnavailable(`live: scenario ${sc.name} uses ${unsupported}, which the live harness does not build`);
  checkHost();
  const bin = liveBinary();
  const k = kernelVersion();
  const variant = closestVariant(k.major, k.minor, k.stable);
  const want = predict(sc, variant);
  const v510 = resolveKernel(variant).parts.includes("bc92470413f3");
  const cpus = sc.packets.map((p) => p.cpu);
  const t = await build(sc, bin, sc.nfqueue ? nfqBinary() : undefined);
  let tries: Try[];
  let received: { at: string; queries: number }[];
  let queue: LiveReport["queue"];
  try {
    tries = await sendTries(sc, t, bin, opts, cpus);
    received = await collectAnswers(t);
    if (sc.nfqueue) queue = queueBatches(t);
  } finally {
    teardown(t);
  }
  const count = (f: (x: Try) => boolean): number => tries.filter(f).length;
  // Before v5.10 a resolved clash shows only as insert_failed without drop.
  const resolvedIn = count((x) => (v510 ? x.clash_resolve > 0 : x.insert_failed > x.drop));
  const row = outcomeRow;
  const outcomes = [
    row("packet dropped", want.drop, count((x) => x.drop > 0), want.share?.drop),
    row("reply lost", want.lost, want.lost === undefined || (sc.protocol !== "udp" && sc.protocol !== "icmp") ? null : count((x) => x.replies >= 0 && x.replies < x.sent - x.drop), want.share?.lost),
    row("clash resolved", want.resolved, resolvedIn),
  ];
  const kernelCounters = tallyCounters(
    tries.map((x) => ({ insert_failed: x.insert_failed, drop: x.drop, clash_resolve: x.clash_resolve })),
    want.counters,
  );
  return {
    scenario: sc.name,
    uname: k.text,
    variant,
    tries: tries.length,
    pattern: afterReplyChain(sc) ? "sequence" : opts.sendmmsg ? "sendmmsg" : "threads",
    cpus,
    outcomes,
    modelCounters: want.counters,
    kernelCounters,
    received,
    sent: tries.reduce((a, x) => a + x.sent, 0),
    replies: sc.protocol === "udp" || sc.protocol === "icmp" ? tries.reduce((a, x) => a + x.replies, 0) : null,
    ...(queue ? { queue } : {}),
    agree: outcomes.every((o) => o.agree) && kernelCounters.every((c) => c.inModel),
  };
}
