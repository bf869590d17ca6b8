/**
 * `conntrack-mc live` against the running kernel, in network namespaces the
 * harness creates and removes. Needs root and namespaces; elsewhere these
 * tests are skipped with the reason in their names.
 */
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { checkHost } from "../src/live/host.js";
import { closestVariant } from "../src/live/run.js";

function unavailable(): string | undefined {
  try {
    checkHost();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
const reason = unavailable();
if (reason) console.warn(`live tests skipped: ${reason}`);
const liveIt = reason ? it.skip : it;
const title = (t: string): string => (reason ? `${t} [skipped: ${reason}]` : t);

/** Stress cannot force a race: retry a few runs before calling an outcome unseen. */
function liveUntil(seen: (rep: { outcomes: Row[] }) => boolean, ...args: string[]) {
  let r = live(...args);
  for (let i = 0; i < 3 && r.code === 0 && !seen(r.report); i++) r = live(...args);
  return r;
}

/** One run of the command; each must stay under a minute. */
function live(...args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", "live", ...args, "--json"], { encoding: "utf8", timeout: 60_000 });
  const seconds = (Date.now() - started) / 1000;
  expect(seconds).toBeLessThan(60);
  return { code: r.status, report: r.stdout ? JSON.parse(r.stdout) : undefined, err: r.stderr, seconds };
}

const leftovers = (pid: number): string[] =>
  spawnSync("ip", ["netns", "list"], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => l.startsWith(`ctmc-${pid}-`));

type Row = { outcome: string; model: string; seenIn: number | null; agree: boolean };
const row = (rep: { outcomes: Row[] }, o: string): Row => rep.outcomes.find((x) => x.outcome === o)!;

/** A UDP scenario on a kernel that resolves clashes: agreement, resolutions seen, nothing dropped or lost. */
function resolvedWithoutLoss(scenario: string) {
  const r = liveUntil((rep) => row(rep, "clash resolved").seenIn! > 0, scenario, "--tries", "2000");
  expect(r.code).toBe(0);
  expect(r.report.agree).toBe(true);
  expect(row(r.report, "clash resolved").seenIn).toBeGreaterThan(0);
  expect(row(r.report, "packet dropped").seenIn).toBe(0);
  expect(row(r.report, "reply lost").seenIn).toBe(0);
  return r;
}

describe("live: the running kernel beside the model", () => {
  it("takes the running kernel for its release, with its stable number's backports", () => {
    expect(closestVariant(6, 18)).toBe("v6.18");
    expect(closestVariant(6, 18, 44)).toBe("v6.18.44");
    expect(closestVariant(6, 1, 0)).toBe("v6.1");
    expect(closestVariant(3, 10)).toBe("v4.6");
    expect(closestVariant(4, 21)).toBe("v4.20");
    expect(closestVariant(7, 2)).toBe("v7.2");
    expect(closestVariant(8, 0)).toBe("v7.2");
  });

  liveIt(title("dns-a-aaaa: clashes resolved, no drop, every reply back"), () => {
    const r = resolvedWithoutLoss("dns-a-aaaa");
    expect(row(r.report, "clash resolved").model).toBe("reachable");
  });

  liveIt(title("dns-a-aaaa-2-endpoints: clashes resolved (NAT_CLASH insertion), no drop, every reply back"), () => {
    const r = resolvedWithoutLoss("dns-a-aaaa-2-endpoints");
    for (const c of r.report.kernelCounters) expect(c.inModel).toBe(true);
    // Both endpoints answered, and every query reached one of them and came back.
    expect(r.report.received).toHaveLength(2);
    for (const x of r.report.received) expect(x.queries).toBeGreaterThan(0);
    expect(r.report.received.reduce((a: number, x: { queries: number }) => a + x.queries, 0)).toBe(r.report.sent);
    expect(r.report.replies).toBe(r.report.sent);
  });

  liveIt(title("tcp-syn: identical SYNs from two CPUs are dropped, as the model says"), () => {
    const r = liveUntil((rep) => row(rep, "packet dropped").seenIn! > 0, "tcp-syn", "--tries", "2000");
    expect(r.code).toBe(0);
    expect(r.report.agree).toBe(true);
    expect(row(r.report, "packet dropped").model).toBe("reachable");
    expect(row(r.report, "packet dropped").seenIn).toBeGreaterThan(0);
    expect(row(r.report, "clash resolved").seenIn).toBe(0);
  });

  liveIt(title("icmp-echo-clash: two echo requests of one id from two CPUs, dropped exactly when the model says"), () => {
    const r = liveUntil((rep) => row(rep, "packet dropped").model === "unreachable" || row(rep, "packet dropped").seenIn! > 0, "icmp-echo-clash", "--tries", "500");
    expect(r.code).toBe(0);
    expect(r.report.agree).toBe(true);
    // The model for this kernel decides (f7becf0dad8f, v7.0, gives ICMP allow_clash): seen if reachable, never if not.
    const drop = row(r.report, "packet dropped");
    if (drop.model === "reachable") expect(drop.seenIn).toBeGreaterThan(0);
    else expect(drop.seenIn).toBe(0);
    expect(row(r.report, "reply lost").seenIn).toBe(0);
  });

  liveIt(title("reverse-nat-direct: a DNATed flow, then the same socket straight to the backend, as the model says"), () => {
    const r = live("reverse-nat-direct", "--tries", "300");
    expect(r.code).toBe(0);
    expect(r.report.pattern).toBe("sequence");
    expect(r.report.agree).toBe(true);
    // Sequential packets: what the model calls reachable is not a race, so the kernel shows it in every try.
    const drop = row(r.report, "packet dropped");
    expect(drop.seenIn).toBe(drop.model === "reachable" ? 300 : 0);
    if (drop.model === "unreachable") expect(r.report.replies).toBe(r.report.sent);
  });

  liveIt(title("nodelocaldns: NOTRACK leaves nothing to clash, every reply back"), () => {
    const r = live("nodelocaldns", "--tries", "1000");
    expect(r.code).toBe(0);
    expect(r.report.agree).toBe(true);
    expect(r.report.kernelCounters).toEqual([{ counters: { insert_failed: 0, drop: 0, clash_resolve: 0 }, tries: 1000, inModel: true }]);
    expect(row(r.report, "reply lost").seenIn).toBe(0);
  });

  liveIt(title("glibc's single-thread sendmmsg() pattern does not race"), () => {
    const r = live("dns-a-aaaa", "--tries", "500", "--sendmmsg");
    expect(r.code).toBe(0);
    expect(r.report.pattern).toBe("sendmmsg");
    expect(row(r.report, "clash resolved").seenIn).toBe(0);
  });

  liveIt(title("an interrupted run removes its namespaces"), async () => {
    const child = spawn(process.execPath, ["bin/conntrack-mc.js", "live", "dns-a-aaaa", "--tries", "1000000"], { stdio: "ignore" });
    for (let i = 0; i < 200 && leftovers(child.pid!).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(leftovers(child.pid!)).toHaveLength(3);
    child.kill("SIGINT");
    const code = await new Promise((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(130);
    expect(leftovers(child.pid!)).toEqual([]);
  });

  liveIt(title("endpoint-removed: the ruleset swapped and conntrack -D run for real beside a stream, as the model says"), () => {
    const r = live("endpoint-removed", "--tries", "30");
    expect(r.code).toBe(0);
    expect(r.report.pattern).toBe("stream");
    expect(r.report.agree).toBe(true);
    // Reachable in the model; the kernel's window (one packet between DNAT and confirm, microseconds) is rarely hit.
    expect(row(r.report, "stale mapping").model).toBe("reachable");
    expect(row(r.report, "packet dropped").seenIn).toBe(0);
    // The stream reached both endpoints: before the swap either, after it the one left.
    expect(r.report.received.filter((x: { queries: number }) => x.queries > 0).length).toBeGreaterThan(0);
  });

  liveIt(title("a delete before the ruleset swap leaves stale mappings the kernel shows, as the model says"), () => {
    const r = liveUntil((rep) => row(rep, "stale mapping").seenIn! > 0, "examples/scenarios/endpoint-removed-delete-first.yaml", "--tries", "30");
    expect(r.code).toBe(0);
    expect(r.report.agree).toBe(true);
    expect(row(r.report, "stale mapping").model).toBe("reachable");
    expect(row(r.report, "stale mapping").seenIn).toBeGreaterThan(0);
  });

  liveIt(title("nfqueue-dns: A and AAAA held by a real NFQUEUE program and reinjected in both orders, as the model says"), () => {
    const r = liveUntil((rep) => row(rep, "reply lost").model === "unreachable" || row(rep, "reply lost").seenIn! > 0, "nfqueue-dns", "--tries", "60");
    expect(r.code).toBe(0);
    expect(r.report.agree).toBe(true);
    // The program held both packets of a try and gave its verdicts in queue order and reversed, batch about.
    expect(r.report.queue.packets).toBe(r.report.sent);
    expect(r.report.queue.fifo).toBeGreaterThan(0);
    expect(r.report.queue.reversed).toBeGreaterThan(0);
    const lost = row(r.report, "reply lost");
    // Both packets are queued before either is reinjected: the second meets the first's entry in every try.
    if (lost.model === "unreachable") expect(r.report.replies).toBe(r.report.sent);
    else expect(lost.seenIn).toBeGreaterThan(0);
  });

  it("refuses bridged frames and copies of a packet, in one line, exit 2", () => {
    for (const s of ["bridge-clones", "nfqueue-gso"]) {
      const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", "live", s], { encoding: "utf8" });
      expect(r.status, s).toBe(2);
      expect(r.stderr).toBe(`conntrack-mc: live: scenario ${s} uses bridged frames or copies of a packet (segments, clones), which the live harness does not build\n`);
    }
  });

  it("refuses a control plane it cannot run, in one line, exit 2", () => {
    const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", "live", "flush-nat-clash"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^conntrack-mc: live: scenario flush-nat-clash uses a control plane that flushes or removes a helper or timeout policy, which the live harness does not build\n$/);
  });

  it("refuses what it cannot build, in one line, exit 2", () => {
    const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", "live", "snat-port-race"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^conntrack-mc: live: scenario snat-port-race uses packets of different flows, which the live harness does not build\n$/);
  });
});
