/** scripts/results.mjs: a recording of the CLI's results is the same twice, names each cell per release and
 * reduction, and compare tells a changed cell and a file that is not a recording. Runs dist/ through the CLI. */
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Cell {
  scenario: string;
  kernel: string;
  reduce: string;
  verdict: string;
  states: number;
}

const dir = mkdtempSync(join(tmpdir(), "results-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function results(...args: string[]) {
  const r = spawnSync(process.execPath, ["scripts/results.mjs", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A record in the background, so the two below share the wall time their child processes leave idle. */
function record(out: string): Promise<{ code: number | null; err: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, ["scripts/results.mjs", "record", "--only", "dns-a-aaaa,no-nat", "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    c.stderr.on("data", (b) => (err += b));
    c.on("close", (code) => done({ code, err }));
  });
}

describe("scripts/results.mjs", () => {
  const [a, b] = [join(dir, "a.json"), join(dir, "b.json")];

  it("records a cell per scenario, release and reduction, the same both times", async () => {
    const runs = await Promise.all([record(a), record(b)]);
    for (const r of runs) expect(r, r.err).toEqual({ code: 0, err: "" });
    const listed = JSON.parse(spawnSync(process.execPath, ["bin/conntrack-mc.js", "list", "--json"], { encoding: "utf8" }).stdout) as { variants: { name: string }[] };
    const cells = (JSON.parse(readFileSync(a, "utf8")) as { cells: Cell[] }).cells;
    const expected = ["dns-a-aaaa", "no-nat"].flatMap((s) => listed.variants.flatMap((v) => ["default", "none"].map((m) => `${s} ${v.name} ${m}`)));
    expect(cells.map((c) => `${c.scenario} ${c.kernel} ${c.reduce}`)).toEqual(expected);
    for (const c of cells) {
      expect(["holds", "violated", "incomplete"]).toContain(c.verdict);
      expect(c.states).toBeGreaterThan(0);
    }
    const same = results("compare", a, b);
    expect(same.code, same.out + same.err).toBe(0);
    expect(same.out).toBe(`${cells.length} cells, 0 differ\n`);
  }, 120_000);

  it("compare names a cell whose states changed, and exits 1", () => {
    const rec = JSON.parse(readFileSync(a, "utf8")) as { cells: Cell[] };
    const c = rec.cells[3]!;
    c.states += 1;
    const changed = join(dir, "changed.json");
    writeFileSync(changed, JSON.stringify(rec));
    const r = results("compare", a, changed);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${c.scenario} ${c.kernel} reduce=${c.reduce}: states ${c.states - 1} -> ${c.states}\n`);
    expect(r.out).toMatch(new RegExp(`\\n${rec.cells.length} cells, 1 differ\\n$`));
  });

  it("a file that is not a recording: exit 2 and one line naming it", () => {
    const garbage = join(dir, "garbage.json");
    writeFileSync(garbage, "not json {");
    const r = results("compare", a, garbage);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    expect(r.err).toContain(garbage);
  });
});
