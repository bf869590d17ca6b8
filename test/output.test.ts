/** emit (src/cli/output.ts) in process: the error it throws, and what it leaves in the folder. */
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emit } from "../src/cli/output.js";
import { InputError } from "../src/errors.js";

const fresh = (): string => mkdtempSync(join(tmpdir(), "ctmc-out-"));

describe("emit", () => {
  it("throws an InputError naming the flag, the file and the reason in words", () => {
    const dir = fresh();
    const f = join(dir, "no", "R.md");
    let caught: unknown;
    try {
      emit("x\n", f, "--results");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toBe(`--results ${f}: cannot write: no such file or directory (ENOENT)`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("replaces a file again and again, keeping its mode and leaving no temporary", () => {
    const dir = fresh();
    const f = join(dir, "t.txt");
    writeFileSync(f, "old\n");
    chmodSync(f, 0o604);
    for (let i = 0; i < 20; i++) emit(`run ${i}\n`, f, "--out");
    expect(readFileSync(f, "utf8")).toBe("run 19\n");
    expect(statSync(f).mode & 0o7777).toBe(0o604);
    expect(readdirSync(dir)).toEqual(["t.txt"]);
  });

  it("writes multi-byte text whole, through a relative symlink in another folder", () => {
    const dir = fresh();
    const text = "→ ä 𝄞\n".repeat(10_000);
    writeFileSync(join(dir, "real"), "");
    symlinkSync("real", join(dir, "link"));
    emit(text, join(dir, "link"), "--out");
    expect(readFileSync(join(dir, "real"), "utf8")).toBe(text);
    expect(readdirSync(dir).sort()).toEqual(["link", "real"]);
  });
});
