/**
 * `trace --against`: a schedule that violates a class on kernel A and, with the
 * very same choices, not on kernel B. Every answer is checked against an
 * enumeration of every schedule written here, on the Model interface alone
 * (each schedule of A, B mirrored step by step), so the product search is not
 * checked against itself.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { JSDOM } from "jsdom";
import type { Action, Model, Property } from "../src/engine/model.js";
import { differentialSearch, productModel } from "../src/engine/differential.js";
import { countPreemptions } from "../src/engine/preemption.js";
import { differentialCounterexample } from "../src/app/differential.js";
import { runCheck, selectProperties } from "../src/app/check.js";
import { conntrackModel } from "../src/model/model.js";
import { allReplied } from "../src/kernel/properties/properties.js";
import { loadPatchFile } from "../src/user-patch/load.js";
import { PATCHES, resolveKernel } from "../src/kernel/variants.js";
import { resolveScenario } from "../src/scenario/registry.js";

const EXAMPLE = "examples/patches/merge-on-same-origin.mjs";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const same = <S>(m: Model<S>, x: S, y: S): boolean => {
  const a = new Int32Array(m.encodedWords);
  const b = new Int32Array(m.encodedWords);
  const n = m.encode(x, a);
  return n === m.encode(y, b) && a.every((v, i) => v === b[i]);
};

/** B's step for A's action: the same actor and choice, if B has it enabled. */
const mirror = (acts: readonly Action[], a: Action): Action | undefined => acts.find((x) => x.actor === a.actor && x.choice === a.choice);

/** B finishing alone: lowest actor, then lowest choice. */
function finishAlone<S>(m: Model<S>, s: S): { state: S; actions: Action[] } {
  const actions: Action[] = [];
  for (;;) {
    const acts = [...m.actions(s)].sort((x, y) => x.actor - y.actor || x.choice - y.choice);
    if (acts.length === 0) return { state: s, actions };
    actions.push(acts[0]!);
    s = m.next(s, acts[0]!);
  }
}

/** Replays A's actions on B as the brief says: B takes each when enabled, else skips (A's step numbers). */
function replayOnB<S>(b: Model<S>, actions: readonly Action[]): { state: S; skipped: number[]; taken: Action[] } {
  let s: S = b.initialStates()[0]!;
  const skipped: number[] = [];
  const taken: Action[] = [];
  actions.forEach((a, i) => {
    const m = mirror(b.actions(s), a);
    if (!m) skipped.push(i + 1);
    else {
      taken.push(m);
      s = b.next(s, m);
    }
  });
  return { state: s, skipped, taken };
}

interface Separating {
  /** Product steps: A's, then B's alone. */
  length: number;
  preemptions: number;
}

/** Every schedule of A (depth first, no state merging), with B mirrored alongside: the separating ones. */
function enumerate<S>(a: Model<S>, b: Model<S>, property: Property<S>, cls: string): { separating: Separating[]; schedules: number } {
  const separating: Separating[] = [];
  let schedules = 0;
  const shows = (p: Property<S>, s: S): boolean => p.violations(s).includes(cls);
  const walk = (sa: S, sb: S, actions: Action[], states: S[]): void => {
    const acts = a.actions(sa);
    const preemptions = (): number => countPreemptions(a, { states, actions });
    if (property.kind === "invariant" && shows(property, sa) && !shows(property, sb)) {
      separating.push({ length: actions.length, preemptions: preemptions() });
      return;
    }
    if (acts.length === 0) {
      schedules++;
      if (property.kind === "terminal") {
        const alone = finishAlone(b, sb);
        if (shows(property, sa) && !shows(property, alone.state)) separating.push({ length: actions.length + alone.actions.length, preemptions: preemptions() });
      }
      return;
    }
    for (const act of acts) {
      const m = mirror(b.actions(sb), act);
      const ta = a.next(sa, act);
      walk(ta, m ? b.next(sb, m) : sb, [...actions, act], [...states, ta]);
    }
  };
  const s0 = a.initialStates()[0]!;
  walk(s0, b.initialStates()[0]!, [], [s0]);
  return { separating, schedules };
}

// ---------------------------------------------------------------- a toy model

