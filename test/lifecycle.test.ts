/** A table with a limit: __nf_conntrack_alloc, early_drop, ASSURED, and what the search finds with them. */
import { hasSkbs } from "../src/scenario/scenario.js";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCheck } from "../src/app/check.js";
import { IPS } from "../src/kernel/net/conn.js";
import { conntrackModel } from "../src/model/model.js";
import { Fate, Reply, type KState } from "../src/kernel/net/state.js";
import { RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { compareVersions, parseVersion } from "../src/kernel/versions.js";
import { scenarioFromData } from "../src/scenario/load.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";
import { parse } from "yaml";
import { expectedOutcome } from "./fixtures/lifecycle-outcomes.js";
import { DNS_NODE } from "./fixtures/dns-node.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "ctmc-life-"));
/** A scenario file's data with some fields changed (undefined: left out). */
function variant(file: string, name: string, change: Record<string, unknown>) {
  const data: Record<string, unknown> = { ...(parse(readFileSync(file, "utf8")) as Record<string, unknown>), name, ...change };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete data[k];
  return scenarioFromData(data, `${name} (test)`);
}
const classes = (sc: ReturnType<typeof resolveScenario>, kernel: string, reduce?: "none") =>
  runCheck(sc, kernel, undefined, reduce ? { reduce: { symmetry: false, por: false } } : {}).result.violations.map((v) => v.name).sort();

const SUSE = "models/nat-clash-early-drop.yaml";
const SUSE3 = "examples/scenarios/nat-clash-early-drop-3-queries.yaml";

describe("a limit that no run reaches changes nothing", () => {
  // conntrack-max 7 with at most 6 packets: no allocation passes it, so early_drop never runs.
  for (const name of builtinScenarioNames()) {
    const sc = resolveScenario(name);
    if (sc.conntrackMax > 0 || sc.chains || sc.recycle || sc.packets.length > 6) continue;
    if (sc.protocol !== "udp" && sc.protocol !== "tcp") {
      // Their trackers' ASSURED rules are not modelled, so a limit is refused for them (docs/kernel.md, "Protocols").
      it(`${name}: a limit is refused for a ${sc.protocol} flow`, () => {
        expect(() => scenarioFromData({ ...(parse(readFileSync(`models/${name}.yaml`, "utf8")) as object), "conntrack-max": 7 }, name)).toThrow(/protocol: .*conntrack-max/);
      });
      continue;
    }
    if (hasSkbs(sc)) {
      // A queue or a bridge is not modelled with a limit (docs/scenarios.md).
      it(`${name}: a limit is refused for queued or copied packets`, () => {
        expect(() => scenarioFromData({ ...(parse(readFileSync(`models/${name}.yaml`, "utf8")) as object), "conntrack-max": 7 }, name)).toThrow(/is not modelled with conntrack-max/);
      });
      continue;
    }
    it(`${name}: the same verdict and classes on every release, unreduced`, () => {
      const limited = scenarioFromData({ ...(parse(readFileSync(`models/${name}.yaml`, "utf8")) as object), "conntrack-max": 7 }, `${name} limited`);
      for (const r of RELEASES) {
        const a = runCheck(sc, r.name, undefined, { reduce: { symmetry: false, por: false } }).result;
        const b = runCheck(limited, r.name, undefined, { reduce: { symmetry: false, por: false } }).result;
        expect(b.verdict, `${name} ${r.name}`).toBe(a.verdict);
        expect(b.violations.map((v) => v.name), `${name} ${r.name}`).toEqual(a.violations.map((v) => v.name));
      }
    });
  }
});

describe("the SUSE report (nat-clash-early-drop): a NAT_CLASH entry evicted before its reply", () => {
  it("v5.9 and later lose a reply to an eviction once the table is full, and hold when it has room (row 14.4, docs/kernel.md)", () => {
    for (const k of ["v5.9", "v5.10", "v6.12"]) {
      expect(classes(resolveScenario("nat-clash-early-drop"), k).includes("reply-evicted"), k).toBe(expectedOutcome("14.4", k) === "reply lost");
      expect(runCheck(variant(SUSE, "room", { "conntrack-max": 3 }), k).result.verdict, k).toBe("holds");
      expect(runCheck(variant(SUSE, "no-limit", { "conntrack-max": undefined }), k).result.verdict, k).toBe("holds");
    }
  });

  it("the reply is lost through the clash-inserted entry: early drop evicted B's NAT_CLASH entry", () => {
    const sc = resolveScenario("nat-clash-early-drop");
    const model = conntrackModel(sc, resolveKernel("v5.10"));
    let throughClash = 0;
    runCheck(sc, "v5.10", "all-replied", {
      visit: (s: KState) => {
        if (model.actions(s).length > 0) return;
        if (s.pkts.some((p) => p.reply === Reply.EVICTED && p.uses >= 0 && s.pkts[p.uses]!.evicted && s.pkts[p.uses]!.ct!.status & IPS.NAT_CLASH)) throughClash++;
      },
    });
    expect(throughClash).toBeGreaterThan(0);
  });

  it("v5.6 loses replies for its own reason too (the NAT_CLASH entry dies with its first reply), with or without room", () => {
    expect(classes(resolveScenario(SUSE3), "v5.6")).toEqual(expect.arrayContaining(["reply-evicted", "reply-lost"]));
    expect(classes(variant(SUSE3, "room", { "conntrack-max": 4 }), "v5.6")).toContain("reply-lost");
    expect(classes(variant(SUSE3, "room", { "conntrack-max": 4 }), "v5.9")).toEqual([]);
  });

  it("v5.0 drops B at confirm instead (no clash insertion)", () => {
    expect(classes(resolveScenario("nat-clash-early-drop"), "v5.0")).toContain("race3");
  });

  it("the trace marks the eviction as the cause of the lost reply", () => {
    const r = cli("trace", "nat-clash-early-drop", "--kernel", "v5.10", "--class", "reply-evicted", "--format", "json");
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out) as { explanation: { class: string; rule: string; causeStep: number; text: string }; steps: { function: string; note: string }[] };
    expect(j.explanation.class).toBe("reply-evicted");
    expect(j.explanation.rule).toBe("evicted");
    const cause = j.steps[j.explanation.causeStep - 1]!;
    expect(cause.function).toBe("init_conntrack");
    expect(cause.note).toMatch(/^table full \(nf_conntrack_max 2\): early_drop evicted /);
    expect(j.explanation.text).toMatch(/early_drop evicted it \(not ASSURED\)/);
  });

  it("the SUSE patch (a user patch) cannot help on v6.12, where ASSURED waits for the 2 s stream state; on v5.10 it helps in some runs only", () => {
    const r = cli("compare", SUSE3, "--kernels", "v5.10,v5.10+nat-clash-assured,v6.12,v6.12+nat-clash-assured", "--patch", "examples/patches/nat-clash-assured.mjs", "--json");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { kernels: string[]; rows: { states: number; verdict: string; drops: { class: string; states: number }[]; changes: { class: string; status: string }[] }[][] };
    const cell = (k: string) => j.rows[j.kernels.indexOf(k)]![0]!;
    const evicted = (k: string) => cell(k).drops.find((d) => d.class === "reply-evicted")?.states ?? 0;
    expect(cell("v6.12+nat-clash-assured").drops).toEqual(cell("v6.12").drops);
    expect(evicted("v5.10+nat-clash-assured")).toBeGreaterThan(0);
    expect(evicted("v5.10+nat-clash-assured")).toBeLessThan(evicted("v5.10"));
  });
});

