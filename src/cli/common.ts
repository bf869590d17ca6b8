/** Options shared by check, compare and trace: budgets and search order. */
import { availableParallelism } from "node:os";
import type { SearchOptions } from "../engine/search.js";
import { memoryBound } from "../runtime/memory.js";
import { InputError } from "../errors.js";
import { REDUCTIONS, runCheck, selectProperties, type CheckRun } from "../app/check.js";
import type { KState } from "../kernel/net/state.js";
import { PATCHES, resolveKernel } from "../kernel/variants.js";
import { parseDistroKernel } from "../kernel/distro.js";
import { formatVersion } from "../kernel/versions.js";
import type { Patch } from "../kernel/patch.js";
import { loadPatchFile, warnUnusedPatches } from "../user-patch/load.js";
import { resolveScenario } from "../scenario/registry.js";
import type { Scenario } from "../scenario/scenario.js";
import { oneOf, positiveInt, positiveNumber } from "./args.js";
import { clearProgress, progressReporter } from "./format.js";

export const SEARCH_FLAGS = {
  patch: { type: "string", multiple: true },
  order: { type: "string" },
  reduce: { type: "string" },
  "no-reduce": { type: "boolean" },
  "max-states": { type: "string" },
  "max-seconds": { type: "string" },
  "max-memory": { type: "string" },
} as const;

/** check and trace search one cell, which worker threads can share; compare reads every state of each cell. */
export const WORKERS_FLAG = { workers: { type: "string" } } as const;

/** --workers: threads for a breadth-first search; auto = this machine's cores. */
export function workersFlag(value: string | undefined, order?: string): number | undefined {
  if (value === undefined) return undefined;
  // A depth-first search runs on one thread (app/check.ts parallelWorkers): say so rather than run one silently.
  if (order === "dfs" && value !== "1") throw new InputError(`--workers ${value}: a depth-first search (--order dfs) runs on one thread: expected --workers 1, or --order bfs`);
  if (value === "auto") return availableParallelism();
  const n = positiveInt(value, "--workers");
  if (n !== undefined && n > 64) throw new InputError(`--workers: expected 1 to 64 or auto, got '${value}'`);
  return n;
}

interface SearchFlagValues {
  order?: string | undefined;
  reduce?: string | undefined;
  "no-reduce"?: boolean | undefined;
  "max-states"?: string | undefined;
  "max-seconds"?: string | undefined;
  "max-memory"?: string | undefined;
}

export interface SearchSettings {
  /** `explicitReduce`: --reduce or --no-reduce was given, so a check says when what it asked cannot apply. */
  readonly options: SearchOptions<KState> & { readonly explicitReduce?: boolean };
}

export function searchSettings(values: SearchFlagValues): SearchSettings {
  const order = oneOf(values.order, "--order", ["bfs", "dfs"] as const, "bfs");
  if (values["no-reduce"] && values.reduce !== undefined) throw new InputError("--reduce, --no-reduce: expected one of them, not both");
  const reduce = values["no-reduce"] ? "none" : oneOf(values.reduce, "--reduce", ["symmetry", "por", "all", "none"] as const, "symmetry");
  const maxStates = positiveInt(values["max-states"], "--max-states");
  const maxSeconds = positiveNumber(values["max-seconds"], "--max-seconds");
  const bound = memoryBound(positiveNumber(values["max-memory"], "--max-memory"));
  const onProgress = progressReporter();
  return {
    options: {
      order,
      reduce: REDUCTIONS[reduce],
      ...(values.reduce !== undefined ? { explicitReduce: true } : {}),
      ...(maxStates !== undefined ? { maxStates } : {}),
      ...(maxSeconds !== undefined ? { maxSeconds } : {}),
      // One bound for every search: the least of the heap limit, the cgroup's and the user's.
      maxMemoryBytes: bound.bytes,
      maxMemorySource: bound.source,
      ...(onProgress ? { onProgress } : {}),
    },
  };
}

/** The built-in patches and those given with --patch, for resolving variants. */
export async function patchSet(files: readonly string[] | undefined): Promise<readonly Patch[]> {
  const user: Patch[] = [];
  for (const f of files ?? []) {
    const p = await loadPatchFile(f);
    if (user.some((q) => q.id.toLowerCase() === p.id.toLowerCase())) throw new InputError(`--patch ${f}: id '${p.id}' is given twice`);
    user.push(p);
  }
  return [...PATCHES, ...user];
}

/** What check and trace share: one scenario, its kernel (--kernel or its first),
 * the property, run under the search flags. */
export async function runOneCheck(
  positionals: string[],
  values: SearchFlagValues & { kernel?: string | undefined; property?: string | undefined; patch?: string[] | undefined; workers?: string | undefined; first?: boolean | undefined },
  usage: string,
): Promise<CheckRun> {
  if (positionals.length !== 1) throw new InputError("scenario: expected exactly one scenario name or file", { usage });
  const patches = await patchSet(values.patch);
  const sc = loadScenario(positionals[0]!, patches);
  if (values.kernel === "") throw new InputError("--kernel: expected a kernel variant such as v5.0, got ''");
  refuseSpaces(values.kernel, "--kernel");
  const kernel = resolveKernel(values.kernel ?? sc.kernels[0]!, values.kernel !== undefined ? "--kernel" : `${sc.source}: kernels[0]`, patches);
  noteDistroKernels([values.kernel], "--kernel");
  warnUnusedPatches(patches, [kernel]);
  const properties = selectProperties(sc, values.property, "--property");
  const settings = searchSettings(values);
  const workers = workersFlag(values.workers, values.order);
  const run = runCheck(sc, kernel, properties, { ...settings.options, ...(workers !== undefined ? { workers } : {}), ...(values.first ? { stopAtFirst: true } : {}) });
  clearProgress();
  return run;
}

/** A scenario whose listed default kernels all name real variants (of the
 * built-in patches and the users' `patches`, loaded first). */
export function loadScenario(arg: string, patches: readonly Patch[] = PATCHES): Scenario {
  const sc = resolveScenario(arg);
  sc.kernels.forEach((k, i) => resolveKernel(k, `${sc.source}: kernels[${i}]`, patches));
  return sc;
}

/** A distribution's kernel string given for a variant: say on stderr which release it is taken for, and that its own
 * backports are not known (kernel/distro.ts). */
export function noteDistroKernels(names: readonly (string | undefined)[], field: string): void {
  for (const name of names) {
    const d = name !== undefined ? parseDistroKernel(name.split("+")[0]!) : undefined;
    if (d) process.stderr.write(`conntrack-mc: ${field} ${d.text}: ${d.distro}'s build of ${formatVersion(d.version)}, modelled as ${formatVersion(d.version)}: ${d.uncertain}\n`);
  }
}

/** A kernel flag's value as typed: spaces around it are a typing slip (a quoted ' v4.19 '), refused rather than read. */
export function refuseSpaces(value: string | undefined, flag: string): void {
  if (value !== undefined && value !== value.trim()) throw new InputError(`${flag}: '${value.length > 60 ? `${value.slice(0, 57)}...` : value}': expected a kernel name without spaces around it, such as v4.19`);
}
