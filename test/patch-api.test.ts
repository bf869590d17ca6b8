/** docs/patch-api.md is generated from the sources (`npm run patch-api`) and
 * documents every function and helper; a .ts patch type-checks against the
 * package's declarations (conntrack-mc/patch) and runs with `check --patch`.
 * The CLI parts run dist/: the global setup builds it. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOC_FILE, TS_EXAMPLE, TSC_ARGS, patchApiDrift } from "../scripts/patch-api.js";
import { PATCH_LIB } from "../src/kernel/patch.js";
import { HOOKS } from "../src/user-patch/load.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const doc = readFileSync(ROOT + DOC_FILE, "utf8");

function run(cmd: string, args: readonly string[]) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const cli = (...args: string[]) => run(process.execPath, ["bin/conntrack-mc.js", ...args]);
const tsc = (...files: string[]) => run(process.execPath, [ROOT + "node_modules/typescript/bin/tsc", ...TSC_ARGS, ...files]);

/** The text of the section under `### heading`, up to the next heading. */
function section(heading: string): string | undefined {
  const lines = doc.split("\n");
  const i = lines.indexOf(`### ${heading}`);
  if (i < 0) return undefined;
  const end = lines.findIndex((l, j) => j > i && /^#{2,3} /.test(l));
  return lines.slice(i + 1, end < 0 ? undefined : end).join("\n");
}

describe("docs/patch-api.md", () => {
  it("is what scripts/patch-api.ts generates from the sources now", () => {
    expect(patchApiDrift(), "stale: run `npm run patch-api`").toBeUndefined();
  });

  it("documents every function a patch may override, in the order of HOOKS, with its signature and JSDoc", () => {
    let last = -1;
    for (const name of HOOKS) {
      const s = section("`" + name + "`");
      expect(s, name).toBeDefined();
      expect(s, name).toMatch(new RegExp("```ts\n" + name + "\\??\\("));
      expect(s, name).not.toMatch(/Undocumented/);
      const at = doc.indexOf("### `" + name + "`");
      expect(at, `${name} after the one before it in HOOKS`).toBeGreaterThan(last);
      last = at;
    }
  });

  it("documents every key of PATCH_LIB (a helper added to lib is listed with its doc, or this fails)", () => {
    for (const key of Object.keys(PATCH_LIB)) {
      const s = section("`lib." + key + "`");
      expect(s, key).toBeDefined();
      expect(s, key).not.toMatch(/Undocumented/);
      if (typeof (PATCH_LIB as Record<string, unknown>)[key] === "function") expect(s, key).toContain("```ts\nlib." + key + "(");
    }
  });

  it("each worked example's review command runs on the file it shows", () => {
    const commands = [...doc.matchAll(/^npx conntrack-mc (review \S+.*)$/gm)].map((m) => m[1]!.split(" "));
    expect(commands.length).toBe(2);
    for (const args of commands) {
      expect(doc).toContain("// " + args[1]!);
      const r = cli(...args);
      expect(r.code, `${args.join(" ")}: ${r.err}`).not.toBe(2);
      expect(r.out).toMatch(new RegExp(`^patch +\\S+ \\(${args[1]!.replace(/[.]/g, "\\.")}\\)`));
    }
  });
});

describe("a patch in TypeScript", () => {
  // Wrong copies of the example live inside the package, so `conntrack-mc/patch` resolves for them too.
  let dir = "";
  beforeAll(() => {
    // The declarations types/patch.d.ts re-exports (npm run build emits them; the test setup builds the JS only).
    const r = run(process.execPath, [ROOT + "node_modules/typescript/bin/tsc", "-p", "tsconfig.types.json"]);
    expect(r.code, r.out + r.err).toBe(0);
    dir = mkdtempSync(join(ROOT, ".patch-api-test-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const example = readFileSync(ROOT + TS_EXAMPLE, "utf8");
  const variant = (name: string, from: string, to: string): string => {
    expect(example).toContain(from);
    const file = join(dir, name);
    writeFileSync(file, example.replace(from, to));
    return file;
  };

  it(`${TS_EXAMPLE} type-checks against conntrack-mc/patch`, () => {
    expect(example).toContain('from "conntrack-mc/patch"');
    const r = tsc(TS_EXAMPLE);
    expect(r.code, r.out + r.err).toBe(0);
  });

  it("the same patch with a hook returning the wrong type, or a function that does not exist, is a type error", () => {
    const r = tsc(variant("wrong-result.ts", "return r;", "return r.kind;"), variant("wrong-name.ts", "nf_ct_resolve_clash: (ctx", "nf_ct_resolve_clashes: (ctx"));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/wrong-result\.ts\(\d+,\d+\): error TS2322: .*Resolution/);
    expect(r.out).toMatch(/wrong-name\.ts\(\d+,\d+\): error TS2559: .*Partial<KernelBehaviour>/);
  });

  it("loads and runs with check --patch: the verdicts and classes of its base, since it only counts", () => {
    const base = cli("check", "dns-a-aaaa-2-endpoints", "--kernel", "v5.0", "--json");
    const patched = cli("check", "dns-a-aaaa-2-endpoints", "--patch", TS_EXAMPLE, "--kernel", "v5.0+count-merges", "--json");
    expect(patched.code, patched.err).toBe(base.code);
    expect(patched.err).toBe("");
    const strip = (out: string) => {
      const j = JSON.parse(out) as Record<string, unknown>;
      return { verdict: j["verdict"], classes: j["classes"], properties: j["properties"] };
    };
    expect(strip(patched.out)).toEqual(strip(base.out));
    expect(JSON.stringify(JSON.parse(patched.out))).toContain("count-merges");
  });

  it("its hook runs in that search: a copy that throws in it stops the check (exit 2, naming the hook)", () => {
    const tmp = mkdtempSync(join(tmpdir(), "count-merges-"));
    try {
      const file = join(tmp, "count-merges.ts");
      writeFileSync(file, example.replace("const r = base.nf_ct_resolve_clash", 'throw new Error("reached"); const r = base.nf_ct_resolve_clash'));
      const r = cli("check", "dns-a-aaaa-2-endpoints", "--patch", file, "--kernel", "v5.0+count-merges");
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/nf_ct_resolve_clash threw: reached/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
