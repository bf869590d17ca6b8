import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { readFileSync } from "node:fs";
import { InputError } from "../src/errors.js";
import { loadScenarioFile, scenarioFromData } from "../src/scenario/load.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";
import { resolveKernel } from "../src/kernel/variants.js";

const base = parseYaml(readFileSync("models/dns-a-aaaa.yaml", "utf8")) as Record<string, unknown>;

function errorOf(data: unknown): string {
  try {
    scenarioFromData(data, "s.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error("expected the scenario to be rejected");
}

describe("scenario files", () => {
  it("the built-in scenarios load, and their default kernels exist", () => {
    expect(builtinScenarioNames()).toEqual(expect.arrayContaining(["dns-a-aaaa", "dns-a-aaaa-2-endpoints", "no-nat"]));
    for (const n of builtinScenarioNames()) {
      const sc = resolveScenario(n);
      expect(sc.name).toBe(n);
      for (const k of sc.kernels) expect(() => resolveKernel(k)).not.toThrow();
    }
  });

  it("JSON works as well as YAML", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-"));
    writeFileSync(join(dir, "x.json"), JSON.stringify(base));
    expect(loadScenarioFile(join(dir, "x.json")).packets).toHaveLength(2);
  });

  const cases: [string, (d: Record<string, unknown>) => unknown, RegExp][] = [
    ["a packet on a CPU that does not exist", (d) => ({ ...d, packets: [{ name: "A", cpu: 0 }, { name: "B", cpu: 2 }] }), /^s\.yaml: packets\[1\]\.cpu: expected a CPU from 0 to 1 \(cpus is 2\), got 2$/],
    ["a missing field", (d) => ({ ...d, protocol: undefined }), /^s\.yaml: protocol: /],
    ["an unknown field", (d) => ({ ...d, nat_table: true }), /^s\.yaml: .*nat_table/],
    ["a bad address", (d) => ({ ...d, client: "10.0.0.300:53" }), /^s\.yaml: client: expected address:port with an IPv4 address$/],
    ["a bad port", (d) => ({ ...d, service: "10.0.0.3:70000" }), /^s\.yaml: service: expected a port from 1 to 65535$/],
    ["a wrong type", (d) => ({ ...d, cpus: "two" }), /^s\.yaml: cpus: /],
    ["an unknown protocol", (d) => ({ ...d, protocol: "sctp" }), /^s\.yaml: protocol: /],
    ["DNAT without a NAT table", (d) => ({ ...d, "nat-table": false, snat: "none" }), /^s\.yaml: dnat: a DNAT rule needs nat-table: true$/],
    ["no source NAT on a NAT host", (d) => ({ ...d, snat: "none" }), /^s\.yaml: snat: expected null-binding or masquerade/],
    ["duplicate packet names", (d) => ({ ...d, packets: [{ name: "A", cpu: 0 }, { name: "A", cpu: 1 }] }), /^s\.yaml: packets\[1\]\.name: expected a unique name/],
    ["no packets", (d) => ({ ...d, packets: [] }), /^s\.yaml: packets: /],
    ["not an object", () => 42, /^s\.yaml: \(top level\): /],
  ];
  for (const [what, mutate, message] of cases) {
    it(`rejects ${what} in one line naming the field`, () => {
      const msg = errorOf(mutate(base));
      expect(msg).toMatch(message);
      expect(msg).not.toContain("\n");
    });
  }

  it("reports unreadable and unparsable files in one line", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-"));
    writeFileSync(join(dir, "bad.yaml"), "name: [unclosed\n");
    expect(() => loadScenarioFile(join(dir, "bad.yaml"))).toThrow(/bad\.yaml: not valid YAML: /);
    expect(() => loadScenarioFile(join(dir, "missing.yaml"))).toThrow(/missing\.yaml: cannot read scenario file \(ENOENT\)/);
    expect(() => resolveScenario("no-such-scenario")).toThrow(/^scenario: no built-in scenario 'no-such-scenario': expected one of /);
    writeFileSync(join(dir, "ok.yaml"), stringify(base));
    expect(resolveScenario(join(dir, "ok.yaml")).name).toBe("dns-a-aaaa");
  });
});

describe("kernel variants", () => {
  it("composes releases and patches", () => {
    expect(resolveKernel("v4.19").parts).toEqual(["v4.6", "71d8c47fc653", "590b52e10d41", "f330a7fdbe16", "b87a2f9199ea", "early-drop-list", "2843fb69980b", "iterate-confirmed-only", "368982cd7d1b", "937963"]);
    expect(resolveKernel("v5.0").parts).toEqual(resolveKernel("v4.18+937963+1032812+d535c8a69c19").parts);
    expect(resolveKernel("v4.18+1032812").parts).toEqual(["v4.6", "71d8c47fc653", "590b52e10d41", "f330a7fdbe16", "b87a2f9199ea", "early-drop-list", "2843fb69980b", "iterate-confirmed-only", "368982cd7d1b", "1032812"]);
    // a patch may be named by its commit too
    expect(resolveKernel("v4.18+ed07d9a021df").parts).toEqual(resolveKernel("v4.19").parts);
  });

  it("rejects unknown variants, duplicate and unmet patches in one line", () => {
    expect(() => resolveKernel("v9.9")).toThrow(/^kernel: unknown kernel variant 'v9\.9': the newest known is v7\.1 \(v7\.2 in release candidates\)$/);
    expect(() => resolveKernel("current")).toThrow(/^kernel: unknown kernel variant 'current': expected a release such as v6\.1 .* followed by optional \+patch/);
    expect(() => resolveKernel("v6.1++p")).toThrow(/^kernel: 'v6\.1\+\+p': expected a patch name after each '\+'/);
    expect(() => resolveKernel("v6.01")).toThrow(/^kernel: unknown kernel variant 'v6\.01'/);
    expect(() => resolveKernel("v6.1-rc3")).toThrow(/-rc names a release candidate of v7\.2 only; v6\.1 is released: write v6\.1$/);
    expect(resolveKernel("6.1.0").name).toBe("v6.1");
    expect(() => resolveKernel("x".repeat(5000))).toThrow(/^kernel: unknown kernel variant 'x{57}\.\.\.': /);
    expect(() => resolveKernel("v4.18+123")).toThrow(/^kernel: unknown patch '123' in 'v4\.18\+123'/);
    expect(() => resolveKernel("v4.19+937963")).toThrow(/applies 937963 twice/);
    expect(() => resolveKernel("v4.6+937963")).toThrow(/patch 937963 applies on top of 71d8c47fc653, which 'v4\.6\+937963' lacks/);
  });
});
