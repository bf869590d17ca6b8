/**
 * Releases are deltas derived from the patch files: each modelled commit first came in its `mainline` release, a
 * version number names the kernel of every commit merged by then, and a stable release adds its line's backports
 * (kernel/stable.ts). What a user may type, and what each names, from the version alone.
 */
import { describe, expect, it } from "vitest";
import { PATCHES, RELEASES, findPatch, ownBase, releaseOf, resolveKernel, sameKernel, versionPatches } from "../src/kernel/variants.js";
import { BACKPORTS } from "../src/kernel/stable.js";
import { CANDIDATE, MAINLINE, NEWEST, OLDEST, compareVersions, parseVersion } from "../src/kernel/versions.js";
import { runCheck } from "../src/app/check.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";

const v = (text: string) => parseVersion(text)!;

describe("releases", () => {
  it("each is the one before plus what it adds", () => {
    RELEASES.forEach((r, i) => expect(r.patches).toEqual([...(i > 0 ? RELEASES[i - 1]!.patches : []), ...r.adds]));
  });

  it("each commit a release adds came in that mainline release (its patch file's `mainline`)", () => {
    const wrong = RELEASES.flatMap((r) => r.adds.filter((id) => findPatch(id, PATCHES)?.mainline !== r.name).map((id) => `${r.name} adds ${id}`));
    expect(wrong).toEqual([]);
  });

  it("no release adds a commit twice, and every built-in patch is in the newest", () => {
    const all = RELEASES.flatMap((r) => r.adds);
    expect(new Set(all).size).toBe(all.length);
    expect(PATCHES.map((p) => p.id).filter((id) => !RELEASES.at(-1)!.patches.includes(id))).toEqual([]);
  });

  it("every release from the base to the candidate is named, and is the kernel of the newest delta not newer than it", () => {
    expect(MAINLINE[0]).toBe(OLDEST);
    expect(MAINLINE.at(-1)).toBe(CANDIDATE);
    expect(MAINLINE).toContain(NEWEST);
    expect(MAINLINE).toEqual(expect.arrayContaining(["v4.20", "v5.0", "v5.19", "v6.0", "v6.19", "v7.0", "v7.1"]));
    for (const name of MAINLINE) {
      const k = resolveKernel(name);
      expect(k.name).toBe(name);
      expect(sameKernel(k, resolveKernel(releaseOf(v(name)).name)), name).toBe(true);
      // Every modelled commit merged by then, none later.
      for (const p of PATCHES) expect(k.parts.includes(p.id), `${name} ${p.id}`).toBe(compareVersions(v(p.mainline), v(name)) <= 0);
    }
  });

  it("a version is written with or without its v, and a candidate's rc names the candidate", () => {
    expect(resolveKernel("6.1").name).toBe("v6.1");
    expect(resolveKernel(" v5.15 ").name).toBe("v5.15");
    expect(resolveKernel("7.2-rc3").name).toBe(CANDIDATE);
    expect(resolveKernel("6.12+p", "k", [...PATCHES, { ...PATCHES[0]!, id: "p", commit: "p" }]).name).toBe("v6.12+p");
  });

  it("an unknown, future or malformed version is one line naming what is known", () => {
    expect(() => resolveKernel("v7.3", "--kernel")).toThrow(/^--kernel: unknown kernel variant 'v7\.3': the newest known is v7\.1 \(v7\.2 in release candidates\)$/);
    expect(() => resolveKernel("v8.0", "--kernel")).toThrow(/the newest known is v7\.1/);
    expect(() => resolveKernel("v4.4", "--kernel")).toThrow(/^--kernel: unknown kernel variant 'v4\.4': it is older than v4\.6/);
    expect(() => resolveKernel("v5.20", "--kernel")).toThrow(/no such mainline release/);
    expect(() => resolveKernel("v7.2.1", "--kernel")).toThrow(/v7\.2 is in release candidates and has no stable releases yet/);
    for (const bad of ["v9", "latest", "6", "v6.1.x", "v6.1.147.2"]) expect(() => resolveKernel(bad, "--kernel"), bad).toThrow(/^--kernel: unknown kernel variant/);
  });

  it("a stable release is its mainline release plus the backports its line had by then, in order", () => {
    expect(resolveKernel("v6.1.146").parts).toEqual(resolveKernel("v6.1").parts);
    expect(resolveKernel("v6.1.147").parts).toEqual([...resolveKernel("v6.1").parts, "2d72afb34065"]);
    expect(resolveKernel("v6.12.39").parts).toContain("50d9ce9679dd");
    expect(resolveKernel("v6.12.39").parts).not.toContain("2d72afb34065");
    expect(resolveKernel("v6.12.40").parts).toContain("2d72afb34065");
    // 6.6.57 took d8f84a9bc7c4 without its companion a4e6a1031e77.
    expect(resolveKernel("v6.6.57").parts).toContain("d8f84a9bc7c4");
    expect(resolveKernel("v6.6.57").parts).not.toContain("a4e6a1031e77");
    // A line's backports never outnumber what mainline added after it, and come in the order a kernel applies them.
    const order = RELEASES.at(-1)!.patches;
    for (const b of BACKPORTS) {
      const k = resolveKernel(`v${b.line}.${b.from}`);
      const ids = k.parts.slice(1);
      expect(ids, `${b.line}.${b.from}`).toEqual([...ids].sort((x, y) => order.indexOf(x) - order.indexOf(y)));
    }
  });

  it("each backport is of a modelled commit, to a line older than its mainline release, with its source", () => {
    for (const b of BACKPORTS) {
      const p = findPatch(b.id, PATCHES);
      expect(p, b.id).toBeDefined();
      expect(compareVersions(v(`v${b.line}`), v(p!.mainline)), `${b.id} to ${b.line}`).toBeLessThan(0);
      expect(MAINLINE).toContain(`v${b.line}`);
      expect(b.source.length).toBeGreaterThan(10);
    }
  });

  it("every stable release's backports have what they apply on top of", () => {
    for (const b of BACKPORTS) {
      const parts = resolveKernel(`v${b.line}.${b.from}`).parts;
      for (const id of parts.slice(1)) for (const req of findPatch(id, PATCHES)!.requires) expect(parts, `v${b.line}.${b.from}: ${id} needs ${req}`).toContain(req);
    }
  });

  it("each version's own base: a stable release's mainline, a release the delta before its own", () => {
    expect(ownBase("v6.1.147")).toBe("v6.1");
    expect(ownBase("v6.12")).toBe("v6.11");
    expect(ownBase("v6.1")).toBe("v5.16");
    expect(ownBase("v4.6")).toBeUndefined();
    expect(ownBase("v6.12+p")).toBe("v6.12");
    expect(versionPatches(v("v6.1"))).toEqual(resolveKernel("v5.19").parts.slice(1));
  });
});

// A stable release is a combination no mainline release has (6.6.57: d8f84a9bc7c4 without a4e6a1031e77): every
// built-in scenario's search must run to its end on each, as on the releases (packed.test.ts runs those).
describe("every built-in scenario on every stable release the backports name", () => {
  for (const version of [...new Set(BACKPORTS.map((b) => `v${b.line}.${b.from}`))]) {
    it(version, () => {
      for (const name of builtinScenarioNames()) {
        const r = runCheck(resolveScenario(name), version).result;
        expect(r.complete, `${name} on ${version}`).toBe(true);
        expect(r.states, `${name} on ${version}`).toBeGreaterThan(1);
      }
    });
  }
});
