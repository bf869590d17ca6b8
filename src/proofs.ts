/**
 * Claims about patches, one YAML file each in proofs/: a scenario, a kernel
 * variant, a property, the verdict and violation classes expected, and why.
 * Proving a claim runs the search; a search a budget stopped is incomplete,
 * never proved.
 */
import { readdirSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { runCheck, stoppedBy } from "./check.js";
import { IncompleteError, InputError, isInputError } from "./errors.js";
import type { Patch } from "./kernel/patch.js";
import { PATCHES, resolveKernel } from "./kernel/variants.js";
import { PROOFS_DIR } from "./paths.js";
import { isScenarioPath, resolveScenario } from "./scenario/registry.js";
import { describeErrno, readInputText } from "./scenario/load.js";
import { describeIssues, safeParseReported } from "./scenario/issues.js";
import { PROPERTIES } from "./kernel/properties.js";

const schema = z
  .strictObject({
    claim: z.string().min(1),
    scenario: z.string().min(1),
    kernel: z.string().min(1),
    property: z.enum(PROPERTIES.map((p) => p.name) as [string, ...string[]]).optional(),
    expect: z.enum(["holds", "violated"]),
    classes: z.array(z.string().min(1)).optional(),
    why: z.string().min(1),
    budget: z.strictObject({ "max-states": z.number().int().min(1).optional(), "max-seconds": z.number().positive().optional() }).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.expect === "violated" && (!c.classes || c.classes.length === 0)) {
      ctx.addIssue({ code: "custom", path: ["classes"], message: "expected the violation classes a 'violated' claim expects" });
    }
    if (c.expect === "holds" && c.classes && c.classes.length > 0) {
      ctx.addIssue({ code: "custom", path: ["classes"], message: "a 'holds' claim expects no violation classes" });
    }
  });

export interface Claim {
  readonly id: string;
  readonly file: string;
  readonly title: string;
  /** As the claim file names it (a built-in name, or a path relative to the claim's folder). */
  readonly scenario: string;
  /** What to resolve: the name, or the path made relative to the claim's folder. */
  readonly scenarioArg: string;
  readonly kernel: string;
  readonly property: string;
  readonly expect: "holds" | "violated";
  readonly classes: readonly string[];
  readonly why: string;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
}

/** A claim's scenario path is relative to the claim's folder; a built-in name stays a name. */
function claimScenarioArg(file: string, scenario: string): string {
  return isScenarioPath(scenario) && !isAbsolute(scenario) ? join(dirname(file), scenario) : scenario;
}

/** Every error about a claim starts with its file: a scenario's own error is put under the claim's field. */
function underClaim(file: string, field: string, e: unknown): unknown {
  if (!isInputError(e)) return e;
  const own = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
  return new InputError(`${file}: ${field}: ${own}`);
}

