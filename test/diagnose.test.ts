/**
 * `diagnose`: distribution kernel strings, the node's counters and resolv.conf read, and the answer for a node held
 * against docs/kernel.md's table "Expected outcomes (clash races)" (race 3 drops from v5.0 to v5.5, resolved from v5.6)
 * and "Mitigations" (each holds on every release).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { consistency, settingOf } from "../src/app/diagnose.js";
import { parseDistroKernel, stableFromNode } from "../src/kernel/distro.js";
import { resolveKernel } from "../src/kernel/variants.js";
import { parseResolvConf } from "../src/node/resolv.js";
import { parseStats, risen } from "../src/node/stats.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8", env: { ...process.env, COLUMNS: "" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = mkdtempSync(join(tmpdir(), "ctmc-diagnose-"));
const file = (name: string, text: string): string => {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
};

describe("distribution kernel strings map to their upstream base", () => {
  it.each([
    ["5.15.0-91-generic", "Ubuntu", "v5.15"],
    ["5.4.0-150-generic", "Ubuntu", "v5.4"],
    ["6.8.0-1017-aws", "Ubuntu", "v6.8"],
    ["6.1.0-18-amd64", "Debian", "v6.1"],
    ["6.1.0-18-cloud-amd64", "Debian", "v6.1"],
    ["4.18.0-513.el8.x86_64", "RHEL 8", "v4.18"],
    ["5.14.0-427.13.1.el9_4.x86_64", "RHEL 9", "v5.14"],
    ["5.10.205-195.807.amzn2.x86_64", "Amazon Linux 2", "v5.10.205"],
    ["6.18.44-fc-v1300", "a vendor", "v6.18.44"],
    ["6.1.0-0.deb11.17-amd64", "Debian", "v6.1"],
    ["6.1.0-18-rt-686-pae", "Debian", "v6.1"],
    ["5.15.0-300.163.18.el8uek.x86_64", "Oracle UEK", "v5.15"],
    ["5.15.153.1-2.cm2", "a vendor", "v5.15.153"],
    ["6.1.21-v8+", "a vendor", "v6.1.21"],
  ])("%s is %s's build of %s, and says what is not known", (text, distro, version) => {
    const d = parseDistroKernel(text)!;
    expect(d.distro).toBe(distro);
    expect(resolveKernel(text).name).toBe(version);
    expect(d.uncertain).toMatch(/not|backport/);
  });

  it("uname -r's one trailing '+' (COS 6.1.58+) names no patch; v6.1+ still asks for one", () => {
    expect(resolveKernel("6.1.58+").name).toBe("v6.1.58");
    expect(() => resolveKernel("v6.1+")).toThrow(/expected a patch name after each '\+'/);
  });

  it("an upstream name is no distribution's; junk is neither", () => {
    expect(parseDistroKernel("v6.1")).toBeUndefined();
    expect(parseDistroKernel("6.1.147")).toBeUndefined();
    expect(parseDistroKernel("banana")).toBeUndefined();
  });

  it("the node's own word on its stable release: Ubuntu's version_signature, Debian's /proc/version", () => {
    expect(stableFromNode("Ubuntu 5.15.0-91.101-generic 5.15.131", undefined)).toEqual({ major: 5, minor: 15, stable: 131 });
    expect(stableFromNode(undefined, "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)")).toEqual({ major: 6, minor: 1, stable: 76 });
    expect(stableFromNode(undefined, "Linux version 6.18.44 #1 SMP")).toBeUndefined();
  });

  it("check --kernel takes one, says on stderr which release it models, and refuses one older than the base (exit 2)", () => {
    const r = cli("check", "dns-a-aaaa", "--kernel", "5.15.0-91-generic", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).kernel).toBe("v5.15");
    expect(r.err).toMatch(/5\.15\.0-91-generic: Ubuntu's build of v5\.15, modelled as v5\.15: .*not a stable release/);
    const old = cli("check", "dns-a-aaaa", "--kernel", "3.10.0-1160.el7.x86_64");
    expect(old.code).toBe(2);
    expect(old.err.trim().split("\n")).toHaveLength(1);
    expect(old.err).toMatch(/--kernel: unknown kernel variant '3\.10\.0-1160\.el7\.x86_64' \(RHEL 7's build of v3\.10\): it is older than v4\.6/);
  });
});

describe("the node's counters and resolv.conf", () => {
  const S = "cpu=0   \tfound=3 invalid=1 insert=0 insert_failed=4 drop=3 early_drop=0 error=0 search_restart=1 clash_resolve=2 chaintoolong=0\ncpu=1   \tfound=1 invalid=0 insert=0 insert_failed=1 drop=1 early_drop=2 error=0 search_restart=0 clash_resolve=5 chaintoolong=1\n";
  const PROC =
    "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n" +
    "00000010  00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000004 00000003 00000000 00000000  00000000 00000000 00000000 00000000\n" +
    "00000010  00000005 00000000 00000000 00000000 00000000 00000000 00000001 00000000 00000001 00000001 00000002 00000000  00000000 00000000 00000000 00000000\n";

  it("conntrack -S and /proc/net/stat/nf_conntrack give the same sums over CPUs", () => {
    const want = { insert_failed: 5, drop: 4, clash_resolve: 7, early_drop: 2, chaintoolong: 1 };
    expect(parseStats(S, "s")).toEqual(want);
    expect(parseStats(PROC, "p")).toEqual(want);
  });

  it("a counter the tools do not know (unknownN=V) is read and left out; conntrack -S without CAP_NET_ADMIN (name value) is read", () => {
    expect(parseStats("cpu=0 found=1 insert_failed=2 drop=1 unknown1=7\n", "s")).toEqual({ insert_failed: 2, drop: 1 });
    expect(parseStats("entries\t\t12\ninsert_failed\t\t3\ndrop\t\t2\n", "s")).toEqual({ insert_failed: 3, drop: 2 });
  });

  it("two readings give what rose between them; a counter that went down is refused", () => {
    const a = parseStats(S, "a");
    expect(risen(a, { ...a, drop: 10 })).toMatchObject({ drop: 6, insert_failed: 0 });
    expect(() => risen({ ...a, drop: 10 }, a)).toThrow(/drop went down from 10 to 4/);
  });

  it("a malformed reading names the file and the line", () => {
    expect(() => parseStats("cpu=0 found=x\n", "stats.txt")).toThrow(/^stats\.txt: line 1: expected key=value/);
    expect(() => parseStats("hello\n", "stats.txt")).toThrow(/^stats\.txt: line 1: expected 'cpu=N/);
    expect(() => parseStats("", "stats.txt")).toThrow(/^stats\.txt: empty/);
  });

  it("resolv.conf: the options that decide the race, and NodeLocal DNSCache's address", () => {
    const c = parseResolvConf("search default.svc.cluster.local\nnameserver 169.254.20.10\noptions ndots:5 single-request-reopen # pods\n");
    expect(c).toMatchObject({ singleRequestReopen: true, singleRequest: false, useVc: false, nodeLocal: true });
    expect(parseResolvConf("nameserver 10.96.0.10\n# options single-request\n").singleRequest).toBe(false);
  });

  it("consistency: every counter the counterexample raises rose, or not; it raises none; the reading lacks them", () => {
    expect(consistency({ insert_failed: 1, drop: 1 }, { insert_failed: 5, drop: 2 })).toBe("consistent");
    // Before v5.10 insert_failed without drop is what a resolved clash leaves: no evidence of a drop.
    expect(consistency({ insert_failed: 1, drop: 1 }, { insert_failed: 5, drop: 0 })).toBe("not-shown");
    expect(consistency({ insert_failed: 1, drop: 1 }, { insert_failed: 0, drop: 0 })).toBe("not-shown");
    expect(consistency({}, { insert_failed: 5 })).toBe("no-counter");
    expect(consistency({ clash_resolve: 1 }, { insert_failed: 5 })).toBe("not-in-reading");
    expect(consistency({ drop: 1 }, undefined)).toBe("not-read");
  });
});

interface Finding {
  class: string;
  consistency: string;
  raises: Record<string, number>;
  fixedIn: { release: string; adds: string[] } | null;
}
interface Answer {
  scenario: string;
  verdict: string;
  findings: Finding[];
  clashResolved: boolean;
  counters: { clash_resolve: number }[];
}

describe("diagnose on given facts", () => {
  const rising = file("conntrack-S-5.4.txt", "cpu=0   \tfound=10 invalid=2 ignore=7 insert=0 insert_failed=317 drop=317 early_drop=0 error=0 search_restart=1\ncpu=1   \tfound=9 invalid=1 ignore=5 insert=0 insert_failed=289 drop=289 early_drop=0 error=0 search_restart=0\n");

  it("5.4.0-150-generic, 2 endpoints, insert_failed rising: race 3 reachable and consistent, three mitigations hold, v5.6 fixes it", () => {
    const r = cli("diagnose", "--kernel", "5.4.0-150-generic", "--endpoints", "2", "--conntrack-stats", rising, "--json");
    expect(r.code).toBe(1);
    const d = JSON.parse(r.out);
    expect(d.kernel).toMatchObject({ given: "5.4.0-150-generic", modelled: "v5.4", distro: "Ubuntu" });
    expect(d.kernel.uncertain.join(" ")).toMatch(/backports/);
    const race: Answer = d.race;
    expect(race.scenario).toBe("dns-a-aaaa-2-endpoints");
    // docs/kernel.md: race 3 drops from v5.0 to v5.5 (insert_failed and drop), resolved from v5.6 (6a757c07e51f).
    expect(race.findings.map((f) => f.class)).toEqual(["race3"]);
    const f = race.findings[0]!;
    expect(f.raises).toEqual({ insert_failed: 1, drop: 1 });
    expect(f.consistency).toBe("consistent");
    expect(f.fixedIn).toMatchObject({ release: "v5.6" });
    expect(f.fixedIn!.adds).toContain("6a757c07e51f");
    const holds = (d.mitigations as { name: string; verdict: string }[]).filter((m) => m.verdict === "holds").map((m) => m.name);
    expect(holds).toEqual(expect.arrayContaining(["single-request-reopen", "nodelocaldns", "consistent-hash"]));
    const out = cli("diagnose", "--kernel", "5.4.0-150-generic", "--endpoints", "2", "--conntrack-stats", rising).out;
    for (const line of out.split("\n")) expect(line.length).toBeLessThanOrEqual(120);
    const text = out.replace(/\s+/g, " ");
    expect(text).toMatch(/race is reachable \(race3\); the counters are consistent with it; fixed in v5\.6/);
    for (const m of ["single-request-reopen", "nodelocaldns", "consistent-hash"]) expect(text).toMatch(new RegExp(`holds ${m}`));
  });

  it("6.1.0-18-amd64: the race is resolved (clash_resolve counts it) and it names what still loses a reply", () => {
    const r = cli("diagnose", "--kernel", "6.1.0-18-amd64", "--json");
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.kernel).toMatchObject({ modelled: "v6.1", distro: "Debian" });
    const race: Answer = d.race;
    expect(race.verdict).toBe("holds");
    expect(race.clashResolved).toBe(true);
    expect(race.counters.some((c) => c.clash_resolve > 0)).toBe(true);
    const losing = (d.others as Answer[]).filter((o) => o.verdict === "violated");
    expect(losing.length).toBeGreaterThan(0);
    expect(losing.flatMap((o) => o.findings.map((x) => x.class)).some((c) => /^reply-/.test(c))).toBe(true);
    const text = cli("diagnose", "--kernel", "6.1.0-18-amd64").out.replace(/\s+/g, " ");
    expect(text).toMatch(/reachable and resolved/);
    expect(text).toMatch(new RegExp(`What can still lose a query or reply: ${losing.map((o) => o.scenario).join(", ")}`));
  });

  it("a mitigation in effect (resolv.conf single-request-reopen) is the node's setting: it holds on v5.4, exit 0", () => {
    const conf = file("resolv.conf", "nameserver 10.96.0.10\noptions ndots:5 single-request-reopen\n");
    const r = cli("diagnose", "--kernel", "v5.4", "--resolv-conf", conf, "--json");
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.setting.resolver).toBe("single-request-reopen");
    expect(d.yours.scenario).toBe("single-request-reopen");
    expect(d.race.verdict).toBe("violated");
    expect(d.mitigations.find((m: { name: string }) => m.name === "single-request-reopen").inEffect).toBe(true);
  });

  it("a budget that stops the searches decides nothing: exit 3, and no 'not reachable'", () => {
    const r = cli("diagnose", "--kernel", "v5.4", "--max-states", "10");
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/not decided: a budget stopped the search/);
    expect(r.out).not.toMatch(/not reachable/);
  });

  it("the headline's fix is the release that fixes every class: 4.19 shows race2 and race3, v5.6 fixes both", () => {
    const d = JSON.parse(cli("diagnose", "--kernel", "4.19.0-26-amd64", "--json").out);
    expect(d.race.findings.map((f: Finding) => f.class)).toEqual(["race2", "race3"]);
    expect(cli("diagnose", "--kernel", "4.19.0-26-amd64").out.replace(/\s+/g, " ")).toMatch(/fixed in v5\.6 \(6a757c07e51f\) \(the last of its classes to go\)/);
  });

  it("--html refuses to overwrite an input; a huge input is refused without reading it whole", () => {
    const conf = file("in-resolv.conf", "nameserver 10.96.0.10\n");
    const r = cli("diagnose", "--kernel", "v5.4", "--resolv-conf", conf, "--html", conf);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--html .*in-resolv\.conf: it is an input of this run/);
    const z = cli("diagnose", "--kernel", "v5.4", "--conntrack-stats", "/dev/zero");
    expect(z.code).toBe(2);
    expect(z.err).toMatch(/--conntrack-stats \/dev\/zero: larger than 1 MiB/);
  });

  it("--html writes a page with the same answer", () => {
    const out = join(tmp, "d.html");
    const r = cli("diagnose", "--kernel", "v5.4", "--html", out);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(true);
  });

  it.each([
    [["--conntrack-stats", "/nonexistent/stats"], /^conntrack-mc: --conntrack-stats \/nonexistent\/stats: cannot read it \(ENOENT\)$/],
    [["--endpoints", "0"], /--endpoints/],
    [["--proxy", "kube"], /--proxy/],
    [["surplus"], /unexpected argument 'surplus'/],
  ])("bad input %j: one line, exit 2", (args, message) => {
    const r = cli("diagnose", "--kernel", "v5.4", ...args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")[0]).toMatch(message);
  });

  it("a malformed counters file names the file and line, exit 2", () => {
    const bad = file("bad-stats.txt", "cpu=0 found=1 insert_failed=oops\n");
    const r = cli("diagnose", "--kernel", "v5.4", "--conntrack-stats", bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad-stats\.txt: line 1: expected key=value with a whole number, got 'insert_failed=oops'/);
  });
});

describe("the setting", () => {
  const conf = parseResolvConf("nameserver 169.254.20.10\noptions single-request-reopen\n");
  it("a pod's resolv.conf (--resolv-conf) applies its options and NodeLocal DNSCache's address", () => {
    const s = settingOf({ kernel: { text: "v5.4", source: "--kernel" }, resolv: { source: "pod.conf", conf, fromNode: false } });
    expect(s).toMatchObject({ resolver: "single-request-reopen", nodelocaldns: true });
  });
  it("the node's own resolv.conf is not its pods': noted, not applied", () => {
    const s = settingOf({ kernel: { text: "v5.4", source: "uname -r" }, resolv: { source: "/etc/resolv.conf", conf, fromNode: true } });
    expect(s).toMatchObject({ resolver: "parallel", nodelocaldns: false });
    expect(s.notes.join(" ")).toMatch(/not its pods'.*single-request-reopen are not applied/);
  });
});

describe("diagnose on this node", () => {
  it("reads the running kernel (uname -r) and, where conntrack is loaded, its counters", () => {
    const r = cli("diagnose", "--json");
    expect([0, 1]).toContain(r.code);
    const d = JSON.parse(r.out);
    expect(d.kernel).toMatchObject({ given: release(), source: "uname -r" });
    if (existsSync("/proc/net/stat/nf_conntrack")) expect(d.counters.source).toMatch(/conntrack -S|\/proc\/net\/stat\/nf_conntrack/);
  });
});

describe("check suggests the mitigations that hold", () => {
  it("a violated DNS scenario lists its mitigations, each searched on the same kernel; a holding one none", () => {
    const v = JSON.parse(cli("check", "dns-a-aaaa-2-endpoints", "--kernel", "v5.4", "--json").out);
    const names = (v.mitigations as { name: string; verdict: string }[]).map((m) => `${m.name}:${m.verdict}`);
    // docs/kernel.md, "Mitigations": each holds on every release.
    expect(names).toEqual(expect.arrayContaining(["single-request:holds", "single-request-reopen:holds", "nodelocaldns:holds", "consistent-hash:holds"]));
    const h = JSON.parse(cli("check", "dns-a-aaaa-2-endpoints", "--kernel", "v5.6", "--json").out);
    expect(h.mitigations).toBeUndefined();
    expect(cli("check", "dns-a-aaaa-2-endpoints", "--kernel", "v5.4").out).toMatch(/mitigations of dns-a-aaaa-2-endpoints on v5\.4, each searched: 4 of 4 hold/);
    // --property narrows the mitigations' searches too: each under no-drop alone.
    const narrowed = JSON.parse(cli("check", "dns-a-aaaa-2-endpoints", "--kernel", "v5.4", "--property", "no-drop", "--json").out);
    expect(narrowed.mitigations.map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining(["consistent-hash", "single-request"]));
  });
});
