/**
 * The scenario's hosts as network namespaces the harness creates: a client,
 * the node that does conntrack and NAT, and a server holding the endpoints
 * (or the service itself). Every address is one the harness assigns inside
 * these namespaces, the service address too; nothing is sent elsewhere.
 * Everything it creates is removed by `teardown`, which is safe to call twice.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { HostPort, Scenario } from "../scenario/scenario.js";
import { formatHostPort, sameHostPort } from "../scenario/scenario.js";
import { LiveUnavailable, sh } from "./host.js";

export interface Topology {
  readonly client: string;
  readonly node: string;
  readonly server: string;
  /** A process inside the node namespace, for /proc/PID/net/stat/nf_conntrack. */
  statPid: number;
  /** The NFQUEUE program and its output lines after "ready" (one JSON line a batch of verdicts). */
  queue?: { child: ChildProcess; lines: string[] };
  /** The UDP answerer and its output lines after "ready". */
  answerer?: { child: ChildProcess; lines: string[] };
  readonly children: ChildProcess[];
  torn: boolean;
}

/** What the harness can build; anything else is refused before it touches the host. */
export function liveUnsupported(sc: Scenario): string | undefined {
  if (sc.protocol === "gre" || sc.protocol === "generic") return `${sc.protocol} flows`;
  if (sc.dnat?.choice === "consistent") return "a consistent-hash DNAT rule";
  const chain = afterReplyChain(sc);
  if (sc.packets.some((p) => p.afterReply !== undefined) && !chain) return "after-reply other than a chain (each packet sent once the one before was answered)";
  if (chain && sc.protocol !== "udp") return `an after-reply chain of ${sc.protocol} packets`;
  if (sc.packets.some((p) => !p.nat)) return "packets that skip the NAT hooks";
  if (sc.deletes.length) return "conntrack -D of named packets' entries during the run (a control plane's { delete: ... } by filter is built)";
  if (sc.control.some((op) => op.kind === "flush" || op.kind === "remove-helper" || op.kind === "remove-timeout-policy")) return "a control plane that flushes or removes a helper or timeout policy";
  if (sc.control.length && sc.protocol !== "udp") return `a control plane over ${sc.protocol} flows`;
  if (sc.snat.ports || sc.snat.randomFully) return "a MASQUERADE port range";
  if (sc.packets.some((p) => p.cloneOf !== undefined || p.bridge !== undefined)) return "bridged frames or copies of a packet (segments, clones)";
  const q = sc.nfqueue;
  if (q && q.hook !== "postrouting") return `an NFQUEUE rule in ${q.hook} (the node forwards the client's packets: the harness queues in POSTROUTING, after DNAT)`;
  if (q && (q.threads > 1 || q.verdicts.includes("drop"))) return "an NFQUEUE program with two threads or drop verdicts";
  const from = sc.packets[0]!.from;
  // A chain is sent from one socket, each packet to its own destination; packets at once share one.
  if (sc.packets.some((p) => !sameHostPort(p.from, from) || (!chain && !sameHostPort(p.to, sc.packets[0]!.to)))) {
    return "packets of different flows";
  }
  if (sc.dnat && !sameHostPort(sc.packets[0]!.to, sc.dnat.service)) return "a first packet not sent to the DNAT rule's service";
  const answered = answerersOf(sc);
  if (chain && sc.packets.some((p) => !(sc.dnat && sameHostPort(p.to, sc.dnat.service)) && !answered.some((a) => sameHostPort(a, p.to)))) {
    return "a packet to an address nothing answers";
  }
  return undefined;
}

/** Every packet after the first is sent once the one before it was answered (resolv.conf single-request, or a flow
 * and then another from the same socket): the harness sends them in turn from one socket. */
export function afterReplyChain(sc: Scenario): boolean {
  return sc.packets.length > 1 && sc.packets.every((p, i) => (i === 0 ? p.afterReply === undefined : p.afterReply === i - 1));
}

/** Who answers: the endpoints behind DNAT, or else the service host (or, NOTRACK'd, the node's local cache). */
const answerersOf = (sc: Scenario): readonly HostPort[] => (sc.dnat ? sc.dnat.endpoints : [sc.packets[0]!.to]);

const ipn = (ns: string, ...args: string[]): string => sh("ip", ["-n", ns, ...args]);
const inNs = (ns: string, cmd: string, ...args: string[]): string => sh("ip", ["netns", "exec", ns, cmd, ...args]);

