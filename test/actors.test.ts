/**
 * The model is built from the table of actors (src/model/actors/index.ts): a new actor is its file, its state and
 * a line in the table. These tests add one the way docs/architecture.md's worked example does, and check what
 * the search makes of it; and that a user's override of a kernel function runs wherever the kernel runs it.
 */
import { describe, expect, it } from "vitest";
import { ACTORS } from "../src/model/actors/index.js";
import { conntrackModel } from "../src/model/model.js";
import { search } from "../src/engine/search.js";
import { propertiesOf, runCheck } from "../src/app/check.js";
import { PATCHES, resolveKernel } from "../src/kernel/variants.js";
import type { Patch } from "../src/kernel/patch.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { readFileSync } from "node:fs";
import { bumper } from "./fixtures/bumper-actor.js";

const NONE = { reduce: { symmetry: false, por: false } } as const;

describe("an actor is one file and a line in the table", () => {
  const sc = resolveScenario("dns-a-aaaa");
  const k = resolveKernel("v4.19");

  it("is the worked example of docs/architecture.md, word for word", () => {
    const doc = readFileSync("docs/architecture.md", "utf8");
    const example = /```ts\n(.*?)```/s.exec(doc)![1]!;
    const fixture = readFileSync("test/fixtures/bumper-actor.ts", "utf8").split("\n").slice(1).join("\n");
    expect(fixture.replace("../../src/model/actor.js", "../actor.js")).toBe(example);
    // Its table line, as the example gives it, names the table's kinds and then the new one.
    const line = /export const ACTORS: readonly ActorKind\[\] = \[(.*?)\];/.exec(doc)![1]!;
    const table = /export const ACTORS: readonly ActorKind\[\] = \[(.*?)\];/.exec(readFileSync("src/model/actors/index.ts", "utf8"))![1]!;
    expect(line).toBe(`${table}, bumper`);
  });

  it("the table's actors are the model's, in order", () => {
    const m = conntrackModel(resolveScenario("dying-winner"), resolveKernel("v5.10"));
    expect(m.actorNames).toEqual(["cpu0", "cpu1", "ctnetlink"]);
    expect(ACTORS.length).toBeGreaterThanOrEqual(4);
  });

  it("an added actor with state of its own multiplies the states by its own, interleaved with every step", () => {
    const plain = search(conntrackModel(sc, k), propertiesOf(sc), NONE);
    const withBumper = search(conntrackModel(sc, k, { actors: [...ACTORS, bumper] }), propertiesOf(sc), NONE);
    // The counter is independent of the packets: the product of the two graphs, its three values each.
    expect(withBumper.states).toBe(plain.states * 3);
    expect(withBumper.verdict).toBe(plain.verdict);
    expect(withBumper.violations.map((v) => [v.name, v.states])).toEqual(plain.violations.map((v) => [v.name, v.states * 3]));
  });

  it("its moves are named by it in traces, and its state is carried through steps and copies", () => {
    const m = conntrackModel(sc, k, { actors: [...ACTORS, bumper] });
    expect(m.actorNames.at(-1)).toBe("bumper");
    let s = m.initialStates()[0]!;
    const bump = m.actions(s).find((a) => m.actorNames[a.actor] === "bumper")!;
    expect(m.describe(s, bump)).toBe("bump");
    s = m.next(s, bump);
    expect(s.ext).toEqual([1, 10]);
    const words = new Int32Array(m.encodedWords);
    const len = m.encode(s, words);
    const back = m.inPlace!.decode(words, 0, len, m.inPlace!.scratch());
    expect(back.ext).toEqual([1, 10]);
  });

  it("symmetry says it does not apply, naming the actor", () => {
    const two = resolveScenario("dns-a-aaaa");
    expect(conntrackModel(two, k).features.noSymmetry).toEqual([]);
    const m = conntrackModel(two, k, { actors: [...ACTORS, bumper] });
    expect(m.features.noSymmetry.join("; ")).toMatch(/a counter bumped by user space keeps state symmetry does not rename/);
    expect(m.canonical).toBeUndefined();
  });
});

describe("a user's override runs wherever the kernel runs that function", () => {
  it("__nf_conntrack_confirm's recycled-memory steps (the locks, its own DYING) are the override's too", () => {
    // Skips confirm's test of its own DYING bit: the dying-loser drops of v5.19 must go (or change).
    const skip: Patch = {
      id: "skip-own-dying",
      commit: "skip-own-dying",
      title: "test: confirm ignores its own entry's DYING",
      mainline: "-",
      requires: [],
      apply: (base) => ({
        __nf_conntrack_confirm(ctx, st, p) {
          const pkt = st.pkts[p]!;
          if (pkt.locked && !pkt.dyingChecked) {
            pkt.dyingChecked = true;
            return "own DYING not tested";
          }
          return base.__nf_conntrack_confirm(ctx, st, p);
        },
      }),
    };
    const sc = resolveScenario("recycled-entry-clash");
    const classes = (kernel: string): string[] => runCheck(sc, resolveKernel(kernel, "kernel", [...PATCHES, skip]), "no-drop").result.violations.map((v) => v.name).sort();
    const base = classes("v5.19");
    expect(base).toContain("dying-loser");
    expect(classes("v5.19+skip-own-dying")).not.toContain("dying-loser");
  });
});
