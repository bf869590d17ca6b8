/**
 * Packets that leave softirq or are copied (model/actors/nfqueue.ts, clone.ts) against docs/kernel.md, table
 * "Expected outcomes (packets that leave softirq)": each row's scenario on every release the model tells apart from
 * the row's first column (a column stands for the releases from it to the next). A cell is the verdict of the row's
 * property and, when violated, the classes the search must find. Then what traces show, and the loader's refusals.
 */
import { describe, expect, it } from "vitest";
import { counterexample, runCheck } from "../src/app/check.js";
import { RELEASES } from "../src/kernel/variants.js";
import { compareVersions, parseVersion } from "../src/kernel/versions.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { scenarioFromData } from "../src/scenario/load.js";
import { InputError } from "../src/errors.js";
import { parse as parseYaml } from "yaml";
import { conntrackModel } from "../src/model/model.js";
import { resolveKernel } from "../src/kernel/variants.js";

type Cell = "H" | readonly string[];

interface Row {
  readonly scenario: string;
  readonly property: string;
  readonly columns: readonly (readonly [string, Cell])[];
}

const ROWS: Record<string, Row> = {
  "22.2 misrouted": { scenario: "nfqueue-dns", property: "all-replied", columns: [["v4.18", ["query-misrouted"]], ["v6.12", "H"]] },
  "22.2 no drop": { scenario: "nfqueue-dns", property: "no-drop", columns: [["v4.18", "H"]] },
  "22.1 gso in order": { scenario: "nfqueue-gso", property: "no-drop", columns: [["v4.6", "H"], ["v6.11", ["queued-shared"]], ["v7.0", "H"]] },
  "22.1 gso any order": { scenario: "examples/scenarios/nfqueue-gso-any-order.yaml", property: "no-drop", columns: [["v4.6", "H"], ["v6.11", ["queued-shared"]], ["v7.0", ["reinjected-shared"]]] },
  "22.1 gso in parallel (WARN)": { scenario: "examples/scenarios/nfqueue-gso-parallel.yaml", property: "no-warn", columns: [["v4.6", ["confirmed-clone-warn"]], ["v6.11", "H"]] },
  "22.1 gso in parallel (drops)": { scenario: "examples/scenarios/nfqueue-gso-parallel.yaml", property: "no-drop", columns: [["v4.6", ["confirmed-clone"]], ["v6.11", ["queued-shared"]], ["v7.0", ["reinjected-shared"]]] },
  "22.3 timeout": { scenario: "examples/scenarios/nfqueue-timeout.yaml", property: "timeout-as-set", columns: [["v4.6", ["timeout-double-stamp"]], ["v6.4", "H"]] },
  "23.1 bridge": { scenario: "bridge-clones", property: "no-warn", columns: [["v4.6", ["confirmed-clone-warn"]], ["v6.8", "H"], ["v6.16", ["local-in-unconfirmed-warn"]], ["v6.17", "H"]] },
  "23.2 stale entry": { scenario: "bridge-clones", property: "no-stale-ct", columns: [["v4.6", "H"], ["v4.7", ["confirm-events"]], ["v5.19", "H"], ["v6.8", ["local-in-read"]], ["v6.17", "H"]] },
  "23.1 promisc": { scenario: "examples/scenarios/bridge-promisc.yaml", property: "no-warn", columns: [["v4.6", "H"], ["v6.8", ["local-in-shared-warn", "confirmed-clone-warn"]], ["v6.9", "H"]] },
};

const v = (s: string) => parseVersion(s)!;
const cellOf = (row: Row, release: string): Cell | undefined => row.columns.filter(([c]) => compareVersions(v(c), v(release)) <= 0).at(-1)?.[1];

