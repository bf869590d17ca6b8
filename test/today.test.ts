/**
 * The search against docs/kernel.md, table "Expected outcomes (today's kernel)": each row's scenario on every
 * release the model tells apart from v5.0 on (a column stands for the releases from it to the next column), and
 * the stable releases the table's notes name. A cell is what each property's verdict must be: H holds, D no-drop
 * violated, RL all-replied violated, PR no-needless-rewrite violated.
 */
import { describe, expect, it } from "vitest";
import { counterexample, runCheck } from "../src/app/check.js";
import { RELEASES } from "../src/kernel/variants.js";
import { compareVersions, parseVersion } from "../src/kernel/versions.js";
import { resolveScenario } from "../src/scenario/registry.js";

type Cell = readonly ("H" | "D" | "RL" | "PR")[];
const COLUMNS = ["v5.0", "v5.3", "v5.6", "v6.5", "v6.12", "v6.16", "v6.19", "v7.0"] as const;

/** The table's rows: scenario, and one cell per column. */
const ROWS: Record<string, { scenario: string; cells: readonly Cell[]; stable?: Record<string, Cell> }> = {
  "17": { scenario: "dnat-entry-deleted", cells: [["D", "RL"], ["RL"], ["RL"], ["RL"], ["RL"], ["RL"], ["RL"], ["RL"]] },
  "18.3": { scenario: "reverse-clash", cells: [["D", "PR"], ["D", "PR"], ["D", "PR"], ["D", "PR"], ["H"], ["H"], ["H"], ["H"]], stable: { "v6.6.57": ["D"] } },
  "18.4": { scenario: "reverse-nat-direct", cells: [["H"], ["H"], ["H"], ["H"], ["D"], ["H"], ["H"], ["H"]], stable: { "v6.6.56": ["H"], "v6.6.57": ["D"], "v6.6.94": ["H"] } },
  "19-icmp": { scenario: "icmp-echo-clash", cells: [["D"], ["D"], ["D"], ["D"], ["D"], ["D"], ["D"], ["H"]] },
  "19-ipip": { scenario: "ipip-clash", cells: [["D"], ["D"], ["D"], ["D"], ["D"], ["D"], ["D"], ["H"]], stable: { "v6.1.165": ["H"], "v6.18.15": ["D"], "v6.18.16": ["H"] } },
  "19-gre": { scenario: "gre-clash", cells: [["D"], ["D"], ["D"], ["H"], ["H"], ["H"], ["H"], ["H"]] },
};

const v = (s: string) => parseVersion(s)!;
/** The column a release reads: the newest not newer than it. */
const column = (release: string): number => COLUMNS.map((c, i) => [c, i] as const).filter(([c]) => compareVersions(v(c), v(release)) <= 0).at(-1)![1];

/** What each property's verdict must be, given a cell. */
function verdicts(cell: Cell): Record<string, "holds" | "violated"> {
  return { "no-drop": cell.includes("D") ? "violated" : "holds", "all-replied": cell.includes("RL") ? "violated" : "holds", "no-needless-rewrite": cell.includes("PR") ? "violated" : "holds" };
}

const releases = RELEASES.map((r) => r.name).filter((r) => compareVersions(v(r), v("v5.0")) >= 0);

for (const [id, row] of Object.entries(ROWS)) {
  describe(`row ${id}: ${row.scenario}`, () => {
    const sc = resolveScenario(row.scenario);
    const kernels: [string, Cell][] = [...releases.map((r): [string, Cell] => [r, row.cells[column(r)]!]), ...Object.entries(row.stable ?? {})];
    for (const [kernel, cell] of kernels) {
      it(`${kernel}: ${cell.join(", ")}`, () => {
        const run = runCheck(sc, kernel);
        const r = run.result;
        expect(r.complete).toBe(true);
        const want = verdicts(cell);
        for (const name of r.properties) {
          const classes = r.violations.filter((x) => x.property === name);
          expect(classes.length > 0 ? "violated" : "holds", `${kernel} ${name}`).toBe(want[name]);
        }
        // Each class found has a counterexample the search can replay.
        for (const x of r.violations) expect(counterexample(run, x.name)!.steps).toHaveLength(x.depth);
      });
    }
  });
}

it("every column is a release the model tells apart, and each row's scenario reads all three kinds of outcome it needs", () => {
  for (const c of COLUMNS) expect(RELEASES.map((r) => r.name)).toContain(c);
  expect(column("v6.1")).toBe(COLUMNS.indexOf("v5.6"));
  expect(column("v6.18.44")).toBe(COLUMNS.indexOf("v6.16"));
  expect(resolveScenario("reverse-clash").natTable).toBe(true);
  expect(resolveScenario("dnat-entry-deleted").replies).toBe(true);
});

describe("row 17's explanation: what took the answer's entry away", () => {
  it("from v5.3 the unlink (a lookup takes a DYING entry); before, the DYING mark (lookups skipped it)", async () => {
    const { spawnSync } = await import("node:child_process");
    const why = (kernel: string): string =>
      spawnSync(process.execPath, ["bin/conntrack-mc.js", "trace", "dnat-entry-deleted", "--kernel", kernel, "--class", "reply-lost"], { encoding: "utf8" }).stdout.split("\n").find((l) => l.startsWith("why:"))!;
    expect(why("v5.3")).toMatch(/after step \d+ \(nf_ct_delete, conntrack -D\) unlinked Q1's entry/);
    expect(why("v5.0")).toMatch(/marked Q1's entry DYING .*which lookups skip/);
  });
});
