/** Entries as recycled memory (issue 16): slots, references, lockless readers, confirm's locks, and the 2025 crash the search finds. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCheck } from "../src/app/check.js";
import { conntrackModel } from "../src/model/model.js";
import { Fate, type KState } from "../src/kernel/net/state.js";
import { refcount } from "../src/kernel/functions/recycle.js";
import { resolveKernel } from "../src/kernel/variants.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { expectedOutcome } from "./fixtures/lifecycle-outcomes.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const sc = resolveScenario("recycled-entry");
const crashes = (kernel: string, property = "no-crash"): string[] => runCheck(sc, kernel, property).result.violations.map((v) => v.name).sort();

describe("the 2d72afb34065 race (recycled-entry), found by the search", () => {
  it("row 14.1 (docs/kernel.md): a crash on v5.19 and v6.12 (mainline, before 6.12.40), none on v5.10 and v6.16", () => {
    for (const k of ["v5.10", "v5.19", "v6.12", "v6.16"]) {
      const want = expectedOutcome("14.1", k);
      expect(crashes(k).includes("unlink-unlinked"), `${k}: ${want}`).toBe(want === "crash");
    }
    expect(crashes("v6.16")).toEqual([]);
    expect(crashes("v5.10")).toEqual([]);
  });

  it("row 14.1-lost (docs/kernel.md), stale GC vs fresh confirm: a valid entry lost on v5.10 to v6.12 (nf_ct_should_gc read in two steps), none on v6.16", () => {
    for (const k of ["v5.10", "v5.19", "v6.12", "v6.16"]) {
      const want = expectedOutcome("14.1-lost", k);
      expect(crashes(k, "no-lost-entry").includes("reused-entry-deleted"), `${k}: ${want}`).toBe(want === "lost");
    }
    // On v5.10 the reader read "expired" from the new entry's duration, then CONFIRMED once its confirm was through.
    const r = cli("trace", "recycled-entry", "--kernel", "v5.10", "--class", "reused-entry-deleted", "--format", "json");
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out) as { steps: { packet: string; note: string }[] };
    const first = j.steps.findIndex((s) => /nf_ct_should_gc reads it expired/.test(s.note));
    const inserted = j.steps.findIndex((s, i) => i > first && s.packet === "Z" && /entry inserted, CONFIRMED/.test(s.note));
    const kill = j.steps.findIndex((s, i) => i > inserted && /reads Z's entry CONFIRMED and not DYING: nf_ct_kill/.test(s.note));
    expect([first, inserted, kill].every((i) => i >= 0), JSON.stringify([first, inserted, kill])).toBe(true);
  });

  it("the trace is the commit's: a reaper frees E, a stale reader kept E's pointer, a new entry in E's slot is CONFIRMED and not inserted", () => {
    const r = cli("trace", "recycled-entry", "--kernel", "v5.19", "--class", "unlink-unlinked", "--format", "json");
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out) as { steps: { actor: string; packet: string; function: string; note: string; violation: string | null }[]; explanation: { rule: string; causeStep: number; text: string } };
    const at = (test: (s: (typeof j.steps)[number]) => boolean): number => j.steps.findIndex(test);
    const reach = at((s) => s.packet === "Y" && /the walk reaches OLD's .* node \(slot 0\), no reference taken yet/.test(s.note));
    const freed = at((s) => s.actor === "gc" && /OLD's entry unlinked/.test(s.note));
    const reused = at((s) => s.packet === "Z" && /in slot 0, the memory of OLD's freed entry/.test(s.note));
    const early = at((s) => s.packet === "Z" && /IPS_CONFIRMED set before the checks \(1397af5bfd7d\)/.test(s.note));
    const half = at((s) => s.packet === "Y" && /slot now Z's entry\): nf_ct_gc_expired takes a reference on Z's entry; nf_ct_should_gc reads it expired/.test(s.note));
    const kill = at((s) => s.packet === "Y" && /nf_ct_should_gc reads Z's entry CONFIRMED and not DYING: nf_ct_kill sets DYING/.test(s.note));
    expect(half).toBeGreaterThan(early);
    expect(half).toBeLessThan(kill);
    const notInserted = at((s) => s.packet === "Z" && /not inserted/.test(s.note));
    const crash = at((s) => s.violation === "unlink-unlinked");
    expect([reach, freed, reused, early, kill, notInserted, crash].every((i) => i >= 0), JSON.stringify([reach, freed, reused, early, kill, notInserted, crash])).toBe(true);
    expect(reach).toBeLessThan(freed);
    expect(freed).toBeLessThan(reused);
    expect(reused).toBeLessThan(early);
    expect(early).toBeLessThan(kill);
    expect(kill).toBeLessThan(notInserted);
    expect(notInserted).toBeLessThan(crash);
    expect(j.steps[crash]!.packet).toBe("Y");
    expect(j.explanation.rule).toBe("killed");
    expect(j.explanation.causeStep).toBe(kill + 1);
    // One column per CPU and one for the gc worker, as the commit message draws it.
    const lanes = cli("trace", "recycled-entry", "--kernel", "v5.19", "--class", "unlink-unlinked");
    expect(lanes.out.split("\n").find((l) => l.includes("cpu0"))).toMatch(/cpu0\s+cpu1\s+gc\s+clock/);
  });

  it("the crash needs the slot's reuse: the reader holds a reference on what it kills, so it is not freed under it", () => {
    const model = conntrackModel(sc, resolveKernel("v5.19"));
    let kills = 0;
    runCheck(sc, "v5.19", "no-crash", {
      visit: (s: KState) => {
        for (const p of s.pkts) {
          if (p.reaping < 0) continue;
          kills++;
          expect(refcount(s, p.reaping)).toBeGreaterThan(0);
        }
        void model;
      },
    });
    expect(kills).toBeGreaterThan(0);
  });
});

describe("the fix mail's own path (recycled-entry-clash): the new entry loses its confirm race and merges", () => {
  const clash = resolveScenario("recycled-entry-clash");
  const mergedCrashes = (kernel: string): number => {
    let n = 0;
    runCheck(clash, kernel, "no-crash", {
      reduce: { symmetry: false, por: false },
      // The crash with Z accepted on W's entry: Z's own, CONFIRMED early, was never inserted and nobody killed it before its DYING test.
      visit: (s: KState) => void (s.crash & 1 && s.pkts[2]!.fate === Fate.ACCEPTED && s.pkts[2]!.uses === 3 && n++),
    });
    return n;
  };
  it("v5.19 reaches the crash through the merge; v6.16 does not crash at all", () => {
    expect(mergedCrashes("v5.19")).toBeGreaterThan(0);
    expect(runCheck(clash, "v6.16", "no-crash").result.verdict).toBe("holds");
  });
});

describe("what a second review found", () => {
  it("an entry reaped when it truly expired is not a lost one: no-lost-entry holds on v6.16 with answers and reaps up to 71 s", () => {
    const f = join(mkdtempSync(join(tmpdir(), "ctmc-recycle-")), "late.yaml");
    writeFileSync(f, "name: late\ndescription: d\nprotocol: udp\ncpus: 1\nnat-table: false\nclient: 10.244.0.5:40000\nservice: 10.96.0.10:53\nsnat: none\nreplies: true\nreply-within: 40s\nrecycle: true\npackets:\n  - { name: OLD, cpu: 0 }\n  - { name: Y, cpu: 0, at: 31s }\n  - { name: Z, cpu: 0, from: 10.244.0.9:41000, at: 31s }\nkernels: [v6.16]\n");
    const r = cli("check", f, "--kernel", "v6.16", "--property", "no-crash,no-lost-entry");
    expect(r.code, r.err).toBe(0);
  });
  it("a patch's nf_ct_should_gc and nf_ct_gc_expired are what the lockless reapers run: refusing every kill kills nothing", () => {
    const f = join(mkdtempSync(join(tmpdir(), "ctmc-recycle-")), "nogc.mjs");
    writeFileSync(f, 'export default { id: "nogc", title: "never gc", requires: [], apply: () => ({ nf_ct_should_gc: () => false, nf_ct_gc_expired: () => false }) };\n');
    const r = cli("check", "recycled-entry", "--kernel", "v6.12+nogc", "--patch", f, "--property", "no-crash,no-lost-entry", "--json");
    expect(r.code, r.err).toBe(0);
    const t = cli("trace", "recycled-entry", "--kernel", "v6.12+nogc", "--patch", f, "--property", "no-drop", "--format", "json");
    if (t.code === 1) expect(t.out).not.toMatch(/nf_ct_kill sets DYING/);
  });
});

describe("mutation: where confirm sets IPS_CONFIRMED decides it", () => {
  const dir = mkdtempSync(join(tmpdir(), "ctmc-recycle-"));
  const patch = (name: string, value: boolean): string => {
    const f = join(dir, `${name}.mjs`);
    writeFileSync(f, `export default { id: "${name}", title: "CONFIRMED ${value ? "before the clash checks" : "with the insert"}", requires: [], apply: () => ({ confirmedAtLock: () => ${value} }) };\n`);
    return f;
  };
  const found = (kernel: string, file: string): string[] => {
    const r = cli("check", "recycled-entry", "--kernel", kernel, "--patch", file, "--property", "no-crash", "--json");
    expect([0, 1]).toContain(r.code);
    return (JSON.parse(r.out) as { drops: { class: string }[] }).drops.map((d) => d.class);
  };
  it("CONFIRMED moved back after the insert on v6.12 (as v6.15): the crash is unreachable", () => {
    expect(found("v6.12+late-confirmed", patch("late-confirmed", false))).toEqual([]);
  });
  it("CONFIRMED moved before the clash checks on v6.16: the crash is reachable again", () => {
    expect(found("v6.16+early-confirmed", patch("early-confirmed", true))).toContain("unlink-unlinked");
  });
});

describe("no-crash is a property of recycled scenarios only, and they fall back visibly from reductions", () => {
  it("check lists it by default there; --property no-crash elsewhere is a one-line error", () => {
    expect(runCheck(sc, "v6.16").properties.map((p) => p.name)).toEqual(["no-drop", "no-crash", "no-lost-entry"]);
    const r = cli("check", "dns-a-aaaa", "--property", "no-crash");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^conntrack-mc: --property: no-crash needs a scenario with recycle: true/);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });
  it("--reduce all says why neither applies, each with its own reasons", () => {
    const r = cli("check", "recycled-entry", "--kernel", "v6.16", "--reduce", "all");
    expect(r.out).toMatch(/^reduction  symmetry asked, not applied: .*recycle \(slots, readers and locks are not renamed.*\. POR asked, not applied: .*recycle \(/m);
  });
  it("recycle with conntrack-max is refused in one line", () => {
    const f = join(mkdtempSync(join(tmpdir(), "ctmc-recycle-")), "s.yaml");
    writeFileSync(f, "name: s\ndescription: d\nprotocol: udp\ncpus: 1\nnat-table: false\nclient: 10.0.0.1:1000\nservice: 10.0.0.2:53\nsnat: none\nrecycle: true\nconntrack-max: 2\npackets: [{ name: A, cpu: 0 }]\nkernels: [v6.16]\n");
    const r = cli("check", f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/recycle: expected recycle or conntrack-max, not both/);
  });
});