describe("a full table on a DNS node (dns-table-full)", () => {
  it("on every release a query is dropped for the full table, or an earlier one's reply is lost to an eviction (rows 12.4 and table-full, docs/kernel.md)", () => {
    for (const r of RELEASES) {
      const found = classes(resolveScenario("dns-table-full"), r.name);
      expect(found, r.name).toContain("table-full");
      // Row 12.4 (the table's columns from v5.0; earlier releases as v5.0): the DNAT'ed winner, never ASSURED, early-dropped before its reply.
      const spec = expectedOutcome("12.4", compareVersions(parseVersion(r.name)!, parseVersion("v5.0")!) < 0 ? "v5.0" : r.name);
      expect(found.includes("reply-evicted"), `${r.name}: ${spec}`).toBe(spec === "reply lost");
    }
  });

  it("a table-full drop is counted in drop, an eviction in early_drop (conntrack -S)", () => {
    const r = cli("compare", "dns-table-full", "--kernels", "v5.10", "--json");
    const j = JSON.parse(r.out) as { rows: { counters: { drop: number; early_drop?: number }[] }[][] };
    const counters = j.rows[0]![0]!.counters;
    expect(counters.some((c) => c.early_drop! > 0)).toBe(true);
    expect(counters.some((c) => c.drop > 0 && c.early_drop === 0)).toBe(true);
    expect(counters.every((c) => c.early_drop !== undefined)).toBe(true);
  });
});

