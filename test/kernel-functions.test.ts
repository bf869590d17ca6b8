/** Every kernel function the model runs is a function of the variant, under its kernel name, that a patch may override. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseV46 } from "../src/kernel/base-v4.6.js";
import { HOOKS } from "../src/user-patch/load.js";
import { resolveKernel } from "../src/kernel/variants.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const UNCONFIRMED = "examples/patches/lookup-sees-unconfirmed.mjs";

describe("the kernel's functions", () => {
  it("a patch may override every function of the newest kernel, and only those; the base has all but d8f84a9bc7c4's one, 6a757c07e51f's two, the v4.9 reapers' three, 368982cd7d1b's and 62e7151ae3eb's", () => {
    const { name: _n, parts: _p, rebuild: _r, ...newest } = resolveKernel("v7.1");
    expect([...HOOKS].sort()).toEqual(Object.keys(newest).sort());
    expect(HOOKS.filter((h) => !(h in baseV46))).toEqual(["nf_nat_used_tuple_new", "__nf_ct_resolve_clash", "nf_ct_resolve_clash_harder", "nf_ct_should_gc", "nf_ct_gc_expired", "gc_worker", "nf_conntrack_update", "br_nf_local_in"]);
    for (const name of ["__nf_conntrack_find_get", "init_conntrack", "nf_nat_setup_info", "get_unique_tuple", "find_appropriate_src", "nf_nat_l4proto_unique_tuple", "nf_conntrack_tuple_taken", "__nf_conntrack_confirm", "nf_ct_resolve_clash", "nf_conntrack_udp_packet", "nf_conntrack_tcp_packet", "nf_ct_delete"]) {
      expect(HOOKS).toContain(name);
    }
  });

  const dir = mkdtempSync(join(tmpdir(), "ctmc-fn-"));
  const patch = (file: string, requires: string, hooks: string): string => {
    const f = join(dir, file);
    writeFileSync(f, `export default { id: "${file.replace(/\.mjs$/, "")}", title: "t", requires: ${requires}, apply: (base) => (${hooks}) };\n`);
    return f;
  };

  it("nf_ct_resolve_clash_harder is a function of its own from v5.6: without it, v5.6's fix of race 3 is undone; before v5.6 it is refused", () => {
    const f = patch("no-harder.mjs", '["6a757c07e51f"]', '{ nf_ct_resolve_clash_harder: () => ({ kind: "drop" }) }');
    const r = cli("compare", "dns-3-packets", "--kernels", "v5.0,v5.6,v5.6+no-harder", "--patch", f, "--json");
    const j = JSON.parse(r.out);
    const cell = (k: string) => j.rows[j.kernels.indexOf(k)][0];
    const names = (k: string) => cell(k).drops.map((d: { class: string }) => d.class);
    expect(cell("v5.0").verdict).toBe("violated");
    expect(names("v5.0")).toContain("race3");
    expect(names("v5.6")).not.toContain("race3");
    expect(cell("v5.6+no-harder").base).toBe("v5.6");
    expect(cell("v5.6+no-harder").new).toContain("race3");
    const g = patch("harder-early.mjs", "[]", '{ nf_ct_resolve_clash_harder: () => ({ kind: "drop" }) }');
    const e = cli("check", "dns-3-packets", "--kernel", "v5.0+harder-early", "--patch", g);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/^conntrack-mc: --patch .*harder-early\.mjs: apply returned 'nf_ct_resolve_clash_harder': the kernel it is applied on has no nf_ct_resolve_clash_harder: it comes with 6a757c07e51f in v5\.6; .*\n$/);
  });

  it("get_unique_tuple is overridable: one that never searches a port drops a flow on a schedule where the base's search avoids the clash", () => {
    const f = patch("keep-port.mjs", "[]", "{ get_unique_tuple: (ctx, st, p, orig, range, manip, random) => manip === \"SRC\" ? { ...orig, src: range.addr } : base.get_unique_tuple(ctx, st, p, orig, range, manip, random) }");
    const r = cli("trace", "snat-port-race", "--kernel", "v6.12+keep-port", "--against", "v6.12", "--patch", f, "--format", "json");
    expect(r.code, r.err).toBe(1);
    const steps = JSON.parse(r.out).steps as { function: string; note: string; packet: string }[];
    // The shortest such schedule confirms the first flow before the second's NAT step asks for a tuple.
    const confirm = steps.findIndex((s) => s.function === "__nf_conntrack_confirm");
    const secondNat = steps.findIndex((s, i) => i > confirm && s.function === "nf_nat_setup_info(SRC)");
    expect(confirm).toBeGreaterThanOrEqual(0);
    expect(secondNat).toBeGreaterThan(confirm);
    expect(steps[secondNat]!.note).toMatch(/get_unique_tuple gives source port 40000/);
  });

  it("the renamed hooks of earlier releases are refused with their kernel names", () => {
    const f = patch("old-name.mjs", "[]", "{ resolveClash: (...a) => base.nf_ct_resolve_clash(...a) }");
    const r = cli("check", "dns-a-aaaa", "--kernel", "v5.0+old-name", "--patch", f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/apply returned 'resolveClash': it is now named after the kernel function, nf_ct_resolve_clash/);
  });

  it("a reply goes through the protocol's tracker: nf_conntrack_tcp_packet for TCP, nf_conntrack_udp_packet for UDP", () => {
    const sc = join(dir, "tcp-replies.yaml");
    writeFileSync(sc, readFileSync("models/tcp-syn.yaml", "utf8").replace(/^name: tcp-syn$/m, "name: tcp-replies").replace(/^cpus: 2$/m, "cpus: 2\nreplies: true"));
    const bad = (proto: string) => patch(`bad-${proto}.mjs`, "[]", `{ nf_conntrack_${proto}_packet: () => 42 }`);
    const t = cli("check", sc, "--kernel", "v6.12+bad-tcp", "--patch", bad("tcp"));
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/bad-tcp\.mjs: nf_conntrack_tcp_packet returned 42: expected undefined or a string of one line/);
    // A UDP scenario never calls the TCP tracker, and the TCP one never the UDP tracker.
    expect(cli("check", "dns-3-packets", "--kernel", "v6.12+bad-tcp", "--patch", bad("tcp")).code).toBe(0);
    expect(cli("check", sc, "--kernel", "v6.12+bad-udp", "--patch", bad("udp")).code).toBe(1);
    expect(cli("check", "dns-3-packets", "--kernel", "v6.12+bad-udp", "--patch", bad("udp")).code).toBe(2);
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