/** Two actors, each taking `steps` steps; with `lock`, actor 1 cannot move while actor 0 is between its steps. */
interface Toy {
  done: number[];
}
function toy(steps: number, lock: boolean): Model<Toy> {
  return {
    actorNames: ["p0", "p1"],
    encodedWords: 2,
    initialStates: () => [{ done: [0, 0] }],
    actions: (s) => {
      const out: Action[] = [];
      if (s.done[0]! < steps) out.push({ actor: 0, choice: 0 });
      if (s.done[1]! < steps && !(lock && s.done[0]! > 0 && s.done[0]! < steps)) out.push({ actor: 1, choice: 0 });
      return out;
    },
    next: (s, a) => ({ done: s.done.map((d, i) => (i === a.actor ? d + 1 : d)) }),
    encode: (s, out) => {
      out[0] = s.done[0]!;
      out[1] = s.done[1]!;
      return 2;
    },
    describe: (_s, a) => `p${a.actor} steps`,
  };
}
/** p1 moved while p0 was between its steps. */
const torn: Property<Toy> = {
  name: "atomic",
  kind: "invariant",
  description: "p0's steps are not interleaved",
  violations: (s) => (s.done[0]! > 0 && s.done[0]! < 2 && s.done[1]! > 0 ? ["torn"] : []),
};
/** The run ended with fewer than 3 steps in all. */
const short: Property<Toy> = {
  name: "long-enough",
  kind: "terminal",
  description: "a run takes 3 steps or more",
  violations: (s) => (s.done[0]! + s.done[1]! < 3 ? ["short"] : []),
};

describe("differential search (engine, a toy model)", () => {
  it("finds the shortest schedule that tears p0 without the lock, where the locked B skips p1's step", () => {
    const a = toy(2, false);
    const b = toy(2, true);
    const r = differentialSearch(a, b, { name: "torn", a: torn, b: torn });
    expect(r.kind).toBe("found");
    if (r.kind !== "found") return;
    const { separating } = enumerate(a, b, torn, "torn");
    expect(r.path.a.actions.length).toBe(Math.min(...separating.map((s) => s.length)));
    // A's run shows the class; B, given A's choices, skips the ones it lacks and does not.
    expect(torn.violations(r.path.a.states.at(-1)!)).toEqual(["torn"]);
    const onB = replayOnB(b, r.path.a.actions);
    expect(onB.skipped).toEqual(r.path.skipped);
    expect(onB.skipped.length).toBeGreaterThan(0);
    expect(same(b, onB.state, r.path.b.states.at(-1)!)).toBe(true);
    expect(torn.violations(onB.state)).toEqual([]);
    expect(r.preemptions).toBe(countPreemptions(a, r.path.a));
  });

  it("lets B finish on its own, lowest actor first, for a terminal property", () => {
    const a = toy(1, false);
    const b = toy(2, false);
    const r = differentialSearch(a, b, { name: "short", a: short, b: short });
    expect(r.kind).toBe("found");
    if (r.kind !== "found") return;
    expect(a.actions(r.path.a.states.at(-1)!)).toEqual([]);
    expect(b.actions(r.path.b.states.at(-1)!)).toEqual([]);
    const tail = r.path.mirrors.filter((m) => m === null).length;
    const alone = finishAlone(b, replayOnB(b, r.path.a.actions).state);
    expect(tail).toBe(alone.actions.length);
    expect(r.path.b.actions.slice(-tail)).toEqual(alone.actions);
    expect(short.violations(r.path.b.states.at(-1)!)).toEqual([]);
    const { separating } = enumerate(a, b, short, "short");
    expect(r.path.pair.actions.length).toBe(Math.min(...separating.map((s) => s.length)));
  });

  it("reports none, complete, for a model against itself, and incomplete under a budget", () => {
    const a = toy(2, false);
    const r = differentialSearch(a, toy(2, false), { name: "torn", a: torn, b: torn });
    expect(r.kind).toBe("none");
    expect(r.search.complete).toBe(true);
    expect(enumerate(a, a, torn, "torn").separating).toEqual([]);
    expect(differentialSearch(a, toy(2, true), { name: "torn", a: torn, b: torn }, { search: { maxStates: 1 } }).kind).toBe("incomplete");
  });

  it("refuses models over different actors", () => {
    const other: Model<Toy> = { ...toy(1, false), actorNames: ["p0"] };
    expect(() => productModel(toy(1, false), other)).toThrow(/same actors/);
  });
});

// ---------------------------------------------------------------- conntrack

async function kernelsWithExample() {
  const patch = await loadPatchFile(EXAMPLE);
  const patches = [...PATCHES, patch];
  return (name: string) => resolveKernel(name, "kernel", patches);
}

