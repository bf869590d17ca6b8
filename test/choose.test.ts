/** lib.choose(n): a patch's nondeterministic choice, enumerated by the search like a DNAT endpoint. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCheck } from "../src/app/check.js";
import { conntrackModel } from "../src/model/model.js";
import { IPS } from "../src/kernel/net/conn.js";
import type { KState } from "../src/kernel/net/state.js";
import { loadPatchFile } from "../src/user-patch/load.js";
import { PATCHES, RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const EXAMPLE = "examples/patches/random-source-port.mjs";
const SCENARIO = "examples/scenarios/snat-port-race-8-ports.yaml";
const PATCHED = "v6.12+random-source-port";

const kernelWith = async (name: string, file: string) => resolveKernel(name, "kernel", [...PATCHES, await loadPatchFile(file)]);

/** The source port each packet's entry got, in every terminal state the search reached (source-NATed entries only). */
function finalPorts(kernel: Awaited<ReturnType<typeof kernelWith>>, reduce?: "none"): { ports: Set<number>[]; states: number; transitions: number } {
  const sc = resolveScenario(SCENARIO);
  const model = conntrackModel(sc, kernel);
  const ports = sc.packets.map(() => new Set<number>());
  const run = runCheck(sc, kernel, "no-drop", {
    ...(reduce ? { reduce: { symmetry: false, por: false } } : {}),
    visit: (s: KState) => {
      if (model.actions(s).length > 0) return;
      s.pkts.forEach((p, i) => {
        if (p.ct && p.ct.status & IPS.SRC_NAT) ports[i]!.add(p.ct.reply.dport);
      });
    },
  });
  return { ports, states: run.result.states, transitions: run.result.transitions };
}

describe("lib.choose: random-source-port", () => {
  const range = Array.from({ length: 8 }, (_, i) => 1024 + i);

  it("every port of the --to-ports range is a final state's port for each re-ported packet, where the rover gives fewer", async () => {
    const patched = finalPorts(await kernelWith(PATCHED, EXAMPLE));
    for (const set of patched.ports) expect([...set].sort((a, b) => a - b)).toEqual(range);
    // The base searches from the shared rover: not every port is reachable (the choice is what makes them so).
    const base = finalPorts(resolveKernel("v6.12"));
    for (const set of base.ports) {
      expect(set.size).toBeGreaterThan(0);
      expect(set.size).toBeLessThan(range.length);
      for (const p of set) expect(range).toContain(p);
    }
    expect(patched.states).toBeGreaterThan(base.states);
  });

  it("gives the same counts run to run, on one thread and on workers, and in traces the step's choice", async () => {
    const a = finalPorts(await kernelWith(PATCHED, EXAMPLE));
    const b = finalPorts(await kernelWith(PATCHED, EXAMPLE));
    expect([b.states, b.transitions]).toEqual([a.states, a.transitions]);
    const json = (workers: string) => JSON.parse(cli("check", SCENARIO, "--kernel", PATCHED, "--patch", EXAMPLE, "--json", "--workers", workers).out);
    const one = json("1");
    const two = json("2");
    expect([two.states, two.transitions, two.verdict]).toEqual([one.states, one.transitions, one.verdict]);
    const t = JSON.parse(cli("trace", SCENARIO, "--kernel", PATCHED, "--patch", EXAMPLE, "--format", "json").out);
    const chose = t.steps.filter((s: { note: string }) => /\(patch chose \d of 8\)$/.test(s.note));
    // Both packets' port searches are a choice of the patch.
    expect(chose.map((s: { packet: string }) => s.packet).sort()).toEqual(["pod1", "pod2"]);
  });

  it("compare against the base: the same class in more states, every state found by the search", () => {
    const r = cli("compare", SCENARIO, "--kernels", `v6.12,${PATCHED}`, "--patch", EXAMPLE, "--json");
    expect(r.err).toBe("");
    const out = JSON.parse(r.out);
    const base = out.rows[out.kernels.indexOf("v6.12")][0];
    const cell = out.rows[out.kernels.indexOf(PATCHED)][0];
    expect(cell.base).toBe("v6.12");
    expect(cell.new).toEqual([]);
    expect(cell.remaining).toEqual(base.remaining);
    expect(cell.states).toBeGreaterThan(base.states);
    // Eight start ports, not the rover's one: the two flows meet on a port in more of the states.
    expect(cell.worse).toEqual(base.remaining);
  });
});

