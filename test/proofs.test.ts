/** proofs/: every claim proved by the search, RESULTS.md true to it, and claims that notice a broken patch.
 * The CLI cases run dist/: `npm run build` first. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync, statSync, utimesSync, appendFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadClaim, loadClaims, proveAll, proveClaim, type ClaimResult } from "../src/app/proofs.js";
import { resultsMarkdown } from "../src/report/prove.js";
import { propertiesOf, runCheck } from "../src/app/check.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { PATCHES, resolveKernel } from "../src/kernel/variants.js";
import type { Patch } from "../src/kernel/patch.js";
import { InputError } from "../src/errors.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const claims = await loadClaims();
const results = proveAll(claims);

describe("proofs/", () => {
  it("has claims for each patch's fix, what it leaves open, the mitigations and the open questions", () => {
    const ids = claims.map((c) => c.id);
    for (const id of [
      "race1-fixed-by-937963",
      "race2-fixed-by-1032812",
      "race3-fixed-by-v5.6",
      "lost-reply-fixed-by-v5.9",
      "race3-open-on-v5.0",
      "race2-open-on-v4.19",
      "stable-1032812-without-937963",
      "no-nat-safe-since-v4.7",
      "tcp-never-resolved-v6.12",
      "mitigation-single-request",
      "mitigation-single-request-reopen",
      "mitigation-nodelocaldns",
      "mitigation-consistent-hash-v5.0",
    ]) {
      expect(ids).toContain(id);
    }
    expect(ids.filter((id) => id.startsWith("open-q1")).length).toBeGreaterThan(0);
    expect(ids.filter((id) => id.startsWith("open-q2")).length).toBeGreaterThan(0);
    expect(ids.filter((id) => id.startsWith("open-q3")).length).toBeGreaterThan(0);
  });

  it("every claim is proved by the search", () => {
    const bad = results.filter((r) => r.outcome !== "proved").map((r) => `${r.claim.id}: ${r.mismatch}`);
    expect(bad).toEqual([]);
  });

  it("RESULTS.md is exactly what prove writes now", () => {
    expect(readFileSync("proofs/RESULTS.md", "utf8")).toBe(resultsMarkdown(results));
  });

  it("RESULTS.md holds no timings: no seconds column, no cell that is a duration", () => {
    const rows = resultsMarkdown(results).split("\n").filter((l) => l.startsWith("| "));
    const cells = (row: string): string[] => row.slice(2, -2).split(" | ");
    const header = cells(rows[0]!);
    expect(header).not.toContain("seconds");
    expect(rows.length).toBe(claims.length + 1);
    for (const row of rows.slice(1)) {
      expect(cells(row)).toHaveLength(header.length);
      for (const cell of cells(row)) expect(cell).not.toMatch(/^\d+\.\d+$/);
    }
    // What a claim's run measured is not in it, so two runs' files are alike.
    expect(resultsMarkdown(results.map((r) => ({ ...r, seconds: r.seconds + 1 })))).toBe(resultsMarkdown(results));
  });

  it("a claim without property checks every property its scenario supports; one naming some checks those", () => {
    for (const c of claims) {
      const sc = resolveScenario(c.scenarioArg);
      const text = readFileSync(c.file, "utf8");
      if (!/^property:/m.test(text)) expect(c.properties).toEqual(propertiesOf(sc).map((p) => p.name));
      else expect(c.properties.length).toBeGreaterThan(0);
    }
    // The claims about a user's patch use the default, so they cover both properties.
    const own = claims.filter((c) => c.patchFiles.length > 0);
    expect(own.map((c) => c.id)).toEqual(expect.arrayContaining(["own-patch-merge-on-same-origin-v6.12", "own-patch-merge-on-same-reply-v6.12"]));
    for (const c of own) expect(c.properties).toEqual(["no-drop", "all-replied"]);
  });

  it("a claim's expected classes are compared with every property's classes the search found", () => {
    for (const r of results) {
      const run = runCheck(resolveScenario(r.claim.scenarioArg), resolveKernel(r.claim.kernel, "kernel", [...PATCHES, ...r.claim.userPatches]), r.claim.properties);
      expect(r.classes).toEqual([...new Set(run.result.violations.map((v) => v.name))].sort());
      expect(run.result.properties).toEqual(r.claim.properties);
    }
  });
});

/** Proves every claim with one patch replaced; returns the ids of the claims that fail. */
function failingWith(mutant: Patch): string[] {
  const patches = PATCHES.map((p) => (p.id === mutant.id ? mutant : p));
  return proveAll(claims, patches)
    .filter((r: ClaimResult) => r.outcome === "failed")
    .map((r) => r.claim.id);
}

