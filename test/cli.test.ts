/** The real command, as a user runs it: output, JSON shape and exit codes. */
import { PROPERTIES } from "../src/kernel/properties/properties.js";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("conntrack-mc check", () => {
  it("exit 1 and a readable report when a packet can be dropped", () => {
    const r = cli("check", "dns-a-aaaa", "--kernel", "v4.19");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/verdict\s+VIOLATED/);
    expect(r.out).toMatch(/which states still drop\n\s+class\s+states\s+shortest/);
    expect(r.out).toMatch(/^\s+race2\s+\d+\s+\d+\s+the loser's REPLY differs/m);
    expect(r.out).toMatch(/shortest counterexample: race2, \d+ steps/);
    expect(r.out).toMatch(/cpu\d\s+\S+\s+__nf_conntrack_confirm: clash with .*NF_DROP\s+<== dropped here/);
    expect(r.err).toBe("");
  });

  it("exit 0 when the property holds", () => {
    const r = cli("check", "dns-a-aaaa", "--kernel", "v5.0");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/verdict\s+HOLDS/);
    expect(r.out).toMatch(/which states still drop: none reachable/);
  });

  it("--json prints one object with the documented fields", () => {
    const r = cli("check", "dns-a-aaaa-2-endpoints", "--kernel", "v5.0", "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    for (const f of ["scenario", "kernel", "property", "verdict", "states", "transitions", "seconds", "drops", "counterexample"]) expect(j).toHaveProperty(f);
    expect(j.scenario).toBe("dns-a-aaaa-2-endpoints");
    expect(j.kernel).toBe("v5.0");
    expect(j.verdict).toBe("violated");
    expect(j.drops.map((d: { class: string }) => d.class)).toEqual(["race3"]);
    expect(j.drops[0]).toEqual(expect.objectContaining({ class: "race3", states: expect.any(Number), shortest: expect.any(Number) }));
    expect(j.counterexample.length).toBe(j.drops[0].shortest);
    for (const s of j.counterexample) {
      expect(typeof s.cpu).toBe("number");
      expect(typeof s.function).toBe("string");
    }
  });

  it("--workers 2: the same verdict, counts and counterexample as one thread, and says so", () => {
    const args = ["check", "dns-3-packets", "--kernel", "v5.6", "--property", "all-replied", "--no-reduce", "--json"];
    const one = cli(...args);
    const two = cli(...args, "--workers", "2");
    expect(two.code).toBe(1);
    expect(one.code).toBe(1);
    const [a, b] = [JSON.parse(one.out), JSON.parse(two.out)];
    expect([a.workers, b.workers]).toEqual([1, 2]);
    for (const f of ["verdict", "states", "transitions", "terminalStates", "depth", "drops", "counterexampleClass", "counterexamplePreemptions"]) {
      expect(b[f], f).toEqual(a[f]);
    }
    expect(b.counterexample.length).toBe(a.counterexample.length);
    expect(cli(...args.slice(0, -1), "--workers", "2").out).toMatch(/bytes\/state stored, 2 workers/);
  });

  it("reports what the whole command cost beside the search's own seconds (text and --json; compare and review --json)", () => {
    const started = Date.now();
    const j = JSON.parse(cli("check", "dns-3-packets", "--kernel", "v5.6", "--json").out);
    const elapsed = (Date.now() - started) / 1000;
    expect(j.command.wallSeconds).toBeGreaterThanOrEqual(j.seconds);
    expect(j.command.wallSeconds).toBeLessThanOrEqual(elapsed);
    // getrusage's peak counts the whole process: at least what the search sampled, and Node itself.
    expect(j.command.peakMemoryMiB).toBeGreaterThanOrEqual(j.peakMemoryMiB);
    expect(j.command.peakMemoryMiB).toBeGreaterThan(20);
    expect(cli("check", "dns-3-packets", "--kernel", "v5.6").out).toMatch(/^command    \d+\.\d\d s wall, [\d,]+ MiB peak memory \(the whole command, up to this report\)$/m);
    const c = JSON.parse(cli("compare", "dns-a-aaaa", "dns-3-packets", "--kernels", "v4.19,v5.6", "--json").out);
    const cells = c.rows.flat() as { seconds: number }[];
    expect(c.searchSeconds).toBeCloseTo(cells.reduce((a, x) => a + x.seconds, 0), 2);
    expect(c.command.wallSeconds).toBeGreaterThanOrEqual(c.searchSeconds);
    const r = JSON.parse(cli("review", "1032812", "dns-a-aaaa", "--json").out);
    expect(r.command.wallSeconds).toBeGreaterThanOrEqual(r.searchSeconds);
    expect(r.command.peakMemoryMiB).toBeGreaterThan(20);
  });

  it("uses the scenario's first kernel when --kernel is not given", () => {
    const j = JSON.parse(cli("check", "dns-a-aaaa", "--json").out);
    expect(j.kernel).toBe("v4.18");
  });

  it("exit 3 with what it explored when a budget stops it", () => {
    const r = cli("check", "dns-a-aaaa-2-endpoints", "--kernel", "v5.0", "--max-states", "5", "--json");
    const j = JSON.parse(r.out);
    expect(j.complete).toBe(false);
    expect(j.budget).toBe("max-states");
    expect(j.states).toBeGreaterThanOrEqual(5);
    // Nothing dropped yet within 5 states, so no verdict can be given.
    expect(j.verdict).toBe("incomplete");
    expect(r.code).toBe(3);
  });

  const bad: [string[], RegExp][] = [
    [["check", "dns-a-aaaa", "--kernel", "v9"], /^conntrack-mc: --kernel: unknown kernel variant 'v9': expected a release/],
    [["check", "nope"], /^conntrack-mc: scenario: no built-in scenario 'nope'/],
    [["check", "dns-a-aaaa", "--max-states", "0"], /^conntrack-mc: --max-states: expected a whole number of at least 1, got '0'$/],
    [["check", "dns-a-aaaa", "--max-seconds", "soon"], /^conntrack-mc: --max-seconds: expected a number greater than 0, got 'soon'$/],
    [["check", "dns-a-aaaa", "--order", "random"], /^conntrack-mc: --order: expected one of bfs, dfs, got 'random'$/],
    [["check", "dns-a-aaaa", "--property", "liveness"], /^conntrack-mc: --property: unknown property 'liveness': expected one of no-drop, all-replied, no-crash, no-lost-entry, no-needless-rewrite, no-stale-mapping, flush-empties, no-freed-policy, no-warn, no-stale-ct, timeout-as-set$/],
    [["check", "dns-a-aaaa", "--frobnicate"], /^conntrack-mc: --frobnicate: unknown option \(see --help\)$/],
    [["explode"], /^conntrack-mc: unknown command 'explode'/],
    [["check", "dns-a-aaaa", "--workers", "0"], /^conntrack-mc: --workers: expected a whole number of at least 1, got '0'$/],
    [["check", "dns-a-aaaa", "--workers", "65"], /^conntrack-mc: --workers: expected 1 to 64 or auto, got '65'$/],
    [["compare", "dns-a-aaaa", "--workers", "2"], /^conntrack-mc: --workers: unknown option/],
  ];
  for (const [args, message] of bad) {
    it(`exit 2, one line, nothing on stdout: ${args.join(" ")}`, () => {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.trim()).toMatch(message);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    });
  }

  it("a malformed scenario file: exit 2 naming the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-"));
    const f = join(dir, "bad.yaml");
    writeFileSync(f, "name: x\ndescription: y\nprotocol: udp\ncpus: 1\nnat-table: false\nclient: 10.0.0.1:1000\nservice: 10.0.0.2:53\nsnat: none\npackets: [{name: A, cpu: 3}]\nkernels: [v4.18]\n");
    const r = cli("check", f);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(`conntrack-mc: ${f}: packets[0].cpu: expected a CPU from 0 to 0 (cpus is 1), got 3\n`);
  });

  it("an unknown default kernel in the file is reported with its field", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-"));
    const f = join(dir, "k.yaml");
    writeFileSync(f, "name: x\ndescription: y\nprotocol: udp\ncpus: 1\nnat-table: false\nclient: 10.0.0.1:1000\nservice: 10.0.0.2:53\nsnat: none\npackets: [{name: A, cpu: 0}]\nkernels: [v4.18, v3.1]\n");
    const r = cli("check", f, "--kernel", "v4.18");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^conntrack-mc: ${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: kernels\\[1\\]: unknown kernel variant 'v3\\.1'`));
  });
});

describe("conntrack-mc list", () => {
  it("names the built-in scenarios, variants, patches and properties", () => {
    const r = cli("list", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.scenarios.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(["dns-a-aaaa", "dns-a-aaaa-2-endpoints", "no-nat"]));
    expect(j.variants.map((v: { name: string }) => v.name)).toEqual(expect.arrayContaining(["v4.6", "v4.9", "v4.19", "v5.0", "v7.0"]));
    expect(j.versions).toMatchObject({ oldest: "v4.6", newest: "v7.1", candidate: "v7.2" });
    expect(j.versions.sameAs).toContainEqual({ name: "v4.17", kernel: "v4.13" });
    expect(j.patches.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(["937963", "1032812"]));
    expect(j.properties.map((p: { name: string }) => p.name)).toContain("no-drop");
    const text = cli("list");
    expect(text.code).toBe(0);
    // Each release as the one before plus what it adds, and the releases that are the same kernel.
    expect(text.out).toMatch(/^\s+v4\.19\s+= v4\.18 \+ 937963\s+\(also v4\.20\)$/m);
    expect(text.out).toMatch(/^\s+v4\.9\s+= v4\.7 \+ f330a7fdbe16 \+ b87a2f9199ea \+ early-drop-list\s+\(also v4\.10 … v4\.12\)$/m);
    expect(text.out).toMatch(/^\s+v6\.1\.147\s+\+ 2d72afb34065\s+CVE-2025-38472/m);
  });
});

it("the usage names every property --property takes", () => {
  expect(cli("check", "--help").out).toContain(`--property ${PROPERTIES.map((p) => p.name).join(",")}]`);
});

describe("properties need what they speak of", () => {
  it("all-replied on a scenario without replies is exit 2 naming the field", () => {
    const r = cli("check", "dns-a-aaaa", "--property", "all-replied");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^conntrack-mc: --property: all-replied needs a scenario with replies: true, and dns-a-aaaa \(.*\) has none\n$/);
  });

  it("all-replied on dns-3-packets: v5.6 loses a reply (exit 1), v5.9 does not (exit 0)", () => {
    const a = JSON.parse(cli("check", "dns-3-packets", "--kernel", "v5.6", "--property", "all-replied", "--json").out);
    expect(a.verdict).toBe("violated");
    expect(a.drops.map((d: { class: string }) => d.class)).toEqual(["reply-lost"]);
    expect(cli("check", "dns-3-packets", "--kernel", "v5.9", "--property", "all-replied").code).toBe(0);
  });
});
