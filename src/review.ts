/**
 * A patch review: the patches applied to their base, every scenario under
 * every property it supports on both, what the patches fix, leave, make worse
 * and introduce, and for every new class a schedule that shows it on the
 * patched kernel and not, with the same choices, on the base.
 */
import { compare, type CompareCell, type CompareOptions, type FailOn, failingCells } from "./compare.js";
import type { CheckRun } from "./check.js";
import { differentialCounterexample, type DifferentialCounterexample } from "./differential.js";
import { InputError, isInputError } from "./errors.js";
import type { Kernel } from "./kernel/kernel.js";
import type { Patch } from "./kernel/patch.js";
import { RELEASES, resolveKernel } from "./kernel/variants.js";
import type { Scenario } from "./scenario/scenario.js";

export interface ReviewScenario {
  readonly scenario: string;
  readonly base: CompareCell;
  readonly patched: CompareCell;
  /** For each new class, the differential counterexample (or why there is none). */
  readonly differential: DifferentialCounterexample[];
}

export interface ReviewResult {
  readonly base: string;
  readonly patched: string;
  readonly patches: readonly { id: string; title: string; file?: string }[];
  readonly summary: string;
  readonly scenarios: ReviewScenario[];
  readonly probabilityModel?: string;
}

/** The newest release the patches apply to, in the order given. */
export function defaultBase(ids: readonly string[], patches: readonly Patch[]): string {
  const why: string[] = [];
  for (const r of [...RELEASES].reverse()) {
    try {
      resolveKernel([r.name, ...ids].join("+"), "--base", patches);
      return r.name;
    } catch (e) {
      if (!isInputError(e)) throw e;
      why.push(e.message);
    }
  }
  throw new InputError(`--base: the patches (${ids.join(", ")}) apply to no release: ${why.at(-1)!.replace(/^--base: /, "")}`);
}

export function patchedKernel(base: Kernel, ids: readonly string[], patches: readonly Patch[]): Kernel {
  return resolveKernel([base.name, ...ids].join("+"), "--base", patches);
}

export function review(scenarios: readonly Scenario[], base: Kernel, patched: Kernel, patchList: readonly Patch[], opts: CompareOptions = {}): ReviewResult {
  // The patched kernel's own checks, so a differential search does not search it again.
  const runs: CheckRun[] = [];
  const cmp = compare(scenarios, [patched], undefined, { ...opts, base, onRun: (row, s, run) => void (row === 1 && (runs[s] = run)) });
  const [baseRow, patchedRow] = [cmp.rows[0]!, cmp.rows[1]!];
  const { probability: _p, onRun: _o, base: _b, patches: _ps, ...search } = opts;
  const per = scenarios.map((sc, s): ReviewScenario => {
    const cell = patchedRow[s]!;
    return {
      scenario: sc.name,
      base: baseRow[s]!,
      patched: cell,
      differential: cell.new.map((cls) => differentialCounterexample(sc, patched, base, { class: cls, search, run: runs[s]! })),
    };
  });
  const ids = patched.parts.slice(base.parts.length);
  return {
    base: base.name,
    patched: patched.name,
    patches: ids.map((id) => {
      const p = patchList.find((q) => q.id === id)!;
      return { id: p.id, title: p.title, ...(p.file !== undefined ? { file: p.file } : {}) };
    }),
    summary: summarize(per),
    scenarios: per,
    ...(cmp.probabilityModel ? { probabilityModel: cmp.probabilityModel } : {}),
  };
}

/** "introduces reply-lost on nat-hooks-midway, dns-3-packets; fixes race3 on dns-3-packets; no other change". */
export function summarize(per: readonly ReviewScenario[]): string {
  const byClass = (pick: (c: CompareCell) => string[]): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const s of per) for (const cls of pick(s.patched)) m.set(cls, [...(m.get(cls) ?? []), s.scenario]);
    return m;
  };
  const say = (verb: string, m: Map<string, string[]>): string[] => [...m].map(([cls, where]) => `${verb} ${cls} on ${where.join(", ")}`);
  const parts = [
    ...say("introduces", byClass((c) => c.new)),
    ...say("makes worse", byClass((c) => c.worse)),
    ...say("fixes", byClass((c) => c.fixed)),
    ...say("makes less likely or reachable", byClass((c) => c.changes.filter((x) => x.better).map((x) => x.class))),
  ];
  const unknown = per.filter((s) => !s.patched.complete || !s.base.complete).map((s) => s.scenario);
  if (unknown.length) parts.push(`incomplete on ${unknown.join(", ")}`);
  const changed = per.filter((s) => s.patched.changes.some((c) => c.status !== "remaining" || c.worse || c.better));
  if (parts.length === 0) return `no change on any of the ${per.length} scenario${per.length === 1 ? "" : "s"}`;
  return [...parts, changed.length < per.length ? "no other change" : ""].filter(Boolean).join("; ");
}

/** Whether the review fails a CI gate (see compare's --fail-on). */
export function reviewFails(r: ReviewResult, on: FailOn): boolean {
  return failingCells({ property: "", base: r.base, kernels: [r.base, r.patched], baseRow: [-1, 0], baseOnly: [true, false], scenarios: r.scenarios.map((s) => s.scenario), rows: [r.scenarios.map((s) => s.base), r.scenarios.map((s) => s.patched)] }, on).length > 0;
}