const uses = (id: string, patch: string): boolean => {
  const c = claims.find((d) => d.id === id)!;
  return resolveKernel(c.kernel, "kernel", [...PATCHES, ...c.userPatches]).parts.includes(patch);
};

describe("mutation checks: a broken patch makes the claims about it fail", () => {
  it("1032812 without its same-origin check", () => {
    const p = PATCHES.find((x) => x.id === "1032812")!;
    const failed = failingWith({ ...p, apply: () => ({}) });
    expect(failed).toEqual(expect.arrayContaining(["race2-fixed-by-1032812", "race3-open-on-v5.0", "stable-1032812-without-937963", "mitigation-consistent-hash-v5.0"]));
    for (const id of failed) expect(uses(id, "1032812")).toBe(true);
  });

  it("937963 without nf_ct_match", () => {
    const p = PATCHES.find((x) => x.id === "937963")!;
    const failed = failingWith({ ...p, apply: () => ({}) });
    expect(failed).toEqual(expect.arrayContaining(["race1-fixed-by-937963", "race2-fixed-by-1032812"]));
    for (const id of failed) expect(uses(id, "937963")).toBe(true);
  });

  it("c46172147ebb left out of v5.9 brings the lost reply back", () => {
    const p = PATCHES.find((x) => x.id === "c46172147ebb")!;
    const failed = failingWith({ ...p, apply: () => ({}) });
    expect(failed).toEqual(expect.arrayContaining(["lost-reply-fixed-by-v5.9", "open-q2-three-cpus-v5.10"]));
    for (const id of failed) expect(uses(id, "c46172147ebb")).toBe(true);
  });
});

