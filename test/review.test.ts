/** `review`: a patch against its own base, every scenario, every property, a verdict CI can gate on. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinScenarioNames } from "../src/scenario/registry.js";
import { loadPatchFile } from "../src/user-patch/load.js";
import { PATCHES, resolveKernel } from "../src/kernel/variants.js";
import { conntrackModel } from "../src/model/model.js";
import { PROPERTIES } from "../src/kernel/properties/properties.js";
import { resolveScenario } from "../src/scenario/registry.js";
import type { KState } from "../src/kernel/net/state.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const ORIGIN = "examples/patches/merge-on-same-origin.mjs";
const NOOP = "test/fixtures/same-as-base.mjs";

/** Replays (actor, choice) pairs on a kernel's model and returns the classes its last state shows. */
async function replay(scenario: string, kernel: string, steps: { cpu: number; choice: number }[]): Promise<string[]> {
  const patch = await loadPatchFile(ORIGIN);
  const model = conntrackModel(resolveScenario(scenario), resolveKernel(kernel, "kernel", [...PATCHES, patch]));
  let s: KState = model.initialStates()[0]!;
  for (const st of steps) {
    const a = model.actions(s).find((x) => x.actor === st.cpu && x.choice === st.choice);
    if (!a) return ["(the schedule does not replay)"];
    s = model.next(s, a);
  }
  const terminal = model.actions(s).length === 0;
  return PROPERTIES.flatMap((p) => (p.kind === "invariant" || terminal ? [...p.violations(s)] : []));
}

