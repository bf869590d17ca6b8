/** A user's patch is input: the nondeterminism traps and what the supervisor learns while patch code runs. */
import { describe, expect, it } from "vitest";
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enterUser, installDeterminismTraps, leaveUser } from "../src/runtime/user-code.js";
import { baseV46 } from "../src/kernel/base-v4.6.js";
import { show } from "../src/user-patch/guards.js";
import { PATCH_LIB } from "../src/kernel/patch.js";
import { initialState } from "../src/kernel/net/state.js";
import { HOOKS, loadPatchFile } from "../src/user-patch/load.js";
import { C, control, setPatchFiles } from "../src/runtime/control.js";
import type { Ctx } from "../src/kernel/kernel.js";

const SOURCES: [string, () => unknown][] = [
  ["Math.random", () => Math.random()],
  ["Date.now", () => Date.now()],
  ["new Date()", () => new Date()],
  ["Date()", () => Date()],
  ["performance.now", () => performance.now()],
  ["process.hrtime", () => process.hrtime()],
  ["process.hrtime.bigint", () => process.hrtime.bigint()],
  ["crypto.getRandomValues", () => globalThis.crypto.getRandomValues(new Uint8Array(2))],
  ["crypto.randomUUID", () => globalThis.crypto.randomUUID()],
  ["node:crypto randomBytes", () => randomBytes(2)],
  ["node:crypto randomInt", () => randomInt(2)],
  ["node:crypto randomUUID", () => randomUUID()],
];

describe("nondeterminism traps", () => {
  installDeterminismTraps();

  it("pass through outside a patch's code: our own timing and Date keep working", () => {
    for (const [, call] of SOURCES) expect(call).not.toThrow();
    expect(new Date(0).getTime()).toBe(0);
    expect(new Date()).toBeInstanceOf(Date);
    expect(new Date(0).constructor).toBe(Date);
    class Later extends Date {}
    expect(new Later(5).getTime()).toBe(5);
  });

  it("refuse every source inside a patch's code, naming the patch and the hook; then pass through again", () => {
    for (const [source, call] of SOURCES) {
      const before = enterUser({ field: "--patch p.mjs", what: "clashMergeable" });
      try {
        expect(call, source).toThrow(`--patch p.mjs: clashMergeable called ${source}: a patch must be deterministic`);
      } finally {
        leaveUser(before);
      }
      expect(call, source).not.toThrow();
    }
    expect(new Date(7).getTime(), "new Date(x) reads no clock").toBe(7);
  });
});

describe("hook wrappers", () => {
  const dir = mkdtempSync(join(tmpdir(), "ctmc-patch-input-"));
  const probe = globalThis as unknown as { __probe?: (what: string) => void };

  it("tell the supervisor which patch is loading and which hook runs, and restore it after", async () => {
    const file = join(dir, "probe.mjs");
    writeFileSync(
      file,
      'globalThis.__probe("load");\nexport default { id: "probe", title: "t", requires: [], apply: () => ({ clashMergeable: () => { globalThis.__probe("hook"); return true; } }) };\n',
    );
    const seen: Record<string, number> = {};
    probe.__probe = (what) => {
      seen[what] = what === "load" ? control.words[C.LOADING]! : control.words[C.HOOK]!;
    };
    setPatchFiles([join(dir, "other.mjs"), file]);
    try {
      const p = await loadPatchFile(file);
      expect(control.words[C.LOADING]).toBe(0);
      const made = p.apply(baseV46, PATCH_LIB);
      const st = initialState(2, 1);
      expect(made.clashMergeable!(st.pkts[0]!.ct ?? { orig: { src: 0, sport: 1, dst: 1, dport: 53 }, reply: { src: 1, sport: 53, dst: 0, dport: 1 }, status: 0, timeout: 0, streamTs: 0 }, { orig: { src: 0, sport: 1, dst: 1, dport: 53 }, reply: { src: 1, sport: 53, dst: 0, dport: 1 }, status: 0, timeout: 0, streamTs: 0 })).toBe(true);
      // The file is the second of the command's --patch files: number 1.
      expect(seen).toEqual({ load: 2, hook: (2 << 8) | (HOOKS.indexOf("clashMergeable") + 1) });
      expect(control.words[C.HOOK]).toBe(0);
    } finally {
      setPatchFiles([]);
      delete probe.__probe;
    }
  });

  it("refuse a merge into an entry that is not linked, and give the model a fresh resolution", async () => {
    const file = join(dir, "merge.mjs");
    writeFileSync(file, 'export default { id: "merge", title: "t", requires: [], apply: () => ({ nf_ct_resolve_clash: (ctx, st, loser, winner) => ({ kind: "merge", into: winner }) }) };\n');
    const made = (await loadPatchFile(file)).apply(baseV46, PATCH_LIB);
    const st = initialState(2, 1);
    const conn = { orig: { src: 0, sport: 1, dst: 1, dport: 53 }, reply: { src: 1, sport: 53, dst: 0, dport: 1 }, status: 0, timeout: 0, streamTs: 0 };
    st.pkts[0]!.ct = { ...conn };
    st.pkts[1]!.ct = { ...conn };
    const ctx = {} as Ctx;
    expect(() => made.nf_ct_resolve_clash!(ctx, st, 1, 0)).toThrow(/merge\.mjs: nf_ct_resolve_clash returned \{ kind: "merge", into: 0 \}: expected into to be the index of an entry linked in the table \(st\.table is \[\]\)$/);
    st.table.push(0);
    expect(made.nf_ct_resolve_clash!(ctx, st, 1, 0)).toEqual({ kind: "merge", into: 0 });
  });

  it("show values briefly", () => {
    expect([show(NaN), show(-5), show(1e9), show(undefined), show("x".repeat(50)), show({ kind: "merge", into: { deep: 1 } }), show([1, 2])]).toEqual([
      "NaN",
      "-5",
      "1000000000",
      "undefined",
      `"${"x".repeat(40)}..."`,
      '{ kind: "merge", into: {...} }',
      "[1, 2]",
    ]);
  });
});