describe("claim files", () => {
  const dir = mkdtempSync(join(tmpdir(), "ctmc-claims-"));
  const write = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it("a malformed claim is one line naming the field", async () => {
    const f = write("bad.yaml", "claim: x\nscenario: dns-a-aaaa\nkernel: v4.19\nexpect: violated\nwhy: because\n");
    await expect(loadClaim(f)).rejects.toThrow(InputError);
    await expect(loadClaim(f)).rejects.toThrow(/bad\.yaml: classes: expected the violation classes a 'violated' claim expects$/);
    const g = write("bad2.yaml", "claim: x\nscenario: dns-a-aaaa\nkernel: v9\nexpect: holds\nwhy: because\n");
    await expect(loadClaim(g)).rejects.toThrow(/bad2\.yaml: kernel: unknown kernel variant 'v9'/);
  });

  it("property: one name or a list; each named must be one the scenario supports, each class one of theirs", async () => {
    const base = "claim: x\nscenario: dns-3-packets\nkernel: v5.6\nwhy: because\n";
    const one = await loadClaim(write("one.yaml", `${base}property: all-replied\nexpect: violated\nclasses: [reply-lost]\n`));
    expect(one.properties).toEqual(["all-replied"]);
    const list = await loadClaim(write("list.yaml", `${base}property: [all-replied, no-drop]\nexpect: violated\nclasses: [reply-lost]\n`));
    expect(list.properties).toEqual(["no-drop", "all-replied"]);
    expect(proveClaim(list).outcome).toBe("proved");
    await expect(loadClaim(write("typo.yaml", `${base}property: [no-drop, all-replid]\nexpect: holds\n`))).rejects.toThrow(
      /typo\.yaml: property: expected a property \(no-drop, all-replied, no-crash, no-lost-entry, no-needless-rewrite, no-stale-mapping, flush-empties, no-freed-policy, no-warn, no-stale-ct, timeout-as-set\) or a list of them, got 'all-replid' in the list$/,
    );
    await expect(loadClaim(write("noreplies.yaml", "claim: x\nscenario: dns-a-aaaa\nkernel: v5.6\nwhy: because\nproperty: all-replied\nexpect: holds\n"))).rejects.toThrow(
      /noreplies\.yaml: property: all-replied needs a scenario with replies: true/,
    );
    await expect(loadClaim(write("wrongclass.yaml", `${base}property: no-drop\nexpect: violated\nclasses: [reply-lost]\n`))).rejects.toThrow(
      /wrongclass\.yaml: classes\[0\]: 'reply-lost' is a class of all-replied, which this claim does not check \(property: no-drop\)/,
    );
  });

  it("a search stopped by the claim's budget is incomplete, never proved", async () => {
    const f = write("budget.yaml", "claim: x\nscenario: dns-a-aaaa\nkernel: v5.0\nexpect: holds\nwhy: because\nbudget: { max-states: 5 }\n");
    const r = proveClaim(await loadClaim(f));
    expect(r.outcome).toBe("incomplete");
    expect(r.verdict).toBe("incomplete");
  });

  it("the CLI: a wrong claim fails with exit 1 naming it; RESULTS.md goes where asked", () => {
    const own = mkdtempSync(join(tmpdir(), "ctmc-own-"));
    copyFileSync("proofs/race1-fixed-by-937963.yaml", join(own, "race1-fixed-by-937963.yaml"));
    writeFileSync(join(own, "wrong.yaml"), "claim: v4.19 is safe\nscenario: dns-a-aaaa\nkernel: v4.19\nexpect: holds\nwhy: it is not\n");
    const r = cli("prove", "--dir", own);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAILED: wrong \(.*wrong\.yaml\): expected holds, the search found violated \(race2\)/);
    expect(r.out).toMatch(/1 proved, 1 failed, 0 incomplete/);
    expect(readFileSync(join(own, "RESULTS.md"), "utf8")).toMatch(/\| \*\*wrong\*\*: v4\.19 is safe \|.*\| FAILED \|/);
    const one = cli("prove", "race1-fixed-by-937963", "--json");
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out)[0]).toEqual(expect.objectContaining({ claim: "race1-fixed-by-937963", outcome: "proved" }));
    const unknown = cli("prove", "no-such-claim");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^conntrack-mc: claim: no claim 'no-such-claim' in /);
  });
});

