/**
 * One object decides each reduction and says why one does not apply (src/model/features.ts): the model offers a
 * reduction exactly when its list of reasons is empty, and check's note gives those same reasons.
 */
import { describe, expect, it } from "vitest";
import { conntrackModel } from "../src/model/model.js";
import { whyNotReduced } from "../src/model/features.js";
import { spawnSync } from "node:child_process";
import { RELEASES, resolveKernel } from "../src/kernel/variants.js";
import { builtinScenarioNames, resolveScenario } from "../src/scenario/registry.js";

describe("features decide and explain the reductions", () => {
  it("the model offers symmetry and POR exactly when no reason stands against them", () => {
    for (const name of builtinScenarioNames()) {
      const sc = resolveScenario(name);
      for (const r of RELEASES) {
        const m = conntrackModel(sc, resolveKernel(r.name));
        expect(m.canonical !== undefined, `${name} ${r.name} symmetry`).toBe(m.features.noSymmetry.length === 0);
        expect(m.isLocal !== undefined, `${name} ${r.name} POR`).toBe(m.features.noPor.length === 0);
        const used = { symmetry: m.canonical !== undefined, por: m.isLocal !== undefined };
        const note = whyNotReduced(m.features, { symmetry: true, por: true }, used);
        expect(note === null, `${name} ${r.name}`).toBe(used.symmetry && used.por);
        for (const why of [...m.features.noSymmetry, ...m.features.noPor]) expect(note).toContain(why);
      }
    }
  });

  it("a reason against one reduction is not given against the other", () => {
    // ctnetlink's deletes name entries (no symmetry), but its steps are not private ones POR would commute.
    const m = conntrackModel(resolveScenario("dying-winner"), resolveKernel("v5.10"));
    expect(m.features.noSymmetry.join("; ")).toMatch(/deletes/);
    expect(m.features.noPor.join("; ")).not.toMatch(/deletes/);
  });

  it("check's note is the features' reasons", () => {
    const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", "check", "lookup-reaps-expired", "--kernel", "v6.12", "--reduce", "all", "--json"], { encoding: "utf8" });
    const m = conntrackModel(resolveScenario("lookup-reaps-expired"), resolveKernel("v6.12"));
    expect((JSON.parse(r.stdout) as { reductionNote: string }).reductionNote).toBe(whyNotReduced(m.features, { symmetry: true, por: true }, { symmetry: false, por: false }));
  });
});
