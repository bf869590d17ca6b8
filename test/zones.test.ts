/**
 * Conntrack zones and 07998281c268 against docs/kernel.md, "Zones" and race 14.3
 * (the spec): what the search finds for split zones on each release, why,
 * that a scenario without zones is the model it was, and bad zone input.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { counterexample, runCheck } from "../src/app/check.js";
import { conntrackModel } from "../src/model/model.js";
import { Fate, Pc, type KState } from "../src/kernel/net/state.js";
import { RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { compareVersions, parseVersion } from "../src/kernel/versions.js";
import { nf_ct_zone_equal, nf_ct_zone_id, NF_CT_ZONE_DIR_ORIG } from "../src/kernel/net/zone.js";
import { scenarioFromData, scenarioFromText } from "../src/scenario/load.js";
import { resolveScenario } from "../src/scenario/registry.js";
import type { Scenario } from "../src/scenario/scenario.js";
import { wordNote } from "../src/report/notes.js";
import { wordWhy } from "../src/report/explanation.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// docs/kernel.md, table "Expected outcomes (lifecycle)", row 14.3: B dropped on v5.0 and (mainline)
// v5.10, ok from v5.11 (07998281c268) on.
// v5.6 and v5.9 lie between v5.0 and v5.10 and have the same skip rule. Before v5.0 (4.x) the
// row has no column; race 14.3 there says 4e35c1cb9460 (1032812, v5.0) introduced it: without
// the same-origin skip NAT sees A's REPLY tuple taken and re-ports B. Each release the model tells apart, and
// stable releases on either side of the 07998281c268 backports (5.10.17, 5.4.99: kernel/stable.ts).
const row143 = (k: string): "B dropped" | "ok" => {
  const at = (x: string): boolean => compareVersions(parseVersion(k)!, parseVersion(x)!) >= 0;
  const line = k.split(".").slice(0, 2).join(".");
  const fixedOn: Record<string, string> = { "v5.4": "v5.4.99", "v5.10": "v5.10.17" };
  const fixed = at("v5.11") || (fixedOn[line] !== undefined && parseVersion(k)!.stable !== undefined && at(fixedOn[line]!));
  return at("v5.0") && !fixed ? "B dropped" : "ok";
};
const SPEC: Record<string, "B dropped" | "ok"> = Object.fromEntries(
  [...RELEASES.map((r) => r.name), "v5.4", "v5.4.98", "v5.4.99", "v5.10.16", "v5.10.17"].map((k) => [k, row143(k)]),
);

/** Every state the search finished in (a copy: the search lends its scratch state). */
function finished(sc: Scenario, kernel: string): KState[] {
  const out: KState[] = [];
  runCheck(sc, kernel, "no-drop", {
    visit: (s) => {
      if (s.pkts.every((p) => p.pc === Pc.DONE)) out.push(structuredClone(s));
    },
  });
  return out;
}

const splitZones = (): Scenario => resolveScenario("split-zones");
/** The head of a one-CPU scenario like split-zones, for the packets a test gives. */
const oneCpu = (name: string, description: string): string => `name: ${name}
description: ${description}
protocol: udp
cpus: 1
nat-table: true
client: 10.0.0.2:5000
service: 192.0.2.53:53
snat: { mode: masquerade, to: 192.168.1.10 }
kernels: [v5.10]
`;
const B = 1;

