/** proofs/: every claim proved by the search, RESULTS.md true to it, and claims that notice a broken patch. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadClaim, loadClaims, proveAll, proveClaim, resultsMarkdown, type ClaimResult } from "../src/proofs.js";
import { PATCHES, resolveKernel } from "../src/kernel/variants.js";
import type { Patch } from "../src/kernel/patch.js";
import { InputError } from "../src/errors.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const claims = loadClaims();
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

  it("RESULTS.md is what prove writes now (all but the time column)", () => {
    const dropTime = (md: string): string => md.replace(/\| [\d.]+ \|$/gm, "| |");
    expect(dropTime(readFileSync("proofs/RESULTS.md", "utf8"))).toBe(dropTime(resultsMarkdown(results)));
  });
});

/** Proves every claim with one patch replaced; returns the ids of the claims that fail. */
function failingWith(mutant: Patch): string[] {
  const patches = PATCHES.map((p) => (p.id === mutant.id ? mutant : p));
  return proveAll(claims, patches)
    .filter((r: ClaimResult) => r.outcome === "failed")
    .map((r) => r.claim.id);
}

const uses = (id: string, patch: string): boolean => resolveKernel(claims.find((c) => c.id === id)!.kernel).parts.includes(patch);

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

  it("a malformed claim is one line naming the field", () => {
    const f = write("bad.yaml", "claim: x\nscenario: dns-a-aaaa\nkernel: v4.19\nexpect: violated\nwhy: because\n");
    expect(() => loadClaim(f)).toThrow(InputError);
    expect(() => loadClaim(f)).toThrow(/bad\.yaml: classes: expected the violation classes a 'violated' claim expects$/);
    const g = write("bad2.yaml", "claim: x\nscenario: dns-a-aaaa\nkernel: v9\nexpect: holds\nwhy: because\n");
    expect(() => loadClaim(g)).toThrow(/bad2\.yaml: kernel: unknown kernel variant 'v9'/);
  });

  it("a search stopped by the claim's budget is incomplete, never proved", () => {
    const f = write("budget.yaml", "claim: x\nscenario: dns-a-aaaa\nkernel: v5.0\nexpect: holds\nwhy: because\nbudget: { max-states: 5 }\n");
    const r = proveClaim(loadClaim(f));
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
