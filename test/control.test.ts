/**
 * The control plane (model/actors/control.ts) against docs/kernel.md, table "Expected outcomes (the control plane)":
 * each row's scenario on every release the model tells apart (a column stands for the releases from it to the next),
 * and the stable releases the table's notes name. A cell is the verdict of the row's property and, when violated, the
 * classes the search must find. Then what the traces must show, and the loader's refusals (docs/scenarios.md).
 */
import { describe, expect, it } from "vitest";
import { counterexample, runCheck } from "../src/app/check.js";
import { RELEASES } from "../src/kernel/variants.js";
import { compareVersions, parseVersion } from "../src/kernel/versions.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { scenarioFromData } from "../src/scenario/load.js";
import { InputError } from "../src/errors.js";
import type { Note } from "../src/kernel/note.js";

/** "H", or the classes of a violation. */
type Cell = "H" | readonly string[];

interface Row {
  readonly scenario: string;
  readonly property: string;
  /** Column release -> cell; a release reads the newest column not newer than it. */
  readonly columns: readonly (readonly [string, Cell])[];
  readonly stable?: Readonly<Record<string, Cell>>;
}

const ROWS: Record<string, Row> = {
  "20 helper": { scenario: "helper-removed", property: "no-drop", columns: [["v4.6", "H"], ["v4.13", ["dying-loser"]], ["v5.19", ["genid-drop"]], ["v7.2", "H"]], stable: { "v7.1.4": ["genid-drop"], "v7.1.5": "H" } },
  "20 timeout": { scenario: "timeout-removed", property: "no-freed-policy", columns: [["v4.6", "H"], ["v4.13", ["timeout-use-after-free"]], ["v7.2", "H"]], stable: { "v7.1.4": ["timeout-use-after-free"], "v7.1.5": "H" } },
  "21.2 flush": { scenario: "flush-nat-clash", property: "flush-empties", columns: [["v4.6", "H"], ["v5.6", ["nat-clash-missed"]], ["v5.7", "H"]], stable: { "v5.6.13": ["nat-clash-missed"], "v5.6.14": "H" } },
  "21.3 stale": { scenario: "endpoint-removed", property: "no-stale-mapping", columns: [["v4.6", ["unconfirmed-survivor"]]] },
  "21.3 resync": { scenario: "endpoint-removed-resync", property: "no-stale-mapping", columns: [["v4.6", "H"]] },
};

const v = (s: string) => parseVersion(s)!;
const cellOf = (row: Row, release: string): Cell => row.columns.filter(([c]) => compareVersions(v(c), v(release)) <= 0).at(-1)![1];

for (const [id, row] of Object.entries(ROWS)) {
  describe(`row ${id}: ${row.scenario}, ${row.property}`, () => {
    const sc = resolveScenario(row.scenario);
    const kernels: [string, Cell][] = [...RELEASES.map((r): [string, Cell] => [r.name, cellOf(row, r.name)]), ...Object.entries(row.stable ?? {})];
    for (const [kernel, cell] of kernels) {
      it(`${kernel}: ${cell === "H" ? "holds" : cell.join(", ")}`, () => {
        const run = runCheck(sc, kernel);
        expect(run.result.complete).toBe(true);
        expect(run.result.properties).toContain(row.property);
        const found = run.result.violations.filter((x) => x.property === row.property).map((x) => x.name);
        expect(found.sort(), kernel).toEqual(cell === "H" ? [] : [...cell].sort());
        for (const x of run.result.violations) expect(counterexample(run, x.name)!.steps).toHaveLength(x.depth);
      });
    }
  });
}

it("every column is a release the model tells apart", () => {
  for (const row of Object.values(ROWS)) for (const [c] of row.columns) expect(RELEASES.map((r) => r.name)).toContain(c);
});

/** The notes of a class's shortest counterexample, with the packet each step names (-1: the control plane's). */
function stepsOf(scenario: string, kernel: string, cls: string): { note: Note; packet: number; fn: string }[] {
  const sc = resolveScenario(scenario);
  const run = runCheck(sc, kernel);
  const cx = counterexample(run, cls);
  expect(cx, `${scenario} ${kernel} ${cls}`).toBeDefined();
  return cx!.steps.map((s) => ({ note: s.note as Note, packet: sc.packets.findIndex((p) => p.name === s.packet), fn: s.function }));
}

