/** Options shared by check, compare and trace: budgets and search order. */
import { availableParallelism, freemem } from "node:os";
import type { SearchOptions, SearchResult } from "../engine/search.js";
import { InputError } from "../errors.js";
import { REDUCTIONS, resolveProperty, runCheck, type CheckRun } from "../check.js";
import type { KState } from "../kernel/state.js";
import { PATCHES, resolveKernel } from "../kernel/variants.js";
import type { Patch } from "../kernel/patch.js";
import { loadPatchFile } from "../kernel/user-patch.js";
import { resolveScenario } from "../scenario/registry.js";
import type { Scenario } from "../scenario/scenario.js";
import { oneOf, positiveInt, positiveNumber } from "./args.js";
import { clearProgress, fmtInt, progressReporter } from "./format.js";

export const SEARCH_FLAGS = {
  patch: { type: "string", multiple: true },
  order: { type: "string" },
  reduce: { type: "string" },
  "no-reduce": { type: "boolean" },
  "max-states": { type: "string" },
  "max-seconds": { type: "string" },
  "max-memory": { type: "string" },
} as const;

export const SEARCH_USAGE = "[--patch FILE.mjs]... [--order bfs|dfs] [--reduce symmetry|por|all|none | --no-reduce] [--max-states N] [--max-seconds S] [--max-memory MiB]";

/** check and trace search one cell, which worker threads can share; compare reads every state of each cell. */
export const WORKERS_FLAG = { workers: { type: "string" } } as const;
export const WORKERS_USAGE = "[--workers N|auto]";

/** --workers: threads for a breadth-first search; auto = this machine's cores. */
export function workersFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
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
  readonly options: SearchOptions<KState>;
  /** Whether the memory budget is the user's (exit 3) or our guard (exit 2). */
  readonly userMemory: boolean;
}

export function searchSettings(values: SearchFlagValues): SearchSettings {
  const order = oneOf(values.order, "--order", ["bfs", "dfs"] as const, "bfs");
  if (values["no-reduce"] && values.reduce !== undefined) throw new InputError("--reduce, --no-reduce: expected one of them, not both");
  const reduce = values["no-reduce"] ? "none" : oneOf(values.reduce, "--reduce", ["symmetry", "por", "all", "none"] as const, "symmetry");
  const maxStates = positiveInt(values["max-states"], "--max-states");
  const maxSeconds = positiveNumber(values["max-seconds"], "--max-seconds");
  const userMemory = positiveNumber(values["max-memory"], "--max-memory");
  const onProgress = progressReporter();
  return {
    options: {
      order,
      reduce: REDUCTIONS[reduce],
      ...(maxStates !== undefined ? { maxStates } : {}),
      ...(maxSeconds !== undefined ? { maxSeconds } : {}),
      // Without a memory budget, stop before the machine runs out rather than crash.
      maxMemoryBytes: userMemory !== undefined ? userMemory * 2 ** 20 : freemem() * 0.6,
      ...(onProgress ? { onProgress } : {}),
    },
    userMemory: userMemory !== undefined,
  };
}

/** Our own memory guard is not a budget the user set: the search is too big. */
export function assertFits(result: SearchResult, settings: SearchSettings): void {
  if (result.budget === "max-memory" && (result.heapFull || !settings.userMemory)) {
    throw new InputError(
      `search too big for memory: stopped at ${fmtInt(result.states)} states (${result.heapFull ? "the JavaScript heap is full" : "near 60% of free memory"}); try --reduce all, or --max-states to explore part of it`,
    );
  }
}

/** The built-in patches and those given with --patch, for resolving variants. */
export async function patchSet(files: readonly string[] | undefined): Promise<readonly Patch[]> {
  const user: Patch[] = [];
  for (const f of files ?? []) {
    const p = await loadPatchFile(f);
    if (user.some((q) => q.id === p.id)) throw new InputError(`--patch ${f}: id '${p.id}' is given twice`);
    user.push(p);
  }
  return [...PATCHES, ...user];
}

/** What check and trace share: one scenario, its kernel (--kernel or its first),
 * the property, run under the search flags. */
export async function runOneCheck(
  positionals: string[],
  values: SearchFlagValues & { kernel?: string | undefined; property?: string | undefined; patch?: string[] | undefined; workers?: string | undefined },
  usage: string,
): Promise<CheckRun> {
  if (positionals.length !== 1) throw new InputError("scenario: expected exactly one scenario name or file", { usage });
  const sc = loadScenario(positionals[0]!);
  const patches = await patchSet(values.patch);
  const kernel = resolveKernel(values.kernel ?? sc.kernels[0]!, values.kernel ? "--kernel" : `${sc.source}: kernels[0]`, patches);
  const property = resolveProperty(values.property ?? "no-drop", "--property");
  const settings = searchSettings(values);
  const workers = workersFlag(values.workers);
  const run = runCheck(sc, kernel, property, { ...settings.options, ...(workers !== undefined ? { workers } : {}) });
  clearProgress();
  assertFits(run.result, settings);
  return run;
}

/** A scenario whose listed default kernels all name real variants. */
export function loadScenario(arg: string): Scenario {
  const sc = resolveScenario(arg);
  sc.kernels.forEach((k, i) => resolveKernel(k, `${sc.source}: kernels[${i}]`));
  return sc;
}
