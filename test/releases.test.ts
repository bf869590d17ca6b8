/**
 * Releases are deltas: each is the release before it plus its own commits, and each commit it adds first came in a
 * mainline release after the release before and no later than this one (the patch file's `mainline`), so a version
 * number alone can name a kernel.
 */
import { describe, expect, it } from "vitest";
import { PATCHES, RELEASES, findPatch } from "../src/kernel/variants.js";

/** "v5.10" -> [5, 10]; "<=v4.9" -> [4, 9]. */
const version = (v: string): number[] => v.replace(/^<=/, "").replace(/^v/, "").split(".").map(Number);
const compare = (a: number[], b: number[]): number => (a[0]! - b[0]!) || ((a[1] ?? 0) - (b[1] ?? 0));

describe("releases", () => {
  it("each is the one before plus what it adds", () => {
    RELEASES.forEach((r, i) => expect(r.patches).toEqual([...(i > 0 ? RELEASES[i - 1]!.patches : []), ...r.adds]));
  });

  it("each commit a release adds came in a mainline release after the release before, and no later than it", () => {
    const wrong: string[] = [];
    RELEASES.forEach((r, i) => {
      for (const id of r.adds) {
        const p = findPatch(id, PATCHES);
        if (!p) {
          wrong.push(`${r.name}: ${id} is no patch`);
          continue;
        }
        const v = version(p.mainline);
        const upperOnly = p.mainline.startsWith("<=");
        if (compare(v, version(r.name)) > 0) wrong.push(`${r.name} adds ${id}, which came in ${p.mainline}`);
        if (!upperOnly && i > 0 && compare(v, version(RELEASES[i - 1]!.name)) <= 0) wrong.push(`${r.name} adds ${id}, which ${RELEASES[i - 1]!.name} (${p.mainline}) already had`);
      }
    });
    expect(wrong).toEqual([]);
  });

  it("no release adds a commit twice, and every built-in patch is in the newest", () => {
    const all = RELEASES.flatMap((r) => r.adds);
    expect(new Set(all).size).toBe(all.length);
    expect(PATCHES.map((p) => p.id).filter((id) => !RELEASES.at(-1)!.patches.includes(id))).toEqual([]);
  });
});
