/**
 * Adversarial inputs (issue 12): one table of cases, each run against the
 * built CLI as a subprocess. Every case must end with its exit code and
 * message, never a stack trace or exit 70, and leave nothing damaged.
 */
import { describe, expect, it } from "vitest";
import { nobodyCannotRun, runCase, type Case } from "./adversarial/harness.js";
import { OUTPUT_CASES } from "./adversarial/cases-output.js";
import { INPUT_CASES } from "./adversarial/cases-input.js";
import { PATCH_CASES } from "./adversarial/cases-patch.js";
import { RUN_CASES } from "./adversarial/cases-run.js";

const CASES: readonly Case[] = [...OUTPUT_CASES, ...INPUT_CASES, ...PATCH_CASES, ...RUN_CASES];

describe("adversarial inputs: the built CLI", () => {
  it("has cases in every group", () => {
    for (const group of [OUTPUT_CASES, INPUT_CASES, PATCH_CASES, RUN_CASES]) expect(group.length).toBeGreaterThan(0);
    const names = CASES.map((c) => c.name);
    expect(new Set(names).size, "case names are unique").toBe(names.length);
  });
  for (const c of CASES) {
    // A case run as nobody needs a checkout nobody can reach: else it is skipped, saying why (not passed).
    const skip = c.asNobody ? nobodyCannotRun : undefined;
    it.skipIf(skip !== undefined)(skip ? `${c.name} (skipped: ${skip})` : c.name, { timeout: (c.timeoutMs ?? 60_000) + 30_000 }, () => {
      const { dir, r } = runCase(c);
      const all = r.out + r.err;
      expect(all, "no stack trace").not.toMatch(/\n\s+at [^\n]*[(:]\d+/);
      expect(all, "no internal error").not.toMatch(/internal error/);
      expect(r.code, `exit code (stderr: ${r.err.slice(0, 400)})`).toBe(c.code);
      if (c.err) expect(r.err).toMatch(c.err);
      if (c.out === "") expect(r.out).toBe("");
      else if (c.out) expect(r.out).toMatch(c.out);
      if (c.oneLine ?? c.code === 2) expect(r.err.trimEnd().split("\n"), "one line on stderr").toHaveLength(1);
      c.after?.(dir, r);
    });
  }
});
