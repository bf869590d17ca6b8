/** `list`: each scenario with the properties a check of it evaluates. Runs dist/: `npm run build` first. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { runCheck } from "../src/app/check.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";
import { hasSkbs } from "../src/scenario/scenario.js";
import { HOOKS } from "../src/user-patch/load.js";
import { baseV46 } from "../src/kernel/base-v4.6.js";

function cli(...args: string[]) {
  // Off a terminal and without COLUMNS the text fits 120 columns: its long cells wrap under their column.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["COLUMNS"];
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The cells of the table row at `lines[at]`, each with what its continuation lines (blank up to the second column)
 * carry under it, whitespace removed (a wrapped line may have split a word). */
function rowCells(lines: readonly string[], at: number): string[] {
  const row = lines[at]!;
  const starts = [...row.matchAll(/(?:^ +| {2,})(?=\S)/g)].map((m) => m.index + m[0].length);
  const cells = starts.map((st, i) => row.slice(st, starts[i + 1]));
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === "" || line.slice(0, starts[1]).trim() !== "") break;
    starts.forEach((st, i) => (cells[i] += line.slice(st, starts[i + 1])));
  }
  return cells.map((c) => c.replace(/\s+/g, ""));
}
const squeeze = (s: string): string => s.replace(/\s+/g, "");

interface Listed {
  scenarios: { name: string; description: string; kernels: string[]; properties: string[] }[];
  variants: unknown[];
  patches: unknown[];
  properties: { name: string }[];
  functions: { name: string; kernel: string; summary: string }[];
}

describe("list", () => {
  const json = cli("list", "--json");
  const listed = JSON.parse(json.out) as Listed;

  it("--json gives each built-in scenario's properties: no-drop always, all-replied exactly when it has replies, no-crash when its entries are recycled, no-needless-rewrite on a host of null bindings with both ends of a flow sending, no-stale-mapping with a rule change, flush-empties with a flush, no-warn and no-stale-ct with queued or copied packets", () => {
    expect(json.code).toBe(0);
    expect(listed.scenarios.map((s) => s.name)).toEqual(builtinScenarioNames());
    for (const s of listed.scenarios) {
      const sc = resolveScenario(s.name);
      const bothEnds = sc.packets.some((p) => sc.packets.some((q) => q.from.addr === p.to.addr && q.from.port === p.to.port && q.to.addr === p.from.addr));
      const nullBindings = sc.natTable && sc.snat.mode === "null-binding" && bothEnds;
      expect(s.properties).toEqual(["no-drop", ...(sc.replies ? ["all-replied"] : []), ...(sc.recycle ? ["no-crash", "no-lost-entry"] : []), ...(nullBindings ? ["no-needless-rewrite"] : []), ...(sc.dnat && sc.control.some((op) => op.kind === "endpoints") ? ["no-stale-mapping"] : []), ...(sc.control.some((op) => op.kind === "flush") ? ["flush-empties"] : []), ...(sc.control.some((op) => op.kind === "remove-timeout-policy") ? ["no-freed-policy"] : []), ...(hasSkbs(sc) ? ["no-warn", "no-stale-ct"] : [])]);
    }
    // Both kinds are among the built-ins, so the column tells them apart.
    expect(listed.scenarios.some((s) => s.properties.includes("all-replied"))).toBe(true);
    expect(listed.scenarios.some((s) => !s.properties.includes("all-replied"))).toBe(true);
    // The rest of the listing is as before.
    expect(Object.keys(listed)).toEqual(["scenarios", "variants", "versions", "backports", "patches", "properties", "functions"]);
    for (const s of listed.scenarios) expect(s.kernels.length).toBeGreaterThan(0);
  });

  it("the properties listed are the ones a check of the scenario searches", () => {
    for (const s of listed.scenarios) {
      const run = runCheck(resolveScenario(s.name), s.kernels[0]!, undefined, { maxStates: 1 });
      expect(run.result.properties).toEqual(s.properties);
    }
  });

  it("the text shows each scenario's row with its properties, before its description", () => {
    const text = cli("list");
    expect(text.code).toBe(0);
    for (const s of listed.scenarios) {
      const lines = text.out.split("\n");
      const row = lines.findIndex((l) => l.trim().startsWith(`${s.name} `));
      expect(row, s.name).toBeGreaterThanOrEqual(0);
      expect(rowCells(lines, row)).toEqual([s.name, s.properties.join(", "), s.description].map(squeeze));
    }
    expect(text.out).toMatch(/^kernel variants /m);
    expect(text.out).toMatch(/^patches$/m);
    expect(text.out).toMatch(/^properties /m);
  });

  it("--json lists every function a patch may override, in the order of HOOKS, each with its kernel function and a doc", () => {
    expect(listed.functions.map((f) => f.name)).toEqual([...HOOKS]);
    // HOOKS is every function the model runs: the base's, d8f84a9bc7c4's, the two 6a757c07e51f adds, the v4.9 reapers',
    // nfqueue's update (368982cd7d1b) and the bridge's LOCAL_IN hook (62e7151ae3eb).
    expect(listed.functions.map((f) => f.name).filter((n) => !(n in baseV46))).toEqual(["nf_nat_used_tuple_new", "__nf_ct_resolve_clash", "nf_ct_resolve_clash_harder", "nf_ct_should_gc", "nf_ct_gc_expired", "gc_worker", "nf_conntrack_update", "br_nf_local_in"]);
    for (const f of listed.functions) {
      expect(f.kernel, f.name).toMatch(/^_*[a-z][a-z0-9_]*$/);
      expect(f.summary, f.name).not.toMatch(/not documented/);
      expect(f.summary.length, f.name).toBeGreaterThan(10);
    }
    // A function under its kernel name is that function; a behaviour names the function it is inside.
    expect(listed.functions.find((f) => f.name === "__nf_conntrack_confirm")!.kernel).toBe("__nf_conntrack_confirm");
    expect(listed.functions.find((f) => f.name === "clashMergeable")!.kernel).toBe("nf_ct_resolve_clash");
  });

  it("the text has a section of the functions: a row each, name, kernel function, doc", () => {
    const text = cli("list").out.split("\n");
    const start = text.findIndex((l) => l.startsWith("functions a patch may override"));
    expect(start).toBeGreaterThan(0);
    // A row starts at the table's indent; its continuation lines are indented to a column.
    const rows = text.map((l, i) => i).filter((i) => i > start && /^ {2}\S/.test(text[i]!));
    expect(rows.map((i) => rowCells(text, i))).toEqual(listed.functions.map((f) => [f.name, f.kernel, f.summary].map(squeeze)));
  });
});