describe("differentialCounterexample (conntrack)", () => {
  it("merge-on-same-origin on v5.0 loses a reply on nat-hooks-midway that v5.0, with the same choices, does not", async () => {
    const kernel = await kernelsWithExample();
    const sc = resolveScenario("nat-hooks-midway");
    const [ka, kb] = [kernel("v5.0+merge-on-same-origin"), kernel("v5.0")];
    const d = differentialCounterexample(sc, ka, kb);
    expect(d.kind).toBe("found");
    expect(d.class).toBe("reply-lost");
    expect(d.property).toBe("all-replied");
    // Replayed here on models of our own: A loses the reply, B does not.
    const a = conntrackModel(sc, ka);
    const b = conntrackModel(sc, kb);
    let s = a.initialStates()[0]!;
    for (const act of d.a!.path.actions) {
      expect(mirror(a.actions(s), act)).toBeDefined();
      s = a.next(s, act);
    }
    expect(a.actions(s)).toEqual([]);
    expect(allReplied.violations(s)).toContain("reply-lost");
    const onB = replayOnB(b, d.a!.path.actions);
    const alone = finishAlone(b, onB.state);
    expect(d.b!.skipped).toEqual(onB.skipped);
    expect(same(b, alone.state, d.b!.path.states.at(-1)!)).toBe(true);
    expect(allReplied.violations(alone.state)).not.toContain("reply-lost");
    expect(d.b!.classes).not.toContain("reply-lost");
    expect(d.b!.steps).toHaveLength(onB.taken.length + alone.actions.length);
    // The shortest separating schedule, and among those the fewest preemptions.
    const { separating } = enumerate(a, b, allReplied, "reply-lost");
    const shortest = Math.min(...separating.map((x) => x.length));
    expect(d.a!.path.actions.length + alone.actions.length).toBe(shortest);
    expect(d.a!.preemptions).toBe(countPreemptions(a, d.a!.path));
    expect(d.a!.preemptions).toBe(Math.min(...separating.filter((x) => x.length === shortest).map((x) => x.preemptions)));
  });

  it("dns-3-packets: the patched kernel's reply-lost schedule is a drop on v5.0", async () => {
    const kernel = await kernelsWithExample();
    const sc = resolveScenario("dns-3-packets");
    const d = differentialCounterexample(sc, kernel("v5.0+merge-on-same-origin"), kernel("v5.0"), { class: "reply-lost" });
    expect(d.kind).toBe("found");
    const b = conntrackModel(sc, kernel("v5.0"));
    const onB = finishAlone(b, replayOnB(b, d.a!.path.actions).state);
    expect(allReplied.violations(onB.state)).not.toContain("reply-lost");
    expect(d.b!.classes).toEqual(selectProperties(sc, undefined).flatMap((p) => [...p.violations(onB.state)]));
  });

  it("reports none, with a complete search, where every schedule that violates on A violates on B", () => {
    const sc = resolveScenario("dns-a-aaaa");
    for (const [ka, kb] of [
      ["v4.19", "v4.19"],
      ["v4.18", "v4.6"],
    ] as const) {
      const a = resolveKernel(ka);
      const b = resolveKernel(kb);
      const d = differentialCounterexample(sc, a, b);
      expect(d.kind, `${ka} against ${kb}`).toBe("none");
      expect(d.tried).toEqual(d.aRun.result.violations.map((v) => v.name));
      expect(d.tried.length).toBeGreaterThan(0);
      expect(d.states).toBeGreaterThan(0);
      // Every schedule, enumerated: none separates, for any of A's classes.
      const ma = conntrackModel(sc, a);
      const mb = conntrackModel(sc, b);
      const [noDrop] = selectProperties(sc, "no-drop");
      for (const cls of d.tried) {
        const { separating, schedules } = enumerate(ma, mb, noDrop!, cls);
        expect(schedules).toBeGreaterThan(0);
        expect(separating).toEqual([]);
      }
    }
  });

  it("reuses A's check when given one, and refuses another kernel's", () => {
    const sc = resolveScenario("dns-a-aaaa");
    const run = runCheck(sc, "v4.18");
    const d = differentialCounterexample(sc, resolveKernel("v4.18"), resolveKernel("v4.6"), { run });
    expect(d.aRun).toBe(run);
    expect(d.kind).toBe("none");
    expect(() => differentialCounterexample(sc, resolveKernel("v4.19"), resolveKernel("v4.6"), { run })).toThrow(/not A's check/);
  });

  it("names --class when A never shows it", () => {
    expect(() => differentialCounterexample(resolveScenario("dns-a-aaaa"), resolveKernel("v4.19"), resolveKernel("v4.18"), { class: "race1" })).toThrow(/^--class: no race1 state is reachable on v4\.19/);
  });
});

describe("conntrack-mc trace --against", () => {
  const found = ["trace", "nat-hooks-midway", "--kernel", "v5.0+merge-on-same-origin", "--against", "v5.0", "--patch", EXAMPLE];

  it("text: A's counterexample, then the same choices on B and B's outcome; exit 1", () => {
    const r = cli(...found);
    expect(r.code).toBe(1);
    expect(r.out.split("\n")[0]).toMatch(/^nat-hooks-midway on v5\.0\+merge-on-same-origin: reply-lost, \d+ steps/);
    const tail = r.out.slice(r.out.indexOf("the same choices on v5.0"));
    expect(tail).toMatch(/skipped: cpu\d has no such step on v5\.0/);
    expect(tail).toMatch(/^on v5\.0 the same schedule: .*\n$/m);
    expect(tail).not.toMatch(/reply lost/);
  });

  it("json: an against object whose skips and outcome agree with a replay", () => {
    const r = cli(...found, "--format", "json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.class).toBe("reply-lost");
    expect(j.against.kernel).toBe("v5.0");
    expect(j.against.kind).toBe("found");
    expect(j.against.classes).not.toContain("reply-lost");
    // B's steps are A's minus the skipped ones (then B's own, if any).
    const mirrored = j.against.mirrors.filter((m: number | null) => m !== null);
    expect([...mirrored, ...j.against.skipped].sort((x: number, y: number) => x - y)).toEqual(j.steps.map((s: { step: number }) => s.step));
    j.against.mirrors.forEach((m: number | null, i: number) => {
      if (m !== null) expect(j.against.steps[i].actor).toBe(j.steps[m - 1].actor);
    });
    expect(j.against.states).toHaveLength(j.against.steps.length + 1);
  });

  it("mermaid parses, and itf carries B's outcome", async () => {
    const m = cli(...found, "--format", "mermaid");
    expect(m.code).toBe(1);
    expect(m.out).toMatch(/on v5\.0 the same schedule/);
    const dom = new JSDOM("<!doctype html><html><body></body></html>");
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    const { default: mermaid } = await import("mermaid");
    await expect(mermaid.parse(m.out)).resolves.toEqual(expect.objectContaining({ diagramType: "sequence" }));
    const itf = JSON.parse(cli(...found, "--format", "itf").out);
    expect(itf["#meta"].description).toMatch(/on v5\.0 the same schedule/);
    expect(itf["#meta"].against.kernel).toBe("v5.0");
  });

  it("a user patch on the B side works too", () => {
    const r = cli("trace", "nat-hooks-midway", "--kernel", "v5.0", "--against", "v5.0+merge-on-same-origin", "--patch", EXAMPLE, "--format", "json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.against.classes).not.toContain(j.class);
  });

  it("none: one line, exit 0", () => {
    const r = cli("trace", "dns-a-aaaa", "--kernel", "v4.18", "--against", "v4.6");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^no schedule violates race1 or race2 on v4\.18 without violating it on v4\.6 with the same choices \(\d+ pair states searched\)\n$/);
    const j = JSON.parse(cli("trace", "dns-a-aaaa", "--kernel", "v4.18", "--against", "v4.6", "--format", "json").out);
    expect(j.against.kind).toBe("none");
  });

  it("incomplete: exit 3 with what was explored", () => {
    const r = cli("trace", "dns-3-packets", "--kernel", "v5.6", "--against", "v5.0", "--max-states", "790");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/--max-states budget stopped the search \(\d+ pair states searched\): incomplete/);
  });

  it("bad input: exit 2 naming --against or --class", () => {
    for (const [args, message] of [
      [["--against", "v9"], /^conntrack-mc: --against: unknown kernel variant 'v9'/],
      [["--against", ""], /^conntrack-mc: --against: expected a kernel variant/],
      [["--against", "v4.18", "--class", "race1"], /^conntrack-mc: --class: no race1 state is reachable on v4\.19/],
    ] as const) {
      const r = cli("trace", "dns-a-aaaa", "--kernel", "v4.19", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(message);
    }
  });
});
