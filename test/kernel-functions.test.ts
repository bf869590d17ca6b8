/** Every kernel function the model runs is a function of the variant, under its kernel name, that a patch may override. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseV46 } from "../src/kernel/base-v4.6.js";
import { HOOKS } from "../src/kernel/user-patch.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const UNCONFIRMED = "examples/patches/lookup-sees-unconfirmed.mjs";

describe("the kernel's functions", () => {
  it("a patch may override every function of the base, and only those", () => {
    expect([...HOOKS].sort()).toEqual(Object.keys(baseV46).sort());
    for (const name of ["__nf_conntrack_find_get", "init_conntrack", "nf_nat_setup_info", "nf_conntrack_tuple_taken", "__nf_conntrack_confirm", "nf_ct_delete"]) {
      expect(HOOKS).toContain(name);
    }
  });

  it("a user patch that replaces S1's lookup: compare against its base finds what it breaks, and the trace shows the new lookup", () => {
    const r = cli("compare", "consistent-hash", "--kernels", "v5.10+lookup-sees-unconfirmed", "--patch", UNCONFIRMED, "--json");
    const j = JSON.parse(r.out);
    const base = j.rows[j.kernels.indexOf("v5.10")][0];
    const cell = j.rows[j.kernels.indexOf("v5.10+lookup-sees-unconfirmed")][0];
    expect(base.verdict).toBe("holds");
    expect(cell.base).toBe("v5.10");
    expect(cell.verdict).toBe("violated");
    expect(cell.new.length).toBeGreaterThan(0);
    // The counterexample goes through the patch's own lookup: a hit on another CPU's unconfirmed entry.
    const t = cli("trace", "consistent-hash", "--kernel", "v5.10+lookup-sees-unconfirmed", "--patch", UNCONFIRMED, "--format", "json");
    expect(t.code).toBe(1);
    const steps = JSON.parse(t.out).steps as { function: string; note: string }[];
    expect(steps.some((s) => s.function === "__nf_conntrack_find_get" && /unconfirmed entry/.test(s.note))).toBe(true);
  });

  it("a step a patch overrides is checked like any hook: a wrong result is one line naming the file and the function", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-fn-"));
    const f = join(dir, "bad-step.mjs");
    writeFileSync(f, 'export default { id: "bad-step", title: "t", requires: [], apply: () => ({ init_conntrack: () => 42 }) };\n');
    const r = cli("check", "dns-a-aaaa", "--kernel", "v5.0+bad-step", "--patch", f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^conntrack-mc: --patch .*bad-step\.mjs: init_conntrack returned 42: expected a string of one line/);
    const g = join(dir, "bad-state.mjs");
    writeFileSync(g, 'export default { id: "bad-state", title: "t", requires: [], apply: (base) => ({ nf_ct_delete: (ctx, st, id) => { st.table = [7, 7]; return ""; } }) };\n');
    const s = cli("check", "dying-winner", "--kernel", "v5.10+bad-state", "--patch", g);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/nf_ct_delete (left st\.table|replaced or resized)/);
  });
});