for (const [id, row] of Object.entries(ROWS)) {
  describe(`row ${id}: ${row.scenario}, ${row.property}`, () => {
    const sc = resolveScenario(row.scenario);
    const kernels = RELEASES.flatMap((r): [string, Cell][] => {
      const cell = cellOf(row, r.name);
      return cell === undefined ? [] : [[r.name, cell]];
    });
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

describe("traces", () => {
  const lanes = (scenario: string, kernel: string, cls: string): string[] => {
    const run = runCheck(resolveScenario(scenario), kernel);
    const cx = counterexample(run, cls)!;
    return [...new Set(cx.steps.map((s) => s.actor))];
  };
  it("the queue program is a lane of its own: nfqueue-dns on v5.10 reinjects on 'nfq'", () => {
    expect(lanes("nfqueue-dns", "v5.10", "query-misrouted")).toContain("nfq");
  });
  it("a clone is a lane of its own: bridge-clones on v6.6 confirms on F.clone1", () => {
    expect(lanes("bridge-clones", "v6.6", "confirmed-clone-warn")).toContain("F.clone1");
  });
  it("the misrouted packet's counterexample ends with its reinject, after the other packet's insert", () => {
    const run = runCheck(resolveScenario("nfqueue-dns"), "v5.10");
    const cx = counterexample(run, "query-misrouted")!;
    const kinds = cx.steps.map((s) => (typeof s.note === "object" ? s.note.kind : s.note));
    expect(kinds.lastIndexOf("inserted")).toBeLessThan(kinds.lastIndexOf("reinject"));
    const last = [...cx.steps].reverse().find((s) => typeof s.note === "object" && s.note.kind === "reinject")!.note;
    expect(typeof last === "object" && last.kind === "reinject" && typeof last.update === "object" && last.update.kind === "update" && last.update.misrouted).toBe(true);
  });
  it("every run ends with every packet and copy accepted or dropped, on every release (no lane left waiting)", () => {
    const names = ["nfqueue-dns", "nfqueue-gso", "bridge-clones", "examples/scenarios/nfqueue-gso-any-order.yaml", "examples/scenarios/nfqueue-gso-parallel.yaml", "examples/scenarios/bridge-promisc.yaml"];
    for (const name of names) {
      for (const { name: kernel } of RELEASES) {
        const sc = resolveScenario(name);
        const m = conntrackModel(sc, resolveKernel(kernel));
        const seen = new Set<string>();
        const todo = [...m.initialStates()];
        let ends = 0;
        while (todo.length) {
          const s = todo.pop()!;
          const key = JSON.stringify(s);
          if (seen.has(key)) continue;
          seen.add(key);
          const next = m.actions(s);
          if (next.length === 0) {
            ends++;
            // A copy never made (its packet dropped before) is the only skb that may stay where it started.
            const pending = s.pkts.filter((p, i) => p.fate === 0 && !(sc.packets[i]!.cloneOf !== undefined && p.pc === 0 && p.uses < 0 && !p.reset));
            expect(pending, `${name} ${kernel}`).toEqual([]);
          }
          for (const a of next) todo.push(m.next(s, a));
        }
        expect(ends, `${name} ${kernel}`).toBeGreaterThan(0);
      }
    }
  });
  it("the copies share their packet's entry: an unconfirmed entry has as many references as skbs point at it", () => {
    const m = conntrackModel(resolveScenario("bridge-clones"), resolveKernel("v6.6"));
    // Walk the graph: wherever the clone exists, it points at F's entry or the one F's skb went on with.
    const seen = new Set<string>();
    const todo = [...m.initialStates()];
    let cloned = 0;
    while (todo.length) {
      const s = todo.pop()!;
      const key = JSON.stringify(s);
      if (seen.has(key)) continue;
      seen.add(key);
      const clone = s.pkts[2]!;
      if (clone.uses >= 0) {
        cloned++;
        expect(clone.ct).toBeNull();
        expect([0, 1]).toContain(clone.uses);
      }
      for (const a of m.actions(s)) todo.push(m.next(s, a));
    }
    expect(cloned).toBeGreaterThan(0);
  });
});

describe("the loader", () => {
  const base = `name: t
description: t
protocol: udp
cpus: 2
nat-table: false
client: 10.0.0.1:1000
service: 10.0.0.2:53
snat: none
kernels: [v6.6]
`;
  const refuse = (extra: string): string => {
    try {
      scenarioFromData(parseYaml(base + extra), "t.yaml");
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    throw new Error("accepted");
  };
  it("refuses segments without a queue, clones without a bridge, a clone on a CPU that does not exist, each naming the field", () => {
    expect(refuse("packets:\n  - { name: P, cpu: 0, segments: 2 }\n")).toMatch(/^t\.yaml: packets\[0\]\.segments: segments are made by a queue without F_GSO: expected an nfqueue rule$/);
    expect(refuse("packets:\n  - { name: P, cpu: 0, clones: [1] }\n")).toMatch(/^t\.yaml: packets\[0\]\.clones: clones are made on a bridge/);
    expect(refuse("packets:\n  - { name: P, cpu: 0, bridge: broadcast, clones: [5] }\n")).toMatch(/^t\.yaml: packets\[0\]\.clones\[0\]: expected a CPU from 0 to 1/);
    expect(refuse("nfqueue: { hook: input }\npackets:\n  - { name: P, cpu: 0 }\n")).toMatch(/^t\.yaml: nfqueue\.hook: expected the hook/);
    expect(refuse("nfqueue: { hook: output, threads: 3 }\npackets:\n  - { name: P, cpu: 0 }\n")).toMatch(/^t\.yaml: nfqueue\.threads: expected 1 or 2 threads/);
    expect(refuse("nfqueue: { hook: output, gso: true }\npackets:\n  - { name: P, cpu: 0, segments: 2 }\n")).toMatch(/gso: true takes the packet whole/);
    expect(refuse("nfqueue: { hook: output }\nrecycle: true\npackets:\n  - { name: P, cpu: 0 }\n")).toMatch(/^t\.yaml: nfqueue: nfqueue is not modelled with recycle$/);
    expect(refuse("nfqueue: { hook: output, timeout: 30s }\npackets:\n  - { name: P, cpu: 0 }\n")).toMatch(/^t\.yaml: nfqueue\.timeout: needs a scenario with time/);
    expect(refuse("nfqueue: { hook: output }\nreply-within: 1s\nreplies: true\npackets:\n  - { name: P, cpu: 0, segments: 2 }\n")).toMatch(/^t\.yaml: nfqueue: nfqueue is not modelled with time/);
  });
  it("adds the copies after the written packets, sharing their packet's flow", () => {
    const sc = resolveScenario("nfqueue-gso");
    expect(sc.packets.map((p) => [p.name, p.cloneOf, p.copy])).toEqual([["G", undefined, undefined], ["G.seg2", 0, "segment"]]);
    expect(sc.packets[1]!.from).toEqual(sc.packets[0]!.from);
  });
});