describe("split zones (race 14.3, docs/kernel.md): the search per release against row 14.3", () => {
  it("the spec names every release the tool has", () => {
    expect(Object.keys(SPEC)).toEqual(expect.arrayContaining(RELEASES.map((r) => r.name)));
    expect([SPEC["v5.0"], SPEC["v5.10.16"], SPEC["v5.10.17"], SPEC["v5.11"]]).toEqual(["B dropped", "B dropped", "ok", "ok"]);
  });
  for (const [kernel, expected] of Object.entries(SPEC)) {
    it(`${kernel}: ${expected}`, () => {
      const run = runCheck(splitZones(), kernel, "no-drop");
      expect(run.result.complete).toBe(true);
      const ends = finished(splitZones(), kernel);
      expect(ends.length).toBeGreaterThan(0);
      if (expected === "ok") {
        expect(run.result.verdict).toBe("holds");
        expect(ends.every((s) => s.pkts.every((p) => p.fate === Fate.ACCEPTED))).toBe(true);
        return;
      }
      expect(run.result.verdict).toBe("violated");
      // One after the other is enough: every finished run drops B, A goes through, and B
      // clashed with A's entry on the REPLY tuple (its ORIGINAL node is in another zone).
      for (const s of ends) {
        expect(s.pkts[0]!.fate).toBe(Fate.ACCEPTED);
        expect(s.pkts[B]!.fate).toBe(Fate.DROPPED);
        expect(s.pkts[B]!.clashWith).toBe(0);
      }
      // Equal tuples in both directions, ORIGINAL zones 1 and 2: not race1 (which 937963 merges), zone-clash.
      expect(run.result.violations.map((v) => v.name)).toEqual(["zone-clash"]);
      const steps = counterexample(run)!.steps;
      expect(steps.at(-1)!.function).toBe("__nf_conntrack_confirm");
      expect(wordNote(steps.at(-1)!.note, run.scenario)).toMatch(/^clash with A's entry \(REPLY\): NF_DROP$/);
      // The explanation names the node the walk found: A's ORIGINAL node is in another zone.
      expect(wordWhy(counterexample(run)!.explanation!.why, run.scenario)).toMatch(/\(zone-clash\): __nf_conntrack_confirm found its REPLY tuple /);
    });
  }
});

describe("the drop comes from nf_conntrack_tuple_taken's same-origin skip", () => {
  it("v5.10: B's source NAT keeps port 5000 though A's confirmed entry holds that REPLY tuple", () => {
    const steps = counterexample(runCheck(splitZones(), "v5.10", "no-drop"))!.steps;
    const aConfirm = steps.findIndex((s) => s.packet === "A" && s.function === "__nf_conntrack_confirm");
    const bSnat = steps.findIndex((s) => s.packet === "B" && s.function === "nf_nat_setup_info(SRC)");
    expect(aConfirm).toBeGreaterThanOrEqual(0);
    expect(bSnat).toBeGreaterThan(aConfirm);
    expect(wordNote(steps[bSnat]!.note, splitZones())).toMatch(/tuple free: keeps its source port/);
    const last = counterexample(runCheck(splitZones(), "v5.10", "no-drop"))!.path.states.at(-1)!;
    expect(last.pkts[B]!.ct!.reply).toEqual(last.pkts[0]!.ct!.reply);
  });

  it("v5.10+07998281c268 holds: NAT sees A holding the REPLY tuple and gives B another port", () => {
    const k = resolveKernel("v5.10+07998281c268");
    expect(runCheck(splitZones(), k, "no-drop").result.verdict).toBe("holds");
    for (const s of finished(splitZones(), "v5.10+07998281c268")) {
      expect(s.pkts[B]!.ct!.reply.dport).not.toBe(s.pkts[0]!.ct!.reply.dport);
      expect(s.pkts[B]!.clashWith).toBe(-1);
    }
  });

  it("v5.19 is v5.10 + 07998281c268 + d7e7747ac5c2 + b7b1d02fc439 + 1397af5bfd7d + c56716c69ce1 + 56b14ecec97f, v6.12 v5.19 + 73db1b8f2bb6 (v6.4) + d671fd82eaa9 (v6.5) + the bridge's and nfqueue's (v6.8-v6.11) + a4e6a1031e77 + d8f84a9bc7c4 + 8af79d3edb5f", () => {
    expect(resolveKernel("v5.19").parts.slice(-6)).toEqual(["07998281c268", "d7e7747ac5c2", "b7b1d02fc439", "1397af5bfd7d", "c56716c69ce1", "56b14ecec97f"]);
    expect(resolveKernel("v6.12").parts).toEqual([...resolveKernel("v5.19").parts, "73db1b8f2bb6", "d671fd82eaa9", "62e7151ae3eb", "751de2012eaf", "7d8dc1c7be8d", "a4e6a1031e77", "d8f84a9bc7c4", "8af79d3edb5f"]);
    expect(resolveKernel("v5.10").parts).not.toContain("07998281c268");
  });

  it("the zones are what makes them two flows: in one zone B's lookup finds A's entry on every release", () => {
    const data = parseYaml(`${oneCpu("one-zone", "the split-zones packets, both in zone 1")}packets:
  - { name: A, cpu: 0, zone-orig: 1 }
  - { name: B, cpu: 0, zone-orig: 1 }
`) as unknown;
    const sc = scenarioFromData(data, "one-zone");
    for (const kernel of Object.keys(SPEC)) {
      expect(runCheck(sc, kernel, "no-drop").result.verdict, kernel).toBe("holds");
      for (const s of finished(sc, kernel)) expect(s.pkts[B]!.uses).toBe(0);
    }
  });

  it("nf_ct_zone_id and nf_ct_zone_equal follow the directions of a zone (docs/kernel.md, Zones)", () => {
    const orig1 = { id: 1, dir: NF_CT_ZONE_DIR_ORIG };
    const orig2 = { id: 2, dir: NF_CT_ZONE_DIR_ORIG };
    expect([nf_ct_zone_id(orig1, "ORIGINAL"), nf_ct_zone_id(orig1, "REPLY")]).toEqual([1, 0]);
    expect(nf_ct_zone_equal(orig1, orig2, "ORIGINAL")).toBe(false);
    expect(nf_ct_zone_equal(orig1, orig2, "REPLY")).toBe(true);
  });
});

describe("a scenario without zones is the model it was", () => {
  /** Every reachable state's encoding, with no reduction. */
  function encodings(sc: Scenario, kernel: string): string[] {
    const model = conntrackModel(sc, resolveKernel(kernel));
    const seen = new Set<string>();
    const buf = new Int32Array(model.encodedWords);
    let frontier = [...model.initialStates()];
    while (frontier.length) {
      const next: KState[] = [];
      for (const s of frontier) {
        const key = Array.from(buf.subarray(0, model.encode(s, buf))).join(",");
        if (seen.has(key)) continue;
        seen.add(key);
        for (const a of model.actions(s)) next.push(model.next(s, a));
      }
      frontier = next;
    }
    return [...seen].sort();
  }

  const withZone0 = (name: string): Scenario => {
    const data = parseYaml(readFileSync(`models/${name}.yaml`, "utf8")) as { packets: Record<string, unknown>[] };
    for (const p of data.packets) p["zone"] = 0;
    return scenarioFromData(data, `${name} with zone: 0`);
  };

  it("loads without a zone field, and zone: 0 on every packet reaches the same encoded states", () => {
    for (const name of ["dns-a-aaaa-2-endpoints", "two-clients"]) {
      const plain = resolveScenario(name);
      expect(plain.packets.every((p) => !("zone" in p))).toBe(true);
      const zoned = withZone0(name);
      expect(zoned.packets.every((p) => p.zone?.id === 0)).toBe(true);
      for (const kernel of ["v4.18", "v5.10", "v6.12"]) {
        const a = encodings(plain, kernel);
        expect(a.length).toBeGreaterThan(1);
        expect(encodings(zoned, kernel)).toEqual(a);
        const ra = runCheck(plain, kernel).result;
        const rb = runCheck(zoned, kernel).result;
        expect([rb.verdict, rb.states, rb.violations.map((v) => v.name)]).toEqual([ra.verdict, ra.states, ra.violations.map((v) => v.name)]);
      }
    }
  });
});

describe("bad zone input: one line naming the field", () => {
  const base = `${oneCpu("z", "d")}packets:
`;
  const cases: [string, RegExp][] = [
    ["  - { name: A, cpu: 0, zone: 70000 }", /^z\.yaml: packets\[0\]\.zone: expected a zone id from 0 to 65535$/],
    ["  - { name: A, cpu: 0, zone-orig: -1 }", /^z\.yaml: packets\[0\]\.zone-orig: expected a zone id from 0 to 65535$/],
    ["  - { name: A, cpu: 0, zone-reply: 1.5 }", /^z\.yaml: packets\[0\]\.zone-reply: expected a zone id, a whole number from 0 to 65535/],
    ["  - { name: A, cpu: 0, zone: one }", /^z\.yaml: packets\[0\]\.zone: expected a zone id, a whole number from 0 to 65535/],
    ["  - { name: A, cpu: 0, zone: 1, zone-orig: 1 }", /^z\.yaml: packets\[0\]\.zone-orig: expected either zone \(both directions\) or zone-orig\/zone-reply, not both$/],
    ["  - { name: A, cpu: 0, zone-orig: 1, zone-reply: 2 }", /^z\.yaml: packets\[0\]\.zone-reply: expected zone-orig or zone-reply, not both/],
  ];
  for (const [line, message] of cases) {
    it(line.trim(), () => {
      let err: unknown;
      try {
        scenarioFromText(base + line + "\n", "z.yaml");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    });
  }

  it("the CLI exits 2 with that line", () => {
    const file = join(mkdtempSync(join(tmpdir(), "zones-")), "z.yaml");
    writeFileSync(file, base + "  - { name: A, cpu: 0, zone: 70000 }\n");
    const r = cli("check", file, "--kernel", "v5.10");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^conntrack-mc: .*z\.yaml: packets\[0\]\.zone: expected a zone id from 0 to 65535\n$/);
  });
});

describe("07998281c268 written as a user's patch (examples/patches/skip-same-zone-only.mjs)", () => {
  it("compare gives the built-in's verdicts, classes and state counts, with zones and without", () => {
    const r = cli(
      "compare",
      "split-zones",
      "dns-a-aaaa-2-endpoints",
      "two-clients",
      "--kernels",
      "v5.10+skip-same-zone-only,v5.10+07998281c268",
      "--patch",
      "examples/patches/skip-same-zone-only.mjs",
      "--json",
    );
    expect(r.code, r.err).toBeLessThanOrEqual(1);
    const j = JSON.parse(r.out) as { kernels: string[]; rows: { verdict: string; states: number; drops: unknown; changes: { class: string; status: string }[] }[][] };
    const row = (k: string) => j.rows[j.kernels.indexOf(k)]!;
    const mine = row("v5.10+skip-same-zone-only");
    const builtin = row("v5.10+07998281c268");
    const shape = (cells: typeof mine) => cells.map((c) => ({ verdict: c.verdict, states: c.states, drops: c.drops, changes: c.changes.map((x) => `${x.class} ${x.status}`) }));
    expect(shape(mine)).toEqual(shape(builtin));
    // And it is not a patch that changes nothing: on split zones it fixes v5.10's drop.
    expect(mine[0]!.verdict).toBe("holds");
    expect(row("v5.10")[0]!.verdict).toBe("violated");
  });
});