/** `nfq`: the NFQUEUE program (host.ts nfqBinary), for a scenario with an nfqueue rule. */
export async function build(sc: Scenario, bin: string, nfq?: string): Promise<Topology> {
  const base = `ctmc-${process.pid}`;
  const t: Topology = { client: `${base}-client`, node: `${base}-node`, server: `${base}-server`, statPid: 0, children: [], torn: false };
  active.add(t);
  try {
    for (const ns of [t.client, t.node, t.server]) {
      sh("ip", ["netns", "add", ns]);
      ipn(ns, "link", "set", "lo", "up");
    }
    const addr = (i: number): string => sc.addrs[i]!;
    const clientAddr = addr(sc.packets[0]!.from.addr);
    const service = sc.packets[0]!.to;
    const taken = new Set(sc.addrs);
    const pick = (candidates: string[]): string => candidates.find((a) => !taken.has(a))!;
    // The node's own address on each link: the gateway of that side.
    const gwClient = pick(["10.253.0.1", "10.253.0.2"]);
    const gwServer = sc.snat.mode === "masquerade" ? addr(sc.snat.to!) : pick(["10.253.1.1", "10.253.1.2"]);
    sh("ip", ["link", "add", "vc", "netns", t.client, "type", "veth", "peer", "name", "vn1", "netns", t.node]);
    sh("ip", ["link", "add", "vs", "netns", t.server, "type", "veth", "peer", "name", "vn2", "netns", t.node]);
    ipn(t.client, "addr", "add", `${clientAddr}/32`, "dev", "vc");
    ipn(t.client, "link", "set", "vc", "up");
    ipn(t.client, "route", "add", "default", "via", gwClient, "dev", "vc", "onlink");
    ipn(t.node, "addr", "add", `${gwClient}/32`, "dev", "vn1");
    ipn(t.node, "addr", "add", `${gwServer}/32`, "dev", "vn2");
    ipn(t.node, "link", "set", "vn1", "up");
    ipn(t.node, "link", "set", "vn2", "up");
    ipn(t.node, "route", "add", `${clientAddr}/32`, "dev", "vn1");
    inNs(t.node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    // Who answers: the endpoints behind DNAT, the node itself for a NOTRACK'd
    // local cache, or else the service host.
    const answerNs = sc.notrack ? t.node : t.server;
    const answerers = answerersOf(sc);
    for (const hp of answerers) {
      const a = addr(hp.addr);
      if (answerNs === t.server) {
        ipn(t.server, "addr", "add", `${a}/32`, "dev", "vs");
        ipn(t.node, "route", "add", `${a}/32`, "dev", "vn2");
      } else ipn(t.node, "addr", "add", `${a}/32`, "dev", "lo");
    }
    ipn(t.server, "link", "set", "vs", "up");
    ipn(t.server, "route", "add", "default", "via", gwServer, "dev", "vs", "onlink");
    if (sc.dnat) ipn(t.node, "addr", "add", `${addr(service.addr)}/32`, "dev", "lo");
    installRules(sc, t.node, addr);
    // A process inside the node namespace whose /proc/PID/net shows its counters.
    const holder = spawn("ip", ["netns", "exec", t.node, "sleep", "3600"], { stdio: "ignore" });
    t.children.push(holder);
    t.statPid = holder.pid!;
    if (sc.protocol === "udp") {
      const srv = spawn("ip", ["netns", "exec", answerNs, bin, "serve", ...answerers.map((hp) => formatHostPort(hp, sc.addrs))], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      t.children.push(srv);
      const lines: string[] = [];
      const rl = createInterface({ input: srv.stdout! });
      rl.on("line", (l) => lines.push(l));
      for (let i = 0; i < 250 && lines.length === 0 && srv.exitCode === null; i++) await new Promise((r) => setTimeout(r, 20));
      if (lines.shift() !== "ready") throw new LiveUnavailable("live: the UDP answerer did not start");
      t.answerer = { child: srv, lines };
    }
    if (sc.nfqueue) await startQueue(sc, t, nfq!, addr(sc.packets[0]!.from.addr));
    // The holder has exec'd into sleep once its namespace link resolves.
    await waitForNs(t.statPid, t.node);
    return t;
  } catch (e) {
    teardown(t);
    throw e;
  }
}

/** The scenario's NFQUEUE rule in the node (mangle POSTROUTING: after DNAT, before SNAT and confirm) and the program
 * that answers it: it holds as many packets as a try sends, then gives its verdicts in queue order (`fifo`), or in
 * queue order and reversed, batch about (`any`); a batch short of that after 300 ms goes as it is. */
async function startQueue(sc: Scenario, t: Topology, nfq: string, client: string): Promise<void> {
  const q = sc.nfqueue!;
  inNs(t.node, "iptables", "-w", "-t", "mangle", "-A", "POSTROUTING", "-s", client, "-p", sc.protocol, "-j", "NFQUEUE", "--queue-num", "0");
  const prog = spawn("ip", ["netns", "exec", t.node, nfq, "0", String(sc.packets.length), q.order === "fifo" ? "fifo" : "alternate", "300"], { stdio: ["ignore", "pipe", "pipe"] });
  t.children.push(prog);
  const lines: string[] = [];
  const err: string[] = [];
  createInterface({ input: prog.stdout! }).on("line", (l) => lines.push(l));
  createInterface({ input: prog.stderr! }).on("line", (l) => err.push(l));
  for (let i = 0; i < 250 && lines.length === 0 && prog.exitCode === null; i++) await new Promise((r) => setTimeout(r, 20));
  if (lines.shift() !== "ready") throw new LiveUnavailable(`live: the NFQUEUE program did not start${err.length ? `: ${err[0]}` : ""}`);
  t.queue = { child: prog, lines };
}

async function waitForNs(pid: number, ns: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync("ip", ["netns", "identify", String(pid)], { encoding: "utf8" });
    if (r.stdout.trim() === ns) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new LiveUnavailable(`live: the counter reader did not enter ${ns}`);
}

function installRules(sc: Scenario, node: string, addr: (i: number) => string): void {
  const ipt = (...args: string[]): string => inNs(node, "iptables", "-w", ...args);
  const svc = sc.dnat?.service ?? sc.packets[0]!.to;
  const proto = sc.protocol;
  if (sc.notrack) {
    // NodeLocal DNSCache: untracked in both directions, before conntrack (-300).
    ipt("-t", "raw", "-A", "PREROUTING", "-d", addr(svc.addr), "-p", proto, "--dport", String(svc.port), "-j", "NOTRACK");
    ipt("-t", "raw", "-A", "OUTPUT", "-s", addr(svc.addr), "-p", proto, "--sport", String(svc.port), "-j", "NOTRACK");
  }
  if (sc.natTable) restoreNat(sc, node, 0);
  // Conntrack itself, also where no NAT rule loads it.
  ipt("-t", "filter", "-A", "FORWARD", "-m", "conntrack", "--ctstate", "INVALID", "-j", "RETURN");
}

/** The nat table with the DNAT rule's endpoint set `set` (Dnat.sets), as iptables-restore input: one atomic swap of
 * the whole table, as kube-proxy's iptables-restore does. */
function natTable(sc: Scenario, set: number): string {
  const addr = (i: number): string => sc.addrs[i]!;
  const lines = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"];
  const d = sc.dnat;
  if (d) {
    // kube-proxy's shape: rule i matches with probability 1/(n-i), the last one always.
    const eps = d.sets[set]!.map((e) => d.endpoints[e]!);
    const ports = sc.protocol === "udp" || sc.protocol === "tcp" ? ` -m ${sc.protocol} --dport ${d.service.port}` : "";
    const match = `-d ${addr(d.service.addr)}/32 -p ${sc.protocol}${ports}`;
    eps.forEach((ep, i) => {
      const stat = i < eps.length - 1 ? ` -m statistic --mode random --probability ${(1 / (eps.length - i)).toFixed(5)}` : "";
      lines.push(`-A PREROUTING ${match}${stat} -j DNAT --to-destination ${addr(ep.addr)}:${ep.port}`);
    });
  }
  if (sc.snat.mode === "masquerade") lines.push("-A POSTROUTING -o vn2 -j MASQUERADE");
  else lines.push("-A POSTROUTING -o lo -j RETURN"); // an active nat table: null bindings
  return [...lines, "COMMIT", ""].join("\n");
}

/** Swaps the node's nat table to the DNAT rule's endpoint set `set`, atomically. */
export function restoreNat(sc: Scenario, node: string, set: number): void {
  const r = spawnSync("ip", ["netns", "exec", node, "iptables-restore", "-w"], { input: natTable(sc, set), encoding: "utf8" });
  if (r.status !== 0) throw new LiveUnavailable(`live: iptables-restore failed: ${(r.stderr || r.stdout).trim().split("\n")[0]}`);
}

/** Stops the answerer and returns how many queries each of its addresses received. */
export async function collectAnswers(t: Topology): Promise<{ at: string; queries: number }[]> {
  const a = t.answerer;
  if (!a || a.child.exitCode !== null) return [];
  const exited = once(a.child, "exit");
  a.child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
  const line = a.lines.find((l) => l.startsWith("{"));
  return line ? (JSON.parse(line) as { received: { at: string; queries: number }[] }).received : [];
}

/** How many batches of verdicts the NFQUEUE program gave in queue order and reversed, and the packets in them. */
export function queueBatches(t: Topology): { fifo: number; reversed: number; packets: number } {
  const out = { fifo: 0, reversed: 0, packets: 0 };
  for (const l of t.queue?.lines ?? []) {
    if (!l.startsWith("{")) continue;
    const b = JSON.parse(l) as { held?: number; order?: string };
    if (b.held === undefined) continue;
    out.packets += b.held;
    if (b.held > 1) out[b.order === "reverse" ? "reversed" : "fifo"]++;
  }
  return out;
}

/** Topologies built and not yet torn down, for signal handlers. */
const active = new Set<Topology>();

/** Removes every topology still standing (on SIGINT, SIGTERM, SIGHUP). */
export function teardownAll(): void {
  for (const t of [...active]) teardown(t);
}

/** Removes what `build` created: its processes first, then the namespaces (and with them the veths and rules). */
export function teardown(t: Topology): void {
  if (t.torn) return;
  t.torn = true;
  active.delete(t);
  for (const c of t.children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const ns of [t.client, t.node, t.server]) {
    const pids = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) spawnSync("kill", ["-9", pid]);
    spawnSync("ip", ["netns", "del", ns]);
  }
}
