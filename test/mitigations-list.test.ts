/**
 * Mitigations are first-class (issue 32): `list` (text and --json) names each built-in mitigation with the
 * scenarios it is meant for and what a user changes, and `compare` marks a mitigation's column. Runs dist/:
 * `npm run build` first.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";

function cli(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["COLUMNS"];
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Mitigation {
  name: string;
  of: string[];
  how: string;
}

const MITIGATIONS = ["consistent-hash", "nodelocaldns", "single-request", "single-request-reopen", "snat-port-race-random-fully"];
const squeeze = (s: string): string => s.replace(/\s+/g, "");

describe("mitigations in list and compare", () => {
  const listed = JSON.parse(cli("list", "--json").out) as { scenarios: { name: string; mitigation?: Mitigation }[] };

  it("list --json gives the mitigation of exactly the five built-in mitigations, as their scenario files have it", () => {
    expect(listed.scenarios.filter((s) => s.mitigation !== undefined).map((s) => s.name)).toEqual(MITIGATIONS);
    for (const s of listed.scenarios) {
      const m = resolveScenario(s.name).mitigation;
      expect(s.mitigation, s.name).toEqual(m === undefined ? undefined : { name: m.name, of: [...m.of], how: m.how });
    }
  });

  it("every built-in mitigation is meant for built-in scenarios other than itself, and says what a user changes", () => {
    const names = builtinScenarioNames();
    const mitigations = names.flatMap((n) => {
      const m = resolveScenario(n).mitigation;
      return m ? [{ scenario: n, ...m }] : [];
    });
    expect(mitigations.map((m) => m.scenario)).toEqual(MITIGATIONS);
    for (const m of mitigations) {
      expect(m.of.length, m.scenario).toBeGreaterThan(0);
      for (const of of m.of) {
        expect(names, `${m.scenario}: of ${of}`).toContain(of);
        expect(of).not.toBe(m.scenario);
      }
      expect(m.how.trim().length).toBeGreaterThan(0);
    }
  });

  it("list's text has a mitigations section: each with the scenarios it is for and what a user changes", () => {
    const text = cli("list").out;
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.startsWith("mitigations"));
    expect(start).toBeGreaterThan(0);
    const end = lines.indexOf("", start);
    const section = lines.slice(start + 1, end);
    // A row per mitigation, in the order of the scenarios, continuation lines indented further.
    expect(section.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0])).toEqual(MITIGATIONS);
    for (const s of listed.scenarios.filter((x) => x.mitigation)) {
      const m = s.mitigation!;
      expect(squeeze(section.join(" ")), s.name).toContain(squeeze(`for ${m.of.join(", ")}: ${m.how}`));
    }
  });

  it("compare marks a mitigation's column in text, Markdown and --json, and only that one", () => {
    const args = ["compare", "dns-a-aaaa", "single-request", "--kernels", "v5.0"];
    const j = JSON.parse(cli(...args, "--json").out) as { mitigations: Record<string, Mitigation> };
    expect(Object.keys(j.mitigations)).toEqual(["single-request"]);
    expect(j.mitigations["single-request"]).toEqual(listed.scenarios.find((s) => s.name === "single-request")!.mitigation);
    const note = "(mitigation of dns-a-aaaa, dns-a-aaaa-2-endpoints, dns-3-packets)";
    const text = cli(...args).out;
    expect(squeeze(text)).toContain(squeeze(note));
    expect(text).toMatch(/^mitigation single-request: /m);
    expect(text.match(/\(mitigation of/g)).toHaveLength(1);
    const md = cli(...args, "--markdown").out;
    expect(md.split("\n")[0]).toBe(`| kernel | dns-a-aaaa | single-request<br>${note} |`);
  });
});