describe("prove and users' patches (CLI)", () => {
  const ORIGIN = resolve("examples/patches/merge-on-same-origin.mjs");
  const userClaim = (patches = ""): string =>
    `claim: merging on ORIGINAL alone loses a reply\nscenario: nat-hooks-midway\nkernel: v6.12+merge-on-same-origin\n${patches}expect: violated\nclasses: [reply-lost]\nwhy: its merge test ignores REPLY\n`;
  const found = (out: string): { outcome: string; found: { classes: string[] } }[] => JSON.parse(out) as { outcome: string; found: { classes: string[] } }[];

  it("--patch FILE loads a user's patch a claim's kernel names: the claim is proved, with what check finds", () => {
    const d = mkdtempSync(join(tmpdir(), "ctmc-prove-patch-"));
    writeFileSync(join(d, "user.yaml"), userClaim());
    const r = cli("prove", "--dir", d, "--patch", ORIGIN, "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const [one] = found(r.out);
    expect(one!.outcome).toBe("proved");
    // The same kernel under check: the classes prove compared are the ones the search reports.
    const check = cli("check", "nat-hooks-midway", "--kernel", "v6.12+merge-on-same-origin", "--patch", ORIGIN, "--json");
    expect(check.code).toBe(1);
    const report = JSON.parse(check.out) as { drops: { class: string }[]; property: string };
    expect(one!.found.classes).toEqual(report.drops.map((x) => x.class).sort());
    expect(JSON.parse(r.out)[0].property).toBe(report.property);
  });

  it("a claim's own patches: (relative to its folder) need no --patch; the claims in proofs/ are self-contained", () => {
    const d = mkdtempSync(join(tmpdir(), "ctmc-prove-own-"));
    mkdirSync(join(d, "claims"));
    mkdirSync(join(d, "patches"));
    copyFileSync(ORIGIN, join(d, "patches", "merge.mjs"));
    writeFileSync(join(d, "claims", "user.yaml"), userClaim("patches: [../patches/merge.mjs]\n"));
    const rel = cli("prove", "--dir", join(d, "claims"), "--json");
    expect(rel.err).toBe("");
    expect(rel.code).toBe(0);
    expect(found(rel.out)[0]!.outcome).toBe("proved");
    // The same file given with --patch too is one patch, not two with one id.
    expect(cli("prove", "--dir", join(d, "claims"), "--patch", join(d, "patches", "merge.mjs")).code).toBe(0);
    const own = cli("prove", "own-patch-merge-on-same-origin-v6.12", "own-patch-merge-on-same-reply-v6.12", "--json");
    expect(own.err).toBe("");
    expect(own.code).toBe(0);
    expect(found(own.out).map((x) => x.outcome)).toEqual(["proved", "proved"]);
  });

  it("a claim naming a user's patch that is not loaded: exit 2, one line naming the file, the field and where the file goes", () => {
    const d = mkdtempSync(join(tmpdir(), "ctmc-prove-missing-"));
    const f = join(d, "user.yaml");
    writeFileSync(f, userClaim());
    const r = cli("prove", "--dir", d);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    const lines = r.err.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`conntrack-mc: ${f}: kernel: unknown patch 'merge-on-same-origin' in 'v6.12+merge-on-same-origin': expected `)).toBe(true);
    expect(lines[0]).toMatch(/expected .*patches: .*--patch FILE$/);
    expect(existsSync(join(d, "RESULTS.md"))).toBe(false);
    // Its own patches: naming a file that is not there names the field too.
    writeFileSync(f, userClaim("patches: [gone.mjs]\n"));
    const gone = cli("prove", "--dir", d);
    expect(gone.code).toBe(2);
    expect(gone.err).toMatch(/^conntrack-mc: \S*user\.yaml: patches\[0\]: \S*gone\.mjs: no such file\n$/);
  });

  it("prove leaves RESULTS.md alone (same bytes, same mtime) when nothing changed, and rewrites it when it differs", () => {
    const d = mkdtempSync(join(tmpdir(), "ctmc-prove-same-"));
    copyFileSync("proofs/race1-fixed-by-937963.yaml", join(d, "race1-fixed-by-937963.yaml"));
    copyFileSync("proofs/no-nat-drops-on-v4.6.yaml", join(d, "no-nat-drops-on-v4.6.yaml"));
    const file = join(d, "RESULTS.md");
    expect(cli("prove", "--dir", d).code).toBe(0);
    const first = readFileSync(file);
    const past = new Date("2001-02-03T04:05:06Z");
    utimesSync(file, past, past);
    expect(cli("prove", "--dir", d).code).toBe(0);
    expect(readFileSync(file).equals(first)).toBe(true);
    expect(statSync(file).mtime.getTime()).toBe(past.getTime());
    // A file that differs (here by one byte) is replaced by what prove makes.
    appendFileSync(file, "x");
    expect(cli("prove", "--dir", d).code).toBe(0);
    expect(readFileSync(file).equals(first)).toBe(true);
    expect(statSync(file).mtime.getTime()).not.toBe(past.getTime());
  });

  it("the terminal table keeps the timings RESULTS.md leaves out", () => {
    const r = cli("prove", "race1-fixed-by-937963", "--results", "-");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\s*result\s+claim\s+kernel\s+scenario\s+property\s+found\s+states\s+seconds\s*$/m);
    expect(r.out).toMatch(/race1-fixed-by-937963 .* \d+\.\d{3}\s*$/m);
  });
});
