/**
 * Claims about patches, one YAML file each in proofs/: a scenario, a kernel
 * variant (a release, built-in patches, patches of the user's own), the
 * properties (every one the scenario supports unless it names some), the
 * verdict and violation classes expected, and why. Proving a claim runs the
 * search; a search a budget stopped is incomplete, never proved.
 */
import { readdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { runCheck, selectProperties, stoppedBy } from "./check.js";
import { IncompleteError, InputError, isInputError } from "../errors.js";
import type { Patch } from "../kernel/patch.js";
import { PATCHES, RELEASES, resolveKernel } from "../kernel/variants.js";
import { loadPatchFile } from "../user-patch/load.js";
import { PROOFS_DIR } from "../paths.js";
import { isScenarioPath, resolveScenario } from "../scenario/registry.js";
import { describeErrno, readInputText } from "../scenario/load.js";
import { describeIssues, safeParseReported } from "../scenario/issues.js";
import { PROPERTIES } from "../kernel/properties/properties.js";

const PROPERTY_NAMES = PROPERTIES.map((p) => p.name) as [string, ...string[]];
const propertyName = z.enum(PROPERTY_NAMES);

/** The classes each property can report, so a claim cannot expect one its properties never show. */
const CLASSES_OF: Readonly<Record<string, readonly string[]>> = Object.fromEntries(PROPERTIES.map((p) => [p.name, Object.keys(p.classes)]));

/** What a bad `property:` held: the value, or the first list item that names no property. */
function gotProperty(v: unknown): string {
  const bad = Array.isArray(v) ? v.find((x) => !PROPERTY_NAMES.includes(x as string)) : v;
  const what = typeof bad === "string" ? `'${bad.length > 60 ? `${bad.slice(0, 57)}...` : bad}'` : typeof bad === "number" || typeof bad === "boolean" ? String(bad) : bad === null ? "null" : Array.isArray(bad) ? "a list" : typeof bad === "object" ? "a mapping" : "";
  return what && `, got ${what}${Array.isArray(v) ? " in the list" : ""}`;
}

const schema = z
  .strictObject({
    claim: z.string().min(1),
    scenario: z.string().min(1),
    kernel: z.string().min(1),
    /** Patch files of the user's own the kernel names, relative to the claim's folder. */
    patches: z.array(z.string().min(1)).min(1).optional(),
    /** One property or a list; absent: every property the scenario supports. */
    property: z
      .union([propertyName, z.array(propertyName).min(1)], {
        error: (iss) => `expected a property (${PROPERTY_NAMES.join(", ")}) or a list of them${gotProperty(iss.input)}`,
      })
      .optional(),
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
  /** The patch files the claim names (as written), and every user patch its kernel may use: --patch's and its own. */
  readonly patchFiles: readonly string[];
  readonly userPatches: readonly Patch[];
  /** The properties searched, in PROPERTIES order. */
  readonly properties: readonly string[];
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

/** A claim's patch files load once per process, however many claims name them. */
const loading = new Map<string, Promise<Patch>>();

/** The claim's own `patches:`, loaded (or found among --patch's, the same file), errors under the claim's field. */
async function ownPatches(file: string, names: readonly string[], given: readonly Patch[]): Promise<Patch[]> {
  const out: Patch[] = [];
  for (const [i, name] of names.entries()) {
    const path = isAbsolute(name) ? name : join(dirname(file), name);
    const abs = resolve(path);
    let p = given.find((q) => q.file === abs);
    if (!p) {
      let pending = loading.get(abs);
      if (!pending) loading.set(abs, (pending = loadPatchFile(path)));
      try {
        p = await pending;
      } catch (e) {
        if (!isInputError(e)) throw e;
        // loadPatchFile names the file as "--patch FILE": here it is the claim's field.
        throw new InputError(`${file}: patches[${i}]: ${e.message.replace(/^--patch /, "")}`);
      }
    }
    const same = [...given, ...out].find((q) => q !== p && q.id.toLowerCase() === p.id.toLowerCase());
    if (same) throw new InputError(`${file}: patches[${i}]: ${name} has id '${p.id}', as ${same.file ?? "a built-in patch"} does: expected one file per patch id`);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** A kernel's +token names a patch by id, or by 7 or more leading characters of its commit (as variants.ts looks it up). */
const names = (token: string, p: Patch): boolean => {
  const t = token.toLowerCase();
  return p.id.toLowerCase() === t || (t.length >= 7 && p.commit.toLowerCase().startsWith(t));
};

/**
 * Reads and checks one claim file. `given` are the users' patches loaded with
 * `prove --patch`; the claim's own `patches:` are loaded here. Every name must
 * resolve now, so a typo is a clear error rather than a failed proof.
 */
export async function loadClaim(file: string, given: readonly Patch[] = []): Promise<Claim> {
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
  const scenarioArg = claimScenarioArg(file, c.scenario);
  let scenario;
  try {
    scenario = resolveScenario(scenarioArg);
  } catch (e) {
    throw underClaim(file, "scenario", e);
  }
  let properties: string[];
  try {
    properties = selectProperties(scenario, c.property === undefined ? undefined : typeof c.property === "string" ? [c.property] : c.property, "property").map((p) => p.name);
  } catch (e) {
    throw underClaim(file, "property", e);
  }
  const classes = [...new Set(c.classes ?? [])].sort();
  (c.classes ?? []).forEach((cls, i) => {
    if (properties.some((p) => CLASSES_OF[p]?.includes(cls))) return;
    const owner = PROPERTY_NAMES.find((p) => CLASSES_OF[p]?.includes(cls));
    const valid = properties.flatMap((p) => CLASSES_OF[p] ?? []);
    throw new InputError(
      owner
        ? `${file}: classes[${i}]: '${cls}' is a class of ${owner}, which this claim does not check (property: ${properties.join(", ")}): expected one of ${valid.join(", ")}`
        : `${file}: classes[${i}]: unknown class '${cls}': expected one of ${valid.join(", ")}`,
    );
  });
  const own = await ownPatches(file, c.patches ?? [], given);
  const userPatches = [...given, ...own.filter((p) => !given.includes(p))];
  const all = [...PATCHES, ...userPatches];
  // A user's patch the claim names but nobody loaded: say where its file goes.
  const [release, ...tokens] = c.kernel.trim().split("+");
  const missing = RELEASES.some((r) => r.name === release) ? tokens.find((t) => !all.some((p) => names(t, p))) : undefined;
  if (missing !== undefined) {
    throw new InputError(
      `${file}: kernel: unknown patch '${missing}' in '${c.kernel}': expected a built-in patch (${PATCHES.map((p) => p.id).join(", ")}) or one of your own, its file named in the claim's patches: (relative to the claim's folder) or given with prove --patch FILE`,
    );
  }
  const kernel = resolveKernel(c.kernel, `${file}: kernel`, all);
  own.forEach((p, i) => {
    if (!kernel.parts.includes(p.id)) throw new InputError(`${file}: patches[${i}]: patch '${p.id}' is not in kernel '${c.kernel}': expected the kernel to name it (${kernel.name}+${p.id}), or the file left out`);
  });
  return {
    id: file.replace(/^.*\//, "").replace(/\.ya?ml$/, ""),
    file,
    title: c.claim,
    scenario: c.scenario,
    scenarioArg,
    kernel: c.kernel,
    patchFiles: c.patches ?? [],
    userPatches,
    properties,
    expect: c.expect,
    classes,
    why: c.why,
    ...(c.budget?.["max-states"] !== undefined ? { maxStates: c.budget["max-states"] } : {}),
    ...(c.budget?.["max-seconds"] !== undefined ? { maxSeconds: c.budget["max-seconds"] } : {}),
  };
}

/** Every claim file in `dir`, in name order; `given` as for loadClaim. */
export async function loadClaims(dir = PROOFS_DIR, given: readonly Patch[] = []): Promise<Claim[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new InputError(`--dir: cannot read '${dir}': ${describeErrno(e)}`);
  }
  const claims: Claim[] = [];
  for (const f of names.filter((n) => /\.ya?ml$/.test(n)).sort()) claims.push(await loadClaim(join(dir, f), given));
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

/** Proves one claim; `builtins` replaces the built-in patches (a mutant, in tests), the claim's user patches stay. */
export function proveClaim(claim: Claim, builtins: readonly Patch[] = PATCHES): ClaimResult {
  const kernel = resolveKernel(claim.kernel, `${claim.file}: kernel`, [...builtins, ...claim.userPatches]);
  let scenario;
  try {
    scenario = resolveScenario(claim.scenarioArg);
  } catch (e) {
    throw underClaim(claim.file, "scenario", e);
  }
  const run = runCheck(scenario, kernel, claim.properties, {
    ...(claim.maxStates !== undefined ? { maxStates: claim.maxStates } : {}),
    ...(claim.maxSeconds !== undefined ? { maxSeconds: claim.maxSeconds } : {}),
  });
  const r = run.result;
  // Class names are unique across properties (CLASSES_OF), so one sorted list covers them all.
  const classes = [...new Set(r.violations.map((v) => v.name))].sort();
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

export function proveAll(claims: readonly Claim[], builtins: readonly Patch[] = PATCHES): ClaimResult[] {
  return claims.map((c) => proveClaim(c, builtins));
}
