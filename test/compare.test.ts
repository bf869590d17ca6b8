/** `compare`: what each variant changes against the base, computed by the search. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { compare } from "../src/app/compare.js";
import { resolveKernel } from "../src/kernel/variants.js";
import { noDrop } from "../src/kernel/properties/properties.js";
import { resolveScenario } from "../src/scenario/registry.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const SCENARIOS = ["dns-a-aaaa", "dns-a-aaaa-2-endpoints", "no-nat"];

describe("compare", () => {
  const r = compare(
    SCENARIOS.map(resolveScenario),
    ["v4.18", "v4.19", "v5.0"].map((k) => resolveKernel(k)),
    noDrop,
  );
  const cell = (k: string, s: string) => r.rows[r.kernels.indexOf(k)]![r.scenarios.indexOf(s)]!;

  it("v4.19 fixes race1 and keeps race2 and race3", () => {
    const two = cell("v4.19", "dns-a-aaaa-2-endpoints");
    expect(two.fixed).toEqual(["race1"]);
    expect(two.remaining.sort()).toEqual(["race2", "race3"]);
    expect(two.new).toEqual([]);
    expect(cell("v4.19", "dns-a-aaaa").fixed).toEqual(["race1"]);
    expect(cell("v4.19", "dns-a-aaaa").remaining).toEqual(["race2"]);
  });

  it("v5.0, against v4.19 (the release before it), fixes race2 and keeps race3", () => {
    const two = cell("v5.0", "dns-a-aaaa-2-endpoints");
    expect(two.base).toBe("v4.19");
    expect(two.fixed).toEqual(["race2"]);
    expect(two.remaining).toEqual(["race3"]);
    expect(cell("v5.0", "dns-a-aaaa").verdict).toBe("holds");
    // Against one base for all (--base v4.18), it fixes race1 too.
    const vs418 = compare([resolveScenario("dns-a-aaaa-2-endpoints")], [resolveKernel("v5.0")], noDrop, { base: resolveKernel("v4.18") });
    expect(vs418.kernels).toEqual(["v4.18", "v5.0"]);
    expect(vs418.rows[1]![0]!.fixed.sort()).toEqual(["race1", "race2"]);
  });

  it("each row's own base: a release's is the release before (searched when not asked for), a patched variant's the variant without its last patch", () => {
    // v4.18 adds nfqueue's update (368982cd7d1b), so its own base is the release before, v4.13: searched as a base
    // only, before it.
    expect(r.kernels).toEqual(["v4.13", "v4.18", "v4.19", "v5.0"]);
    expect(r.baseOnly).toEqual([true, false, false, false]);
    expect(r.baseRow).toEqual([-1, 0, 1, 2]);
    for (const c of r.rows[0]!) expect([c.base, c.fixed, c.new]).toEqual([null, [], []]);
    const own = compare([resolveScenario("dns-a-aaaa")], ["v4.19", "v4.17+368982cd7d1b+1032812", "v4.6"].map((k) => resolveKernel(k)), noDrop);
    // v4.19's own base is v4.18, which is also v4.17+368982cd7d1b+1032812's (the patch on top of v4.17 plus
    // nfqueue's update is v4.18's kernel plus 1032812): one row serves both.
    expect(own.kernels).toEqual(["v4.18", "v4.19", "v4.17+368982cd7d1b+1032812", "v4.6"]);
    expect(own.rows.map((row) => row[0]!.base)).toEqual([null, "v4.18", "v4.18", null]);
    // Against v4.19 as the one base, v4.6 brings race1 back.
    const back = compare([resolveScenario("dns-a-aaaa")], [resolveKernel("v4.6")], noDrop, { base: resolveKernel("v4.19") });
    expect(back.rows[1]![0]!.new).toEqual(["race1"]);
    expect(back.rows[1]![0]!.remaining).toEqual(["race2"]);
  });

  it("the CLI prints the matrix, as JSON, Markdown and text, with --probability", () => {
    const j = JSON.parse(cli("compare", ...SCENARIOS, "--kernels", "v4.18,v4.19,v5.0", "--json", "--probability").out);
    expect(j.kernels).toEqual(["v4.13", "v4.18", "v4.19", "v5.0"]);
    expect(j.baseOnly).toEqual([true, false, false, false]);
    expect(j.scenarios).toEqual(SCENARIOS);
    expect(j.probabilityModel).toMatch(/uniform scheduler/);
    for (const row of j.rows.slice(1))
      for (const c of row) {
        for (const f of ["verdict", "drops", "fixed", "remaining", "new", "states", "probability"]) expect(c).toHaveProperty(f);
        expect(c.probability.value === 0).toBe(c.verdict === "holds");
        // a violated cell can end with a drop, and its counters show it (from v4.7 on: v4.6, the
        // first row, counts a clash drop in insert_failed only)
        expect(c.counters.some((x: { drop: number }) => x.drop > 0)).toBe(c.verdict === "violated");
      }
    const md = cli("compare", ...SCENARIOS, "--kernels", "v4.18,v4.19,v5.0", "--markdown");
    expect(md.code).toBe(0);
    const lines = md.out.trim().split("\n");
    expect(lines[0]).toBe("| kernel | dns-a-aaaa | dns-a-aaaa-2-endpoints | no-nat |");
    expect(lines[1]).toBe("|---|---|---|---|");
    expect(lines.filter((l) => l.startsWith("|"))).toHaveLength(6);
    expect(md.out).toMatch(/conntrack -S: the insert_failed\/drop\/clash_resolve totals/);
    expect(lines[4]).toMatch(/^\| \*\*v4\.19\*\*<br>vs v4\.18 \| violated: race2 \(\d+\)<br>fixes race1; keeps race2<br>/);
    const text = cli("compare", ...SCENARIOS, "--kernels", "v4.18,v4.19,v5.0", "--probability");
    expect(text.out).toMatch(/^v4\.18\s+violated: race1/m);
    expect(text.out).toMatch(/^vs v4\.13\s+keeps race1/m);
    expect(text.out).toMatch(/^\(base only\)/m);
    expect(text.out).toMatch(/share of schedules = 0\.9375/);
    expect(text.out).toMatch(/under a uniform scheduler/);
  });

  it("rejects bad input in one line", () => {
    expect(cli("compare", "dns-a-aaaa", "--kernels", "v4.18,,v5.0").err).toMatch(/^conntrack-mc: --kernels: expected a comma-separated list/);
    expect(cli("compare", "dns-a-aaaa", "--kernels", "v4.18,v7").err).toMatch(/^conntrack-mc: --kernels: unknown kernel variant 'v7'/);
    expect(cli("compare", "--kernels", "v4.18").code).toBe(2);
    expect(cli("compare", "dns-a-aaaa", "--json", "--markdown").code).toBe(2);
    // The budgets cut the graph short as they cut a search: no probability, exit 3 (issue 12: they were refused).
    const cut = cli("compare", "dns-a-aaaa", "--probability", "--max-states", "10");
    expect(cut.code).toBe(3);
    expect(cut.out).toMatch(/share of schedules: not computed \(the --max-states budget stopped the search before it\)/);
  });
});