describe("ASSURED protects an entry from early drop, set as each release's UDP tracker sets it", () => {
  // C1's flow answers its first query, then a second query of the same socket hits its entry
  // with SEEN_REPLY set: v4.6-v5.15 make it ASSURED; from b7b1d02fc439 (v6.12 here) only after 2 s.
  const data = {
    ...DNS_NODE,
    name: "assured-flow",
    description: "a flow with two queries, then another client's query while the table is full",
    cpus: 2,
    "conntrack-max": 1,
    packets: [
      { name: "Q1", cpu: 0 },
      { name: "Q2", cpu: 0, "after-reply": "Q1" },
      { name: "Z", cpu: 1, from: "10.244.0.9:41000", "after-reply": "Q2" },
    ],
    kernels: ["v5.10"],
  };
  const sc = scenarioFromData(data, "assured-flow (test)");
  const ends = (kernel: string): KState[] => {
    const model = conntrackModel(sc, resolveKernel(kernel));
    const out: KState[] = [];
    runCheck(sc, kernel, undefined, { visit: (s: KState) => void (model.actions(s).length === 0 && out.push(structuredClone(s))) });
    return out;
  };
  it("v5.10: Q1's entry is ASSURED once Q2 passed it, so Z finds nothing to evict and is dropped", () => {
    const all = ends("v5.10");
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) {
      expect(s.pkts[0]!.ct!.status & IPS.ASSURED).toBeTruthy();
      expect(s.pkts[0]!.evicted).toBe(false);
      expect(s.pkts[2]!.fate).toBe(Fate.DROPPED);
    }
  });
  it("v6.12: the entry never becomes ASSURED, and Z may evict it", () => {
    const all = ends("v6.12");
    expect(all.every((s) => !(s.pkts[0]!.ct!.status & IPS.ASSURED))).toBe(true);
    expect(all.some((s) => s.pkts[0]!.evicted && s.pkts[2]!.fate === Fate.ACCEPTED)).toBe(true);
  });
});