describe("what the counterexamples show", () => {
  it("v7.1: the policy is freed while an unconfirmed entry still points at it, nf_ct_untimeout having walked the table without it", () => {
    const steps = stepsOf("timeout-removed", "v7.1", "timeout-use-after-free");
    const alloc = steps.findIndex((s) => s.fn === "init_conntrack");
    const untimeout = steps.findIndex((s) => s.note.kind === "timeout-removal" && s.note.stage === "untimeout");
    expect(alloc).toBeLessThan(untimeout);
    expect(steps[untimeout]!.note).toMatchObject({ entries: [] });
    expect(steps.at(-1)!.note).toMatchObject({ kind: "timeout-removal", stage: "free", freed: true, entries: [steps[alloc]!.packet] });
    // The entry is still unconfirmed: its packet's confirm comes after.
    expect(steps.slice(alloc).some((s) => s.note.kind === "inserted")).toBe(false);
  });

  for (const kernel of ["v5.10", "v7.1"]) {
    it(`${kernel}: the entry NATed to the removed endpoint is unconfirmed while the dump runs, confirmed after it, and hit by the next packet`, () => {
      const steps = stepsOf("endpoint-removed", kernel, "unconfirmed-survivor");
      const at = (pred: (s: (typeof steps)[number]) => boolean): number => steps.findIndex(pred);
      const dnat = at((s) => s.note.kind === "dnat");
      const survivor = steps[dnat]!.packet;
      const rules = at((s) => s.note.kind === "rules");
      const dump = at((s) => s.note.kind === "dump");
      const inserted = at((s) => s.packet === survivor && s.note.kind === "inserted");
      expect(dnat).toBeGreaterThanOrEqual(0);
      expect(rules).toBeGreaterThan(dnat);
      expect(dump).toBeGreaterThan(rules);
      // The dump listed nothing: the entry was in no bucket.
      expect(steps[dump]!.note).toMatchObject({ kind: "dump", listed: [] });
      expect(inserted).toBeGreaterThan(dump);
      // A later packet of the stream hits it.
      expect(steps.slice(inserted + 1).some((s) => s.note.kind === "hit" && s.note.id === survivor)).toBe(true);
    });
  }

  it("v5.6: the flush's walk does not reach the NAT_CLASH entry, which the clash linked before the flush began", () => {
    const steps = stepsOf("flush-nat-clash", "v5.6", "nat-clash-missed");
    const walk = steps.findIndex((s) => s.note.kind === "flush-walk");
    const clash = steps.findIndex((s) => s.note.kind === "clash" && s.note.outcome.kind === "insert");
    expect(clash).toBeGreaterThanOrEqual(0);
    expect(walk).toBeGreaterThan(clash);
    expect(steps[walk]!.note).toMatchObject({ kind: "flush-walk", missed: [steps[clash]!.packet], unconfirmed: [] });
  });

  it("helper-removed: v5.10 marks the unconfirmed entry DYING, v6.12 stales it after synchronize_net waited for the packets in softirq", () => {
    const old = stepsOf("helper-removed", "v5.10", "dying-loser");
    const mark = old.findIndex((s) => s.note.kind === "helper-removal" && s.note.stage === "unconfirmed-destroy");
    expect(old[mark]!.note).toMatchObject({ entries: [old.at(-1)!.packet] });
    expect(old.at(-1)!.note).toEqual({ kind: "own-dying", dying: true });
    const now = stepsOf("helper-removed", "v6.12", "genid-drop");
    const sync = now.findIndex((s) => s.note.kind === "helper-removal" && s.note.stage === "synchronize_net");
    const bump = now.findIndex((s) => s.note.kind === "helper-removal" && s.note.stage === "bump-genid");
    const dropped = now.at(-1)!.packet;
    // The dropped packet's lookup came after synchronize_net, its init_conntrack before the bump.
    const lookup = now.findIndex((s) => s.packet === dropped && s.fn === "__nf_conntrack_find_get");
    const alloc = now.findIndex((s) => s.packet === dropped && s.fn === "init_conntrack");
    expect(sync).toBeLessThan(lookup);
    expect(alloc).toBeLessThan(bump);
    expect(now.at(-1)!.note).toEqual({ kind: "genid-drop" });
  });
});