export function loadClaim(file: string): Claim {
  let text: string;
  try {
    text = readInputText(file);
  } catch (e) {
    if (e instanceof IncompleteError) throw e;
    throw new InputError(`${file}: cannot read claim file: ${describeErrno(e)}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new InputError(`${file}: not valid YAML: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`);
  }
  const r = safeParseReported(schema, data);
  if (!r.success) throw new InputError(`${file}: ${describeIssues(r.error.issues, schema)}`);
  const c = r.data;
  // Names must resolve now, so a typo is a clear error rather than a failed proof.
  const scenarioArg = claimScenarioArg(file, c.scenario);
  try {
    resolveScenario(scenarioArg);
  } catch (e) {
    throw underClaim(file, "scenario", e);
  }
  resolveKernel(c.kernel, `${file}: kernel`);
  return {
    id: file.replace(/^.*\//, "").replace(/\.ya?ml$/, ""),
    file,
    title: c.claim,
    scenario: c.scenario,
    scenarioArg,
    kernel: c.kernel,
    property: c.property ?? "no-drop",
    expect: c.expect,
    classes: [...(c.classes ?? [])].sort(),
    why: c.why,
    ...(c.budget?.["max-states"] !== undefined ? { maxStates: c.budget["max-states"] } : {}),
    ...(c.budget?.["max-seconds"] !== undefined ? { maxSeconds: c.budget["max-seconds"] } : {}),
  };
}

export function loadClaims(dir = PROOFS_DIR): Claim[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new InputError(`--dir: cannot read '${dir}': ${describeErrno(e)}`);
  }
  const claims = names
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => loadClaim(join(dir, f)));
  // x.yaml and x.yml would be one claim id.
  claims.forEach((c, i) => {
    const other = claims.slice(0, i).find((d) => d.id === c.id);
    if (other) throw new InputError(`${c.file}: claim '${c.id}' is also ${other.file}: expected one file per claim`);
  });
  return claims;
}

export type Outcome = "proved" | "failed" | "incomplete";

export interface ClaimResult {
  readonly claim: Claim;
  readonly outcome: Outcome;
  readonly verdict: string;
  readonly classes: string[];
  readonly states: number;
  /** Steps of the shortest counterexample, if the search found a violation. */
  readonly shortest: number | null;
  readonly seconds: number;
  /** What differs from the claim, for a failed one. */
  readonly mismatch?: string;
}

export function proveClaim(claim: Claim, patches: readonly Patch[] = PATCHES): ClaimResult {
  const kernel = resolveKernel(claim.kernel, `${claim.file}: kernel`, patches);
  let scenario;
  try {
    scenario = resolveScenario(claim.scenarioArg);
  } catch (e) {
    throw underClaim(claim.file, "scenario", e);
  }
  const run = runCheck(scenario, kernel, claim.property, {
    ...(claim.maxStates !== undefined ? { maxStates: claim.maxStates } : {}),
    ...(claim.maxSeconds !== undefined ? { maxSeconds: claim.maxSeconds } : {}),
  });
  const r = run.result;
  const classes = r.violations.map((v) => v.name).sort();
  const shortest = r.violations.length ? Math.min(...r.violations.map((v) => v.depth)) : null;
  const base = { claim, verdict: r.verdict, classes, states: r.states, shortest, seconds: r.seconds };
  const want = `${claim.expect}${claim.classes.length ? ` (${claim.classes.join(", ")})` : ""}`;
  const got = `${r.verdict}${classes.length ? ` (${classes.join(", ")})` : ""}`;
  // A violation found is final: a class the claim does not expect fails it even
  // when a budget or a signal stopped the search; what is still open is incomplete.
  const sameClasses = classes.length === claim.classes.length && classes.every((c, i) => c === claim.classes[i]);
  const unexpected = classes.filter((c) => !claim.classes.includes(c));
  if (!r.complete && unexpected.length === 0) {
    const open = r.verdict === "incomplete" ? "" : " before every class could be ruled in or out";
    return { ...base, outcome: "incomplete", mismatch: `${stoppedBy(r)} stopped the search${open}` };
  }
  if (r.verdict === claim.expect && sameClasses) return { ...base, outcome: "proved" };
  return { ...base, outcome: "failed", mismatch: `expected ${want}, the search found ${got}` };
}

export function proveAll(claims: readonly Claim[], patches: readonly Patch[] = PATCHES): ClaimResult[] {
  return claims.map((c) => proveClaim(c, patches));
}

const esc = (s: string): string => s.replace(/\|/g, "\\|");

/** proofs/RESULTS.md: one row per claim. The time column is last, so the rest can be compared run to run. */
export function resultsMarkdown(results: readonly ClaimResult[]): string {
  const lines = [
    "# Claims and what the search found",
    "",
    "Generated by `npm run prove` (`conntrack-mc prove`) from the claim files in this folder; do not edit by hand.",
    "Each claim names a scenario, a kernel variant and a property; the search decides it.",
    "",
    "| claim | scenario | kernel | property | expected | found | result | states | shortest | why | seconds |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...results.map((r) => {
      const c = r.claim;
      const expected = `${c.expect}${c.classes.length ? `: ${c.classes.join(", ")}` : ""}`;
      const found = `${r.verdict}${r.classes.length ? `: ${r.classes.join(", ")}` : ""}`;
      return `| **${esc(c.id)}**: ${esc(c.title)} | ${c.scenario} | ${c.kernel} | ${c.property} | ${expected} | ${found} | ${r.outcome.toUpperCase()} | ${r.states} | ${r.shortest ?? "-"} | ${esc(c.why)} | ${r.seconds.toFixed(3)} |`;
    }),
    "",
    `${results.filter((r) => r.outcome === "proved").length} proved, ${results.filter((r) => r.outcome === "failed").length} failed, ${results.filter((r) => r.outcome === "incomplete").length} incomplete.`,
    "",
  ];
  return lines.join("\n");
}