describe("review", () => {
  it("merge-on-same-origin on v5.0: NEW reply-lost with a differential counterexample, exit 1 with --fail-on new, 0 without", () => {
    const r = cli("review", ORIGIN, "--base", "v5.0", "--fail-on", "new");
    expect(r.code).toBe(1);
    const lines = r.out.split("\n");
    // The verdict comes first, before the table.
    const verdict = lines.findIndex((l) => l.startsWith("verdict"));
    const table = lines.findIndex((l) => /^\s+scenario\s+v5\.0\s+v5\.0\+merge-on-same-origin\s+change$/.test(l));
    expect(verdict).toBeGreaterThan(0);
    expect(table).toBeGreaterThan(verdict);
    expect(lines[verdict]).toMatch(/introduces reply-lost on dns-3-packets/);
    // Every built-in scenario is checked.
    for (const s of builtinScenarioNames()) expect(r.out).toMatch(new RegExp(`^\\s+${s}\\s`, "m"));
    expect(r.out).toMatch(/^\s+dns-3-packets\s.*NEW reply-lost$/m);
    expect(r.out).toMatch(/^NEW reply-lost on dns-3-packets: \d+ steps/m);
    expect(r.out).toMatch(/<== reply lost here/);
    expect(r.out).toMatch(/^the same choices on v5\.0/m);
    expect(r.out).toMatch(/^on v5\.0 the same schedule: /m);
    expect(cli("review", ORIGIN, "--base", "v5.0").code).toBe(0);
  });

  it("its JSON: the differential schedule violates on the patched kernel and, replayed, not on the base", async () => {
    const r = cli("review", ORIGIN, "dns-3-packets", "nat-hooks-midway", "--base", "v5.0", "--json", "--fail-on", "new");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect([j.base, j.patched, j.fails]).toEqual(["v5.0", "v5.0+merge-on-same-origin", true]);
    const s = j.scenarios.find((x: { scenario: string }) => x.scenario === "dns-3-packets");
    expect(s.patched.new).toEqual(["reply-lost"]);
    expect(s.differential).toHaveLength(1);
    const d = s.differential[0];
    expect(d.against.kind).toBe("found");
    // The schedule replays here on the patched kernel's model and shows the class; B's replay (its own steps) does not.
    expect(await replay("dns-3-packets", "v5.0+merge-on-same-origin", d.steps)).toContain("reply-lost");
    const onB = await replay("dns-3-packets", "v5.0", d.against.steps);
    expect(onB).not.toContain("reply-lost");
    expect(onB).toEqual(d.against.classes);
  });

  it("a patch that changes nothing: no change on every scenario, exit 0 even with --fail-on worse", () => {
    const r = cli("review", NOOP, "--fail-on", "worse");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^base\s+v7\.1 = .*\(the newest release the patches apply to\)$/m);
    expect(r.out).toMatch(/^verdict\s+no change on any of the \d+ scenarios$/m);
    const rows = r.out.split("\n").filter((l) => builtinScenarioNames().some((s) => l.trim().startsWith(`${s} `)));
    expect(rows).toHaveLength(builtinScenarioNames().length);
    for (const row of rows) expect(row).toMatch(/no change$/);
    expect(r.out).not.toMatch(/^NEW /m);
  });

  it("a built-in patch by id goes on the newest release that lacks it, and --markdown is a table a pull request shows", () => {
    const r = cli("review", "1032812", "dns-a-aaaa", "--markdown");
    expect(r.code).toBe(0);
    // v4.20, the newest release before v5.0 brought it (the same kernel as v4.19).
    expect(r.out).toMatch(/^### Review of `1032812` on v4\.20$/m);
    expect(r.out).toMatch(/^\*\*Verdict: fixes race2 on dns-a-aaaa\.\*\*$/m);
    expect(r.out).toMatch(/^\| dns-a-aaaa \| violated: race2 \(\d+\) \| holds \| fixes race2 \|$/m);
  });

  it("bad input: no patch, a patch that applies to no release, an unknown --base, --fail-on", () => {
    expect(cli("review", "dns-a-aaaa").err).toMatch(/^conntrack-mc: patch: expected one or more patches to review/);
    const none = cli("review", "a4e6a1031e77", "--base", "v6.12");
    expect([none.code, none.err]).toEqual([2, expect.stringMatching(/^conntrack-mc: --base: 'v6\.12\+a4e6a1031e77' applies a4e6a1031e77 twice/)]);
    expect(cli("review", ORIGIN, "--base", "v9").err).toMatch(/^conntrack-mc: --base: unknown kernel variant 'v9'/);
    expect(cli("review", ORIGIN, "--fail-on", "some").code).toBe(2);
  });

  it("a class the patched kernel shows while the base's search was cut is not called NEW, and the gate says incomplete (exit 3)", () => {
    const r = cli("review", ORIGIN, "dns-3-packets", "--base", "v5.6", "--max-states", "450", "--fail-on", "new", "--json");
    expect(r.code).toBe(3);
    const cell = JSON.parse(r.out).scenarios[0].patched;
    expect(cell.new).toEqual([]);
    expect(cell.known).toBe(false);
    expect(cell.changes.map((c: { class: string; status: string }) => [c.class, c.status])).toEqual([["reply-lost", "unknown"]]);
    expect(JSON.parse(r.out).summary).not.toMatch(/introduces|no other change/);
  });

  it("a probability graph cut by a budget does not hide what the finished searches show", () => {
    const r = cli("review", "1032812", "dns-3-packets", "--probability", "--max-states", "1000", "--json");
    const j = JSON.parse(r.out);
    expect(j.scenarios[0].patched.searchComplete).toBe(true);
    expect(j.scenarios[0].patched.probability.value).toBeNull();
    expect(j.scenarios[0].patched.fixed).toEqual(["race2"]);
    expect(j.summary).toMatch(/^fixes race2 on dns-3-packets/);
  });

  it("worse is judged on the probability when there is one: 937963 leaves race2 in more states on dns-3-packets, not more likely", () => {
    const states = cli("review", "937963", "dns-3-packets", "--fail-on", "worse", "--json");
    const byStates = JSON.parse(states.out).scenarios[0].patched.changes.find((c: { class: string }) => c.class === "race2");
    expect([byStates.by, byStates.worse, byStates.now.states > byStates.base.states]).toEqual(["states", true, true]);
    expect(states.code).toBe(1);
    const likely = cli("review", "937963", "dns-3-packets", "--fail-on", "worse", "--probability", "--json");
    const byP = JSON.parse(likely.out).scenarios[0].patched.changes.find((c: { class: string }) => c.class === "race2");
    expect(byP.by).toBe("probability");
    expect(byP.worse).toBe(byP.now.probability > byP.base.probability + 1e-12);
    expect(likely.code).toBe(byP.worse ? 1 : 0);
  });

  it("a scenario file, a patch on a patched base (--patch loads the base's), and errors that name the positional patch", () => {
    const j = JSON.parse(cli("review", "examples/patches/merge-on-same-reply.mjs", "models/two-clients.yaml", "--json").out);
    expect(j.scenarios[0].differential[0].against.kind).toBe("found");
    const on = cli("review", "examples/patches/merge-on-same-reply.mjs", "two-clients", "--base", "v6.12+merge-on-same-origin", "--patch", ORIGIN);
    expect(on.out).toMatch(/^base\s+v6\.12\+merge-on-same-origin = .* \+ merge-on-same-origin \(given with --base\)$/m);
    expect(cli("review", "1032812", "1032812").err).toMatch(/^conntrack-mc: patch: '1032812' \(1032812\) is given twice/);
    expect(cli("review", "1032812", "dns-a-aaaa", "dns-a-aaaa").err).toMatch(/^conntrack-mc: scenario: 'dns-a-aaaa' is given twice/);
    expect(cli("review", "1032812", "two-clients", "models/two-clients.yaml").err).toMatch(/^conntrack-mc: scenario: 'two-clients' is given twice \(models\/two-clients\.yaml\)/);
    expect(cli("compare", "no-nat", "no-nat").code).toBe(2);
    expect(cli("review", "nope.mjs").err).toBe("conntrack-mc: patch nope.mjs: no such file\n");
  });

  it("--out may not name an input of the run; with --probability a cut graph leaves worse unjudged (exit 3, not a state-count failure)", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-review-"));
    const patch = join(dir, "same.mjs");
    copyFileSync(NOOP, patch);
    const before = readFileSync(patch, "utf8");
    const r = cli("review", patch, "dns-a-aaaa", "--out", patch);
    expect([r.code, r.err]).toEqual([2, `conntrack-mc: --out ${patch}: it is an input of this run (${patch}): expected another file for the output\n`]);
    expect(readFileSync(patch, "utf8")).toBe(before);
    const cut = cli("compare", "dns-3-packets", "--kernels", "v4.19", "--probability", "--max-states", "1000", "--fail-on", "worse", "--json");
    const j = JSON.parse(cut.out);
    const cell = j.rows[j.kernels.indexOf("v4.19")][0];
    expect(cell.searchComplete).toBe(true);
    expect(cell.known).toBe(false);
    expect(cell.worse).toEqual([]);
    expect(cut.code).toBe(3);
  });

  it("a hook's run-time error names the positional patch as given, not --patch", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-review-"));
    const patch = join(dir, "throws.mjs");
    writeFileSync(patch, 'export default { id: "throws", title: "t", requires: ["71d8c47fc653"], apply: () => ({ clashMergeable: () => { throw new Error("boom"); } }) };\n');
    const r = cli("review", patch, "dns-a-aaaa");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^conntrack-mc: patch ${patch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: clashMergeable threw: boom`));
  });
});
