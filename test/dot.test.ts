/** trace --format dot: the whole reachable graph of a small scenario, as check counts it. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("trace --format dot", () => {
  it("has a node per state and an edge per transition of check's search, the violating states filled, the trace bold", () => {
    const check = JSON.parse(cli("check", "dns-a-aaaa", "--kernel", "v4.19", "--json").out) as { states: number; transitions: number; drops: { class: string; states: number }[] };
    const r = cli("trace", "dns-a-aaaa", "--kernel", "v4.19", "--format", "dot");
    expect(r.code, r.err).toBe(1);
    const nodes = r.out.split("\n").filter((l) => /^ {2}s\d+ \[label=/.test(l));
    const edges = r.out.split("\n").filter((l) => / -> /.test(l));
    expect(nodes.length).toBe(check.states);
    expect(edges.length).toBe(check.transitions);
    expect(nodes.filter((l) => l.includes("style=filled")).length).toBe(check.drops.reduce((n, d) => n + d.states, 0));
    expect(edges.filter((l) => l.includes("penwidth=3")).length).toBeGreaterThanOrEqual(10);
    expect(r.out).toMatch(/^digraph conntrack \{/);
  });

  it("refuses a large graph in one line, exit 2", () => {
    const r = cli("trace", "nat-clash-early-drop", "--format", "dot");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^conntrack-mc: --format dot: the scenario has more than 2000 reachable states/);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.out).toBe("");
  });
});

describe("--html FILE is output like --out", () => {
  it("a folder that does not exist is a one-line error, exit 2; the scenario as output is refused", () => {
    const r = cli("check", "dns-a-aaaa", "--html", "/nonexistent-ctmc/x.html");
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/--html/);
    const s = cli("compare", "models/dns-a-aaaa.yaml", "--html", "models/dns-a-aaaa.yaml");
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/^conntrack-mc: --html/);
  });
});
