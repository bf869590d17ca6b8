/** Every property a scenario supports, in one search; what compare and check report per property. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { checkReport, propertiesOf, runCheck } from "../src/app/check.js";
import { compare, failingCells } from "../src/app/compare.js";
import { loadPatchFile } from "../src/user-patch/load.js";
import { PATCHES, resolveKernel } from "../src/kernel/variants.js";
import { allReplied, noDrop } from "../src/kernel/properties/properties.js";
import { resolveScenario } from "../src/scenario/registry.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const ORIGIN = "examples/patches/merge-on-same-origin.mjs";
const REPLY = "examples/patches/merge-on-same-reply.mjs";

describe("one search, every property", () => {
  it("a scenario supports no-drop, and all-replied when it has replies", () => {
    expect(propertiesOf(resolveScenario("dns-a-aaaa")).map((p) => p.name)).toEqual(["no-drop"]);
    expect(propertiesOf(resolveScenario("dns-3-packets")).map((p) => p.name)).toEqual(["no-drop", "all-replied"]);
  });

  it("the combined search finds exactly what the two single-property searches find", () => {
    for (const [scenario, kernel] of [["dns-3-packets", "v5.6"], ["nat-hooks-midway", "v5.10"], ["dns-3-packets", "v5.0"], ["two-clients", "v6.12"]] as const) {
      const sc = resolveScenario(scenario);
      const both = runCheck(sc, kernel).result;
      const one = [noDrop, allReplied].flatMap((p) => runCheck(sc, kernel, p).result.violations);
      const facts = (vs: typeof one) => vs.map((v) => [v.property, v.name, v.states, v.depth]).sort();
      expect(facts(both.violations), `${scenario} on ${kernel}`).toEqual(facts(one));
      expect(both.states).toBe(runCheck(sc, kernel, noDrop).result.states);
    }
  });

  it("the default check of dns-3-packets on v5.6 is VIOLATED by its lost reply, and --json keeps verdict and drops at the top", () => {
    const r = cli("check", "dns-3-packets", "--kernel", "v5.6", "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.verdict).toBe("violated");
    expect(j.drops.map((d: { class: string; property: string }) => [d.property, d.class])).toEqual([["all-replied", "reply-lost"]]);
    expect(j.properties.map((p: { name: string; verdict: string }) => [p.name, p.verdict])).toEqual([
      ["no-drop", "holds"],
      ["all-replied", "violated"],
    ]);
    const text = cli("check", "dns-3-packets", "--kernel", "v5.6");
    expect(text.out).toMatch(/^properties no-drop\s+HOLDS/m);
    expect(text.out).toMatch(/^\s+all-replied\s+VIOLATED/m);
    expect(text.out).toMatch(/^verdict\s+VIOLATED \(all-replied\)$/m);
    // --property narrows it.
    expect(cli("check", "dns-3-packets", "--kernel", "v5.6", "--property", "no-drop").code).toBe(0);
  });

  it("--first stops at the first violation: the verdict is final, the counts partial, exit 1", () => {
    const full = JSON.parse(cli("check", "dns-3-packets", "--kernel", "v5.0", "--json").out);
    const r = cli("check", "dns-3-packets", "--kernel", "v5.0", "--first", "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect([j.verdict, j.complete, j.budget]).toEqual(["violated", false, "first-violation"]);
    expect(j.states).toBeLessThan(full.states);
    // Breadth-first: what it found first is among the shallowest classes of the full search, at the same depth.
    const least = Math.min(...full.drops.map((d: { shortest: number }) => d.shortest));
    expect(j.drops.length).toBeGreaterThan(0);
    for (const d of j.drops) {
      expect(d.shortest).toBe(least);
      expect(full.drops.map((f: { class: string }) => f.class)).toContain(d.class);
    }
    expect(j.counterexample).toHaveLength(least);
    expect(cli("check", "dns-3-packets", "--kernel", "v5.0", "--first").out).toMatch(/--first \(the first violation found\) stopped the search/);
  });
});

describe("compare against each variant's own base", () => {
  it("a patch that is a regression on v6.12 reads NEW against v6.12, not 'keeps' against the first row", async () => {
    const patch = await loadPatchFile(ORIGIN);
    const ks = ["v5.0", "v6.12", "v6.12+merge-on-same-origin"].map((k) => resolveKernel(k, "kernel", [...PATCHES, patch]));
    const r = compare([resolveScenario("nat-hooks-midway")], ks, undefined, { patches: [...PATCHES, patch] });
    const cell = r.rows[r.kernels.indexOf("v6.12+merge-on-same-origin")]![0]!;
    expect(cell.base).toBe("v6.12");
    expect(cell.new).toEqual(["reply-lost"]);
    // v6.12's own base is the release before it that changed the model: v6.11 (nfqueue's shared entries).
    expect(r.rows[r.kernels.indexOf("v6.12")]![0]!.base).toBe("v6.11");
    expect(failingCells(r, "new").map((c) => c.kernel)).toEqual(["v6.12+merge-on-same-origin"]);
  });

  it("growth of a remaining class is shown: states and probability, and --fail-on worse catches it", () => {
    const r = cli("compare", "nat-hooks-midway", "--kernels", "v5.0,v5.0+merge-on-same-origin", "--patch", ORIGIN, "--probability", "--json");
    const j = JSON.parse(r.out);
    const cell = j.rows[j.kernels.indexOf("v5.0+merge-on-same-origin")][0];
    const lost = cell.changes.find((c: { class: string }) => c.class === "reply-lost");
    expect(lost.status).toBe("remaining");
    expect(lost.now.states).toBeGreaterThan(lost.base.states);
    expect(lost.now.probability).toBeGreaterThan(lost.base.probability);
    expect(lost.worse).toBe(true);
    expect(cell.worse).toEqual(["reply-lost"]);
    const text = cli("compare", "nat-hooks-midway", "--kernels", "v5.0,v5.0+merge-on-same-origin", "--patch", ORIGIN, "--probability");
    expect(text.out).toMatch(new RegExp(`WORSE reply-lost ${lost.base.states} -> ${lost.now.states} states, P 0\\.\\d+ -> 0\\.\\d+`));
    const args = ["compare", "nat-hooks-midway", "--kernels", "v5.0+merge-on-same-origin", "--patch", ORIGIN];
    expect(cli(...args).code).toBe(0);
    expect(cli(...args, "--fail-on", "new").code).toBe(0);
    expect(cli(...args, "--fail-on", "worse").code).toBe(1);
    expect(cli(...args, "--fail-on", "any").code).toBe(1);
    expect(cli(...args, "--fail-on", "later").err).toMatch(/^conntrack-mc: --fail-on: expected one of new, worse, any/);
  });

  it("two-clients: merging on equal REPLY tuples trades the reply-clash drop for a misrouted reply, under the default properties", () => {
    const r = cli("compare", "two-clients", "--kernels", "v6.12+merge-on-same-reply", "--patch", REPLY, "--json", "--fail-on", "new");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    const cell = j.rows[j.kernels.indexOf("v6.12+merge-on-same-reply")][0];
    expect(cell.base).toBe("v6.12");
    expect(cell.fixed).toEqual(["reply-clash"]);
    expect(cell.new).toEqual(["reply-misrouted"]);
    const report = checkReport(runCheck(resolveScenario("two-clients"), "v6.12"));
    expect(report.drops.map((d) => d.class)).toEqual(["reply-clash"]);
  });
});