describe("lib.choose: kernels without it explore as before", () => {
  it("no built-in kernel takes the discovery path", () => {
    const sc = resolveScenario("dns-a-aaaa-2-endpoints");
    for (const r of RELEASES) expect(conntrackModel(sc, resolveKernel(r.name)).choosing, r.name).toBe(false);
  });

  it("a user's patch that does not call choose finds exactly the built-in kernel's states on every scenario", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-choose-"));
    const file = join(dir, "same.mjs");
    writeFileSync(file, 'export default { id: "same", title: "t", requires: [], apply: (base) => ({ nf_nat_l4proto_unique_tuple: (...a) => base.nf_nat_l4proto_unique_tuple(...a), nf_ct_resolve_clash: (...a) => base.nf_ct_resolve_clash(...a) }) };\n');
    const same = await kernelWith("v6.12+same", file);
    for (const name of builtinScenarioNames()) {
      const sc = resolveScenario(name);
      expect(conntrackModel(sc, same).choosing).toBe(true);
      const a = runCheck(sc, "v6.12").result;
      const b = runCheck(sc, same).result;
      expect([b.states, b.transitions, b.verdict], name).toEqual([a.states, a.transitions, a.verdict]);
    }
  });
});

describe("lib.choose: what it refuses, in one line, exit 2", () => {
  const dir = mkdtempSync(join(tmpdir(), "ctmc-choose-bad-"));
  const patch = (file: string, hook: string): string => {
    const path = join(dir, file);
    writeFileSync(path, `export default { id: "mine", title: "t", requires: [], apply: (base, lib) => ${hook} };\n`);
    return path;
  };
  const expectRefused = (file: string, message: RegExp): void => {
    for (const workers of ["1", "2"]) {
      const r = cli("check", SCENARIO, "--kernel", "v6.12+mine", "--patch", file, "--workers", workers);
      expect(r.code, `--workers ${workers}: ${r.err}`).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err.trim()).toMatch(message);
    }
  };
  const port = (n: string) => `({ nf_nat_l4proto_unique_tuple: (st, t, range) => range.min + lib.choose(${n}) })`;

  for (const [n, shown] of [["0", "0"], ["1.5", "1.5"], ["257", "257"], ['"3"', '"3"'], ["NaN", "NaN"]] as const) {
    it(`choose(${n})`, () => {
      expectRefused(patch(`bad-${n.replace(/\W/g, "_")}.mjs`, port(n)), new RegExp(`--patch .*: nf_nat_l4proto_unique_tuple called lib\\.choose\\(${shown.replace(".", "\\.")}\\): expected an integer 1 to 256, the number of alternatives$`));
    });
  }

  it("choose where no step runs (in apply)", () => {
    const file = patch("in-apply.mjs", "(lib.choose(2), {})");
    expectRefused(file, /--patch .*in-apply\.mjs: apply called lib\.choose\(2\) where no step runs: /);
  });

  it("a number of alternatives that is not a function of the state", () => {
    const file = join(dir, "counter.mjs");
    writeFileSync(file, 'let k = 0;\nexport default { id: "mine", title: "t", requires: [], apply: (base, lib) => ({ nf_nat_l4proto_unique_tuple: (st, t, range) => range.min + lib.choose(2 + (k++ % 3)) }) };\n');
    expectRefused(file, /--patch .*counter\.mjs: nf_nat_l4proto_unique_tuple called lib\.choose\(\d\) where the same step from the same state called lib\.choose\(\d\) before: the alternatives a step offers must be a function of the state/);
  });

  it("a refusal the hook catches is reported all the same", () => {
    const file = patch("caught.mjs", "({ nf_nat_l4proto_unique_tuple: (st, t, range) => { try { return range.min + lib.choose(0); } catch { return range.min; } } })");
    expectRefused(file, /nf_nat_l4proto_unique_tuple called lib\.choose\(0\): expected an integer 1 to 256/);
  });
});

describe("a differential schedule couples a patch's choices with the base's own", () => {
  it("B takes the step A's choice refines (never skips it), so a drop only the patch allows is found", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-choose-diff-"));
    const file = join(dir, "any-port.mjs");
    // A random port of the range, never checked against the table: two flows one after the other may clash.
    writeFileSync(file, 'export default { id: "any-port", title: "t", requires: [], apply: (base, lib) => ({ nf_nat_l4proto_unique_tuple: (st, t, range, random, used, manip) => manip === "DST" || !range || range.max - range.min + 1 > 256 ? base.nf_nat_l4proto_unique_tuple(st, t, range, random, used, manip) : range.min + lib.choose(range.max - range.min + 1) }) };\n');
    const r = cli("trace", SCENARIO, "--kernel", "v6.12+any-port", "--against", "v6.12", "--patch", file, "--format", "json");
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out);
    const against = j.against as { skipped: number[]; steps: { function: string }[]; outcome: string };
    expect(against.skipped).toEqual([]);
    const snat = (steps: { function: string }[]) => steps.filter((s) => s.function === "nf_nat_setup_info(SRC)").length;
    expect(snat(against.steps)).toBe(snat(j.steps as { function: string }[]));
    expect(against.outcome).toMatch(/no drop/);
  });
});