describe("early drop is a kernel function a patch may override, and conntrack-max is checked input", () => {
  it("a patch whose early_drop never evicts leaves table-full, and no eviction", () => {
    const f = join(dir, "no-evict.mjs");
    writeFileSync(f, 'export default { id: "no-evict", title: "early_drop: evict nothing", requires: [], apply: () => ({ early_drop: () => 0 }) };\n');
    const r = cli("compare", "dns-table-full", "--kernels", "v5.10,v5.10+no-evict", "--patch", f, "--json");
    const j = JSON.parse(r.out) as { kernels: string[]; rows: { drops: { class: string }[] }[][] };
    const mine = j.rows[j.kernels.indexOf("v5.10+no-evict")]![0]!.drops.map((d) => d.class);
    expect(mine).toContain("table-full");
    expect(mine).not.toContain("reply-evicted");
  });
  for (const [v, msg] of [
    [0, /conntrack-max: expected nf_conntrack_max from 1 to 7/],
    [8, /conntrack-max: expected nf_conntrack_max from 1 to 7: early_drop's step branches/],
    ["x", /conntrack-max: expected nf_conntrack_max, a whole number from 1 to 7/],
  ] as const) {
    it(`conntrack-max: ${JSON.stringify(v)} is a one-line error, exit 2`, () => {
      const f = join(dir, `bad-${String(v)}.yaml`);
      writeFileSync(f, readFileSync("models/dns-table-full.yaml", "utf8").replace("conntrack-max: 1", `conntrack-max: ${JSON.stringify(v)}`));
      const r = cli("check", f);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(msg);
    });
  }
});

describe("what review found: choices, v4.6's early_drop, POR and guards", () => {
  const patchFile = (file: string, hooks: string): string => {
    const f = join(dir, file);
    writeFileSync(f, `export default { id: "${file.replace(/\.mjs$/, "")}", title: "t", requires: [], apply: (base) => (${hooks}) };\n`);
    return f;
  };

  it("early_drop's choice names entries, so a schedule means the same on kernels that disagree about ASSURED", () => {
    const f = join(dir, "assured-flow.yaml");
    writeFileSync(
      f,
      [
        "name: assured-flow",
        "description: t",
        "protocol: udp",
        "cpus: 2",
        "nat-table: true",
        "client: 10.244.0.5:40000",
        "service: 10.96.0.10:53",
        "dnat: { endpoints: [10.244.1.7:53], choice: random }",
        "snat: null-binding",
        "replies: true",
        "conntrack-max: 1",
        "packets:",
        "  - { name: Q1, cpu: 0 }",
        "  - { name: Q2, cpu: 0, after-reply: Q1 }",
        "  - { name: Z, cpu: 1, from: 10.244.0.9:41000, after-reply: Q2 }",
        "kernels: [v5.10]",
        "",
      ].join("\n"),
    );
    // v5.10 assures Q1's entry, v6.12 does not: Z's drop on v5.10 is, with the same choice, Z's eviction of it on v6.12.
    const r = cli("trace", f, "--kernel", "v5.10", "--against", "v6.12", "--class", "table-full", "--format", "json");
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out) as { against: { skipped: number[]; outcome: string; steps: { function: string; note: string }[] } };
    expect(j.against.skipped).toEqual([]);
    expect(j.against.outcome).toMatch(/no drop/);
    expect(j.against.steps.some((s) => s.function === "init_conntrack" && /early_drop evicted Q1's entry/.test(s.note))).toBe(true);
  });

  it("v4.6's early_drop deletes one entry a step; early_drop_list (v4.18 and later here) every evictable one of the chain", () => {
    const sc = resolveScenario("nat-clash-early-drop");
    const most = (kernel: string): number => {
      const model = conntrackModel(sc, resolveKernel(kernel));
      let max = 0;
      runCheck(sc, kernel, undefined, {
        visit: (s: KState) => {
          const before = s.pkts.filter((p) => p.evicted).length;
          for (const a of model.actions(s)) max = Math.max(max, model.next(s, a).pkts.filter((p) => p.evicted).length - before);
        },
      });
      return max;
    };
    expect(most("v4.6")).toBe(1);
    expect(most("v4.18")).toBeGreaterThan(1);
  });

  it("a user's __nf_conntrack_alloc turns POR off, and check says so", () => {
    const f = patchFile("alloc-hook.mjs", "{ __nf_conntrack_alloc: (...a) => base.__nf_conntrack_alloc(...a) }");
    const r = cli("check", "two-clients", "--kernel", "v5.10+alloc-hook", "--patch", f, "--reduce", "por", "--json");
    expect(JSON.parse(r.out).reduce).toBe("none");
    expect(JSON.parse(cli("check", "two-clients", "--kernel", "v5.10", "--reduce", "por", "--json").out).reduce).toBe("por");
  });

  it("a patch that lets the table grow past conntrack-max is a one-line error, exit 2", () => {
    const f = patchFile("no-limit.mjs", "{ __nf_conntrack_alloc: () => true }");
    const r = cli("check", SUSE3, "--kernel", "v5.10+no-limit", "--patch", f);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/past conntrack-max 2: __nf_conntrack_alloc must refuse an entry early_drop made no room for/);
  });

  it("an early_drop that claims an eviction it did not make is a one-line error, exit 2", () => {
    const f = patchFile("claims-one.mjs", "{ early_drop: () => 1 }");
    const r = cli("check", "dns-table-full", "--kernel", "v5.10+claims-one", "--patch", f);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/claims-one\.mjs: early_drop returned 1 but set st\.pkts\[id\]\.evicted on 0 entries: expected the number it evicted/);
  });

  it("without conntrack-max a drop before any entry is no-entry, not table-full", () => {
    const f = patchFile("refuse.mjs", "{ __nf_conntrack_alloc: () => false }");
    const r = cli("check", "dns-a-aaaa", "--kernel", "v5.10+refuse", "--patch", f, "--json");
    expect(JSON.parse(r.out).drops.map((d: { class: string }) => d.class)).toEqual(["no-entry"]);
  });

  it("the share of schedules says how it weighs early_drop's choice", () => {
    const r = cli("compare", "dns-table-full", "--kernels", "v5.10", "--probability");
    expect(r.out.replace(/\s+/g, " ")).toMatch(/with conntrack-max, every set of entries early_drop's chains may hold is taken as equally likely/);
  });
});
