/** A patch a user writes, loaded with --patch and checked like a built-in one. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const EXAMPLE = "examples/patches/merge-on-same-origin.mjs";

/** The patch `mine` in `file` fails the check with one line on stderr and exit 2, on one thread and on workers. */
function expectInputError(file: string, message: RegExp): void {
  for (const workers of ["1", "2"]) {
    const r = cli("check", "dns-a-aaaa", "--kernel", "v5.0+mine", "--patch", file, "--workers", workers);
    expect(r.code, `--workers ${workers}`).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(message);
  }
}

describe("--patch", () => {
  it("the example patch fixes race 3's drops but loses replies: compare, under every property by default, shows both", () => {
    const both = JSON.parse(cli("compare", "dns-3-packets", "--kernels", "v5.0,v5.0+merge-on-same-origin", "--patch", EXAMPLE, "--json").out);
    const cell = both.rows[both.kernels.indexOf("v5.0+merge-on-same-origin")][0];
    expect(cell.base).toBe("v5.0");
    expect(cell.fixed).toEqual(["race3"]);
    expect(cell.new).toEqual(["reply-lost"]);
    expect(cell.verdict).toBe("violated");
    // Narrowed to no-drop, the patch looks like a fix: the reason the default is every property.
    const drops = JSON.parse(cli("compare", "dns-3-packets", "--property", "no-drop", "--kernels", "v5.0,v5.0+merge-on-same-origin", "--patch", EXAMPLE, "--json").out);
    const only = drops.rows[drops.kernels.indexOf("v5.0+merge-on-same-origin")][0];
    expect([only.verdict, only.fixed, only.new]).toEqual(["holds", ["race3"], []]);
  });

  it("works with check and trace too", () => {
    const c = cli("check", "dns-a-aaaa-2-endpoints", "--kernel", "v5.0+merge-on-same-origin", "--patch", EXAMPLE, "--json");
    expect(c.code).toBe(0);
    expect(JSON.parse(c.out).kernelParts.at(-1)).toBe("merge-on-same-origin");
    const t = cli("trace", "dns-3-packets", "--property", "all-replied", "--kernel", "v5.0+merge-on-same-origin", "--patch", EXAMPLE);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/no\s+entry\s+matches,\s+not\s+translated\s+back:\s+lost/);
  });

  const dir = mkdtempSync(join(tmpdir(), "ctmc-patch-"));
  const bad: [string, string, RegExp][] = [
    ["nodefault.mjs", "export const x = 1;\n", /expected a default export: \{ id, title, requires, apply \}$/],
    ["badid.mjs", 'export default { id: "no spaces allowed", title: "t", requires: [], apply: () => ({}) };\n', /id: expected a short name/],
    ["builtin.mjs", 'export default { id: "937963", title: "t", requires: [], apply: () => ({}) };\n', /id: '937963' is a built-in patch/],
    ["noapply.mjs", 'export default { id: "mine", title: "t", requires: [] };\n', /apply: expected a function/],
    ["badhook.mjs", 'export default { id: "mine", title: "t", requires: [], apply: () => ({ confirm: () => 0 }) };\n', /apply returned 'confirm': expected only __nf_conntrack_find_get, init_conntrack, /],
    ["syntax.mjs", "export default {\n", /cannot load it: /],
    ["applythrows.mjs", 'export default { id: "mine", title: "t", requires: [], apply: () => { throw new Error("apply broke"); } };\n', /--patch .*applythrows\.mjs: apply threw: apply broke$/],
  ];
  for (const [file, text, message] of bad) {
    it(`rejects ${file} in one line, exit 2`, () => {
      writeFileSync(join(dir, file), text);
      const r = cli("check", "dns-a-aaaa", "--kernel", "v5.0+mine", "--patch", join(dir, file));
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err.trim()).toMatch(message);
    });
  }

  it("a hook that throws is the patch's error: one line naming it, exit 2, on one thread or on workers", () => {
    const file = join(dir, "throws.mjs");
    writeFileSync(file, 'export default { id: "mine", title: "t", requires: [], apply: () => ({ nf_ct_resolve_clash: () => { throw new Error("boom"); } }) };\n');
    expectInputError(file, /^conntrack-mc: --patch .*throws\.mjs: nf_ct_resolve_clash threw: boom\n$/);
  });

  it("a patch that sets a status bit the model does not track is a one-line error, exit 2", () => {
    const file = join(dir, "assured.mjs");
    writeFileSync(file, 'export default { id: "mine", title: "t", requires: ["71d8c47fc653"], apply: () => ({ clashMergeable: (w, l) => { l.status |= 64; return true; } }) };\n');
    expectInputError(file, /^conntrack-mc: --patch .*assured\.mjs: clashMergeable left an entry's status with bits the model does not track: .*\n$/);
  });

  it("a patch whose step does not increase the progress measure: the search runs again keeping every fingerprint, same result", () => {
    // Clearing the winner's CONFIRMED bit while merging into it makes that confirm count nothing.
    const file = join(dir, "unconfirm.mjs");
    writeFileSync(file, 'export default { id: "mine", title: "t", requires: ["71d8c47fc653"], apply: () => ({ clashMergeable: (w) => { w.status &= ~8; return true; } }) };\n');
    const args = ["check", "dns-3-packets", "--kernel", "v5.0+mine", "--patch", file, "--no-reduce"];
    const [restarted, workers] = [JSON.parse(cli(...args, "--json").out), JSON.parse(cli(...args, "--json", "--workers", "2").out)];
    expect([restarted.store, workers.store]).toEqual(["all-after-sweep", "all-after-sweep"]);
    // The counts of the search that keeps every fingerprint (on workers too).
    const plain = JSON.parse(cli(...args, "--json", "--order", "dfs").out);
    expect([restarted.states, restarted.transitions, restarted.drops.map((d: { class: string }) => d.class)]).toEqual([plain.states, plain.transitions, plain.drops.map((d: { class: string }) => d.class)]);
    expect([workers.states, workers.transitions, workers.drops]).toEqual([restarted.states, restarted.transitions, restarted.drops]);
    expect(cli(...args).out).toMatch(/^store {6}every fingerprint: a step did not increase the progress measure/m);
  });

  it("a user's patch runs on workers too, with the one-thread result", () => {
    const args = ["check", "dns-3-packets", "--kernel", "v5.0+merge-on-same-origin", "--patch", EXAMPLE, "--property", "all-replied", "--no-reduce", "--json"];
    const [one, two] = [JSON.parse(cli(...args).out), JSON.parse(cli(...args, "--workers", "2").out)];
    expect(two.workers).toBe(2);
    // Timing and memory differ run to run, and on workers.
    const apart = { command: null };
    expect({ ...two, ...apart, seconds: 0, verdictSeconds: 0, statesPerSecond: 0, bytesPerState: 0, peakMemoryMiB: 0, store: "", workers: 0, counterexample: null }).toEqual({
      ...one,
      ...apart,
      peakMemoryMiB: 0,
      seconds: 0,
      verdictSeconds: 0,
      statesPerSecond: 0,
      bytesPerState: 0,
      store: "",
      workers: 0,
      counterexample: null,
    });
    expect([one.store, two.store]).toEqual(["sweep", "sweep"]);
  });

  it("a missing file and an unknown patch name are one-line errors", () => {
    expect(cli("check", "dns-a-aaaa", "--patch", join(dir, "none.mjs")).err).toMatch(/^conntrack-mc: --patch .*none\.mjs: no such file\n$/);
    expect(cli("check", "dns-a-aaaa", "--kernel", "v5.0+merge-on-same-origin").err).toMatch(/^conntrack-mc: --kernel: unknown patch 'merge-on-same-origin'/);
  });
});
