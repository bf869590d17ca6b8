/**
 * A patch review: the patches applied to their base, every scenario under
 * every property it supports on both, what the patches fix, leave, make worse
 * and introduce, and for every new class a schedule that shows it on the
 * patched kernel and not, with the same choices, on the base.
 */
import { compare, type ClassChange, type CompareCell, type CompareOptions, type CompareResult, type FailOn, failingCells } from "./compare.js";
import type { CheckRun } from "./check.js";
import { differentialCounterexample, type DifferentialCounterexample } from "./differential.js";
import { InputError, isInputError } from "../errors.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Patch } from "../kernel/patch.js";
import { RELEASES, releaseOf, resolveKernel } from "../kernel/variants.js";
import { CANDIDATE, MAINLINE, parseVersion } from "../kernel/versions.js";
import type { Scenario } from "../scenario/scenario.js";

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
  /** Each patch reviewed; `file` as the user named it. */
  readonly patches: readonly { id: string; title: string; file?: string }[];
  /** The comparison it rests on: row 0 the base, row 1 the patched kernel. */
  readonly compare: CompareResult;
  readonly summary: string;
  readonly scenarios: ReviewScenario[];
  readonly probabilityModel?: string;
}

/** The newest released kernel the patches apply to, in the order given. A patch that
 * fails to apply for another reason than its place (its apply threw) says so itself. */
export function defaultBase(ids: readonly string[], patches: readonly Patch[]): string {
  let newest: string | undefined;
  // A released kernel: the candidate (v7.2) is what a merge window brought so far, not what users run.
  for (const r of [...RELEASES].reverse().filter((x) => x.name !== CANDIDATE)) {
    try {
      resolveKernel([r.name, ...ids].join("+"), "--base", patches);
      // Name the newest released version that is this release's kernel (v6.15 for v6.12's; v7.1 for the newest).
      return MAINLINE.filter((v) => v !== CANDIDATE && releaseOf(parseVersion(v)!) === r).at(-1) ?? r.name;
    } catch (e) {
      if (!isInputError(e)) throw e;
      if (!e.message.startsWith("--base: ")) throw e;
      newest ??= `on ${r.name}, ${e.message.slice("--base: ".length).replace(/^'[^']*' /, "it ")}`;
    }
  }
  throw new InputError(`patch: ${ids.join(", ")} ${ids.length === 1 ? "applies" : "apply"} to no release (${newest}): expected patches a release lacks, whose requirements it has`);
}

export function patchedKernel(base: Kernel, ids: readonly string[], patches: readonly Patch[]): Kernel {
  return resolveKernel([base.name, ...ids].join("+"), "--base", patches);
}

export function review(
  scenarios: readonly Scenario[],
  base: Kernel,
  patched: Kernel,
  patchList: readonly Patch[],
  opts: CompareOptions = {},
  shown: (p: Patch) => string | undefined = (p) => p.file,
): ReviewResult {
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
      const file = shown(p);
      return { id: p.id, title: p.title, ...(file !== undefined ? { file } : {}) };
    }),
    compare: cmp,
    summary: summarize(per),
    scenarios: per,
    ...(cmp.probabilityModel ? { probabilityModel: cmp.probabilityModel } : {}),
  };
}

/** "introduces reply-lost on nat-hooks-midway, dns-3-packets; fixes race3 on dns-3-packets; no other change". */
export function summarize(per: readonly ReviewScenario[]): string {
  const byClass = (pick: (c: ClassChange) => boolean): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const s of per) for (const c of s.patched.changes.filter(pick)) m.set(c.class, [...(m.get(c.class) ?? []), s.scenario]);
    return m;
  };
  const say = (verb: (cls: string) => string, m: Map<string, string[]>): string[] => [...m].map(([cls, where]) => `${verb(cls)} on ${where.join(", ")}`);
  const parts = [
    ...say((c) => `introduces ${c}`, byClass((c) => c.status === "new")),
    ...say((c) => `makes ${c} more likely`, byClass((c) => c.worse && c.by === "probability")),
    ...say((c) => `leaves ${c} in more states`, byClass((c) => c.worse && c.by === "states")),
    ...say((c) => `fixes ${c}`, byClass((c) => c.status === "fixed")),
    ...say((c) => `makes ${c} less likely`, byClass((c) => c.better && c.by === "probability")),
    ...say((c) => `leaves ${c} in fewer states`, byClass((c) => c.better && c.by === "states")),
    ...say((c) => `makes ${c} reachable in fewer steps`, byClass((c) => c.status === "remaining" && !!c.base && !!c.now && c.now.shortest < c.base.shortest)),
    ...say((c) => `makes ${c} reachable only in more steps`, byClass((c) => c.status === "remaining" && !!c.base && !!c.now && c.now.shortest > c.base.shortest)),
    ...say((c) => `shows ${c} (the base's search did not finish: new or not is not known)`, byClass((c) => c.status === "unknown")),
  ];
  const unknown = per.filter((s) => !s.patched.searchComplete || !s.base.searchComplete).map((s) => s.scenario);
  if (unknown.length) parts.push(`incomplete on ${unknown.join(", ")}`);
  const n = `${per.length} scenario${per.length === 1 ? "" : "s"}`;
  if (parts.length === 0) return per.length === 1 ? "no change on the one scenario" : `no change on any of the ${n}`;
  // "No other change" only when every search finished: an incomplete one may hide one.
  const moved = per.filter((s) => s.patched.changes.some((c) => c.status !== "remaining" || c.worse || c.better || c.base?.shortest !== c.now?.shortest));
  return [...parts, unknown.length === 0 && moved.length < per.length ? "no other change" : ""].filter(Boolean).join("; ");
}

/** Whether the review fails a CI gate (see compare's --fail-on). */
export function reviewFails(r: ReviewResult, on: FailOn): boolean {
  return failingCells(r.compare, on).length > 0;
}
