/**
 * `conntrack-mc live` for a scenario with a control plane (docs/scenarios.md, `control`): each try, a client streams
 * one-way UDP datagrams from one new socket (a new flow) to the service while the harness runs the control plane's
 * program on the node for real: the ruleset swapped with iptables-restore, `conntrack -D` with the scenario's filters
 * (conntrack-tools: a dump, then a delete per entry), and with `resync` the deletes again once the stream is over.
 * Then `conntrack -L` shows whether an entry still maps the flow to a removed endpoint: a stale mapping.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Counters } from "../kernel/properties/outcomes.js";
import { removedEndpoints } from "../kernel/properties/no-stale-mapping.js";
import type { DeleteFilter, Scenario } from "../scenario/scenario.js";
import { formatHostPort } from "../scenario/scenario.js";
import { checkHost, kernelVersion, liveBinary, LiveUnavailable, sh } from "./host.js";
import { build, collectAnswers, liveUnsupported, restoreNat, teardown, type Topology } from "./topology.js";
import { closestVariant, outcomeRow, tallyCounters, type LiveOptions, type LiveReport, type Prediction } from "./run.js";

/** Datagrams a try's stream sends, and the gap between them: long enough for the program to run inside it. */
const STREAM_PACKETS = 60;
const STREAM_GAP_US = 500;

interface ControlTry {
  readonly sent: number;
  readonly stale: boolean;
  readonly counters: Counters;
}

/** The conntrack -S counters of the node, summed over its CPUs (the hex columns of /proc/PID/net/stat/nf_conntrack). */
function readCounters(pid: number): Counters {
  const [head, ...rows] = readFileSync(`/proc/${pid}/net/stat/nf_conntrack`, "utf8").trim().split("\n");
  const cols = head!.trim().split(/\s+/);
  const sum = (...names: string[]): number => {
    const i = cols.findIndex((c) => names.includes(c));
    return i < 0 ? 0 : rows.reduce((a, r) => a + parseInt(r.trim().split(/\s+/)[i]!, 16), 0);
  };
  return { insert_failed: sum("insert_failed"), drop: sum("drop"), clash_resolve: sum("clashres", "clash_resolve") };
}

/** `conntrack -D`'s arguments for a filter (conntrack-tools' names). */
function deleteArgs(sc: Scenario, f: DeleteFilter): string[] {
  const a = (i: number): string => sc.addrs[i]!;
  return [
    "-D",
    "-p",
    f.protocol ?? sc.protocol,
    ...(f.origDst ? ["--orig-dst", a(f.origDst.addr), "--dport", String(f.origDst.port)] : []),
    ...(f.replySrc ? ["--reply-src", a(f.replySrc.addr), "--reply-port-src", String(f.replySrc.port)] : []),
  ];
}

/** conntrack in the node's namespace; "0 flow entries" (nothing matched) is exit 1 there, not a failure. */
function conntrack(t: Topology, args: readonly string[]): string {
  const r = spawnSync("ip", ["netns", "exec", t.node, "conntrack", ...args], { encoding: "utf8" });
  if (r.error || (r.status !== 0 && !/0 flow entries/.test(r.stderr))) throw new LiveUnavailable(`live: 'conntrack ${args.join(" ")}' failed: ${(r.stderr || String(r.status)).trim().split("\n")[0]}`);
  return r.stdout;
}


async function oneTry(sc: Scenario, t: Topology, bin: string, delayMs: number, removed: Set<string>): Promise<ControlTry> {
  restoreNat(sc, t.node, 0);
  conntrack(t, ["-F"]);
  const before = readCounters(t.statPid);
  const p = sc.packets[0]!;
  const child = spawn("ip", ["netns", "exec", t.client, bin, "stream", sc.addrs[p.from.addr]!, formatHostPort(p.to, sc.addrs), String(STREAM_PACKETS), String(STREAM_GAP_US)], { stdio: ["ignore", "pipe", "pipe"] });
  t.children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  // "close", not "exit": its output is read to the end by then.
  const exited = new Promise<number>((res) => child.on("close", (c) => res(c ?? 1)));
  await new Promise((r) => setTimeout(r, delayMs));
  const deletes = sc.control.filter((op) => op.kind === "delete");
  for (const op of sc.control) {
    if (op.kind === "endpoints") restoreNat(sc, t.node, op.set);
    else if (op.kind === "delete") conntrack(t, deleteArgs(sc, op.filter));
  }
  if ((await exited) !== 0) throw new LiveUnavailable("live: the stream sender failed");
  // A resync: the reconciler's next period comes after the stream.
  if (sc.resync) for (const op of deletes) if (op.kind === "delete") conntrack(t, deleteArgs(sc, op.filter));
  const m = /^\{"sent":(\d+),"sport":(\d+)\}$/m.exec(out);
  if (!m) throw new LiveUnavailable(`live: the stream sender printed no report: ${out.trim().split("\n")[0] ?? ""}`);
  const [sent, sport] = [Number(m[1]), Number(m[2])];
  // An entry of this try's flow whose REPLY source is a removed endpoint: the next datagram would go there.
  const mine = conntrack(t, ["-L", "-p", "udp", "--sport", String(sport)]).split("\n");
  const stale = mine.some((l) => {
    const src = [...l.matchAll(/src=(\S+)/g)].map((m) => m[1]);
    const sp = [...l.matchAll(/sport=(\d+)/g)].map((m) => m[1]);
    return src.length === 2 && sp.length === 2 && removed.has(`${src[1]}:${sp[1]}`);
  });
  const after = readCounters(t.statPid);
  return { sent, stale, counters: { insert_failed: after.insert_failed - before.insert_failed, drop: after.drop - before.drop, clash_resolve: after.clash_resolve - before.clash_resolve } };
}

export async function runControl(sc: Scenario, opts: LiveOptions, predict: (sc: Scenario, variant: string) => Prediction): Promise<LiveReport> {
  const unsupported = liveUnsupported(sc);
  if (unsupported) throw new LiveUnavailable(`live: scenario ${sc.name} uses ${unsupported}, which the live harness does not build`);
  checkHost(["conntrack"]);
  const bin = liveBinary();
  const k = kernelVersion();
  const variant = closestVariant(k.major, k.minor, k.stable);
  const want = predict(sc, variant);
  const removed = new Set(removedEndpoints(sc).map((ep) => formatHostPort(ep, sc.addrs)));
  const t = await build(sc, bin);
  const tries: ControlTry[] = [];
  let received: { at: string; queries: number }[];
  try {
    // The program starts at a different point of the stream each try: 0 to 9 ms in (the stream lasts about 30 ms).
    for (let i = 0; i < opts.tries; i++) tries.push(await oneTry(sc, t, bin, i % 10, removed));
    received = await collectAnswers(t);
  } finally {
    teardown(t);
  }
  const count = (f: (x: ControlTry) => boolean): number => tries.filter(f).length;
  const row = outcomeRow;
  const outcomes = [row("stale mapping", want.stale, count((x) => x.stale)), row("packet dropped", want.drop, count((x) => x.counters.drop > 0))];
  const kernelCounters = tallyCounters(
    tries.map((x) => x.counters),
    want.counters,
  );
  return {
    scenario: sc.name,
    uname: k.text,
    variant,
    tries: tries.length,
    pattern: "stream",
    cpus: [sc.packets[0]!.cpu],
    outcomes,
    modelCounters: want.counters,
    kernelCounters,
    received,
    sent: tries.reduce((a, x) => a + x.sent, 0),
    replies: null,
    agree: outcomes.every((o) => o.agree) && kernelCounters.every((c) => c.inModel),
  };
}