describe("control, resync and helper in a scenario file", () => {
  const base = {
    name: "x",
    description: "x",
    protocol: "udp",
    cpus: 1,
    "nat-table": true,
    client: "10.0.0.1:1000",
    service: "10.96.0.1:53",
    dnat: { endpoints: ["10.0.1.1:53", "10.0.1.2:53"], choice: "random" },
    snat: "null-binding",
    packets: [{ name: "P", cpu: 0 }],
    kernels: ["v5.10"],
  };
  const refused = (extra: Record<string, unknown>, drop: readonly string[] = []): string => {
    const data: Record<string, unknown> = { ...base, ...extra };
    for (const k of drop) delete data[k];
    try {
      scenarioFromData(data, "s.yaml");
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    return "accepted";
  };

  it("reads the program in order: rule sets by index, every endpoint the rule ever has", () => {
    const sc = scenarioFromData({ ...base, control: [{ endpoints: ["10.0.1.2:53", "10.0.1.3:53"] }, { delete: { "orig-dst": "10.96.0.1:53", "reply-src": "10.0.1.1:53", protocol: "udp" } }, "flush", { endpoints: [] }], resync: true }, "s.yaml");
    expect(sc.dnat!.endpoints.map((e) => `${sc.addrs[e.addr]}:${e.port}`)).toEqual(["10.0.1.1:53", "10.0.1.2:53", "10.0.1.3:53"]);
    expect(sc.dnat!.sets).toEqual([[0, 1], [1, 2], []]);
    expect(sc.control.map((op) => op.kind)).toEqual(["endpoints", "delete", "flush", "endpoints"]);
    expect(sc.resync).toBe(true);
  });

  it("refuses what it cannot model, naming the field", () => {
    expect(refused({ control: ["reboot"] })).toMatch(/^s\.yaml: control\[0\]: expected a control step: flush, remove-helper/);
    expect(refused({ control: [{ endpoints: ["10.0.1.9"] }] })).toMatch(/control\[0\]\.endpoints\[0\]: expected address:port/);
    expect(refused({ control: [{ delete: { "orig-dest": "10.96.0.1:53" } }] })).toMatch(/control\[0\]/);
    expect(refused({ control: [] })).toMatch(/control: expected at least one step/);
    expect(refused({ control: Array(9).fill("flush") })).toMatch(/control: expected at most 8 steps/);
    expect(refused({ control: [{ endpoints: [] }] }, ["dnat"])).toMatch(/control\[0\]\.endpoints: a rule change needs the dnat rule/);
    expect(refused({ control: ["remove-helper"] })).toMatch(/control\[0\]: remove-helper needs the helper .* \(helper: NAME\)/);
    expect(refused({ control: ["flush"], resync: true })).toMatch(/resync: a resync repeats the control plane's deletes/);
    expect(refused({ resync: true })).toMatch(/resync: /);
    expect(refused({ control: ["flush"], recycle: true })).toMatch(/control: control is not modelled with recycle/);
    expect(refused({ control: ["flush"], replies: true, "reply-within": "1s" })).toMatch(/control: control is not modelled with time/);
    expect(refused({ control: ["flush"], deletes: ["P"] })).toMatch(/control: expected deletes or control, not both/);
    expect(refused({ helper: "Tftp" })).toMatch(/helper: expected a helper's name/);
    expect(refused({ helper: "tftp", control: ["remove-helper", "flush", "remove-helper"] })).toMatch(/control\[2\]: remove-helper once: the scenario has one of it to remove/);
    expect(refused({ helper: "tftp" })).toMatch(/helper: only means something with a remove-helper step in control/);
    expect(refused({ "timeout-policy": "udp-short", control: ["flush"] })).toMatch(/timeout-policy: only means something with a remove-timeout-policy step/);
    expect(refused({ control: ["remove-timeout-policy"] })).toMatch(/control\[0\]: remove-timeout-policy needs the policy .* \(timeout-policy: NAME\)/);
    expect(refused({ "timeout-policy": "UDP" })).toMatch(/timeout-policy: expected a timeout policy's name/);
    expect(refused({ control: ["flush"] })).toBe("accepted");
  });
});
