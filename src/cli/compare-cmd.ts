/** `conntrack-mc compare <scenario>... --kernels v1,v2,... [--base V] [--fail-on new|worse|any] [--json | --markdown] [--probability]` */
import { compare, failingCells, type CompareResult, type FailOn } from "../app/compare.js";
import { stopRequested } from "../runtime/control.js";
import { commandCost, costNote, type CommandCost } from "../runtime/cost.js";
import { tty } from "./tty.js";
import { InputError } from "../errors.js";
import { resolveKernel } from "../kernel/variants.js";
import { warnUnusedPatches } from "../user-patch/load.js";
import { oneOf, parse } from "./args.js";
import type { Scenario } from "../scenario/scenario.js";
import { loadScenario, noteDistroKernels, patchSet, SEARCH_FLAGS, searchSettings } from "./common.js";
import { clearProgress } from "./format.js";
import { checkOutName, emit, refuseInputAsOutput } from "./output.js";
import { compareCounterexamples } from "../app/pages.js";
import { pageTraces, renderComparePage } from "../report/pages.js";
import { renderCompare, renderCompareMarkdown } from "../report/compare.js";
import { COMPARE_USAGE } from "./usage.js";

export const FAIL_ON = ["new", "worse", "any"] as const;

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    kernels: { type: "string", short: "k" },
    json: { type: "boolean" },
    markdown: { type: "boolean" },
    probability: { type: "boolean" },
    property: { type: "string", short: "p" },
    base: { type: "string" },
    "fail-on": { type: "string" },
    out: { type: "string", short: "o" },
    html: { type: "string" },
    ...SEARCH_FLAGS,
  }, COMPARE_USAGE);
  const failOn = values["fail-on"] === undefined ? undefined : oneOf(values["fail-on"], "--fail-on", FAIL_ON, "new");
  if (positionals.length === 0) throw new InputError("scenario: expected one or more scenario names or files", { usage: COMPARE_USAGE });
  if (values.json && values.markdown) throw new InputError("--json, --markdown: expected at most one output format");
  const patches = await patchSet(values.patch);
  const scenarios = positionals.map((arg) => loadScenario(arg, patches));
  uniqueScenarios(scenarios);
  const names = values.kernels !== undefined ? values.kernels.split(",").map((k) => k.trim()) : [...scenarios[0]!.kernels];
  if (names.some((n) => n === "")) throw new InputError(`--kernels: expected a comma-separated list of variants, got '${values.kernels}'`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new InputError(`--kernels: '${twice}' is given twice: expected each variant once`);
  const kernels = names.map((n) => resolveKernel(n, values.kernels !== undefined ? "--kernels" : `${scenarios[0]!.source}: kernels`, patches));
  if (values.kernels !== undefined) noteDistroKernels(names, "--kernels");
  if (values.base === "") throw new InputError("--base: expected a kernel variant such as v6.12, got ''");
  const base = values.base !== undefined ? resolveKernel(values.base, "--base", patches) : undefined;
  warnUnusedPatches(patches, base ? [...kernels, base] : kernels);
  const settings = searchSettings(values);
  checkOutName(values.out, "--out");
  refuseInputAsOutput(values.out, "--out", [...positionals, ...(values.patch ?? [])]);
  checkOutName(values.html, "--html");
  refuseInputAsOutput(values.html, "--html", [...positionals, ...(values.patch ?? []), ...(values.out !== undefined ? [values.out] : [])]);
  const result = compare(scenarios, kernels, values.property, {
    ...settings.options,
    probability: values.probability ?? false,
    patches,
    ...(base ? { base } : {}),
  });
  clearProgress();
  const cost = tableCost(result, values.json === true);
  const text = values.json
    ? JSON.stringify({ ...result, ...cost }, null, 2) + "\n"
    : (values.markdown ? renderCompareMarkdown(result) : renderCompare(result));
  emit(text, values.out, "--out");
  // The page: the --json object, the matrix and each violated cell's counterexamples (checked again).
  if (values.html !== undefined) {
    const traces = pageTraces(compareCounterexamples(result, scenarios, base ? [...kernels, base] : kernels, patches, settings.options), patches);
    emit(renderComparePage(result, { ...result, ...cost }, traces), values.html, "--html");
  }
  return compareExit(result, failOn);
}

/** What a compare (or review) cost: its cells' searches together and the whole command, for --json; a table
 * (`json` false) says it on a terminal's stderr. */
export function tableCost(r: CompareResult, json: boolean): { searchSeconds: number; command: CommandCost } {
  const cost = { searchSeconds: Math.round(r.rows.flat().reduce((a, c) => a + c.seconds, 0) * 1000) / 1000, command: commandCost() };
  if (!json) costNote(tty.stderr, `the searches took ${cost.searchSeconds.toFixed(2)} s together`);
  return cost;
}

/** Cells are keyed by scenario name (in JSON too): two scenarios of one name, or one given twice, are refused. */
export function uniqueScenarios(scenarios: readonly Scenario[]): void {
  scenarios.forEach((sc, i) => {
    const other = scenarios.slice(0, i).find((o) => o.name === sc.name);
    if (other) {
      throw new InputError(`scenario: '${sc.name}' is given twice${other.source === sc.source ? ` (${sc.source})` : ` (${other.source} and ${sc.source})`}: expected each scenario once, under its own name`);
    }
  });
}

/** A signal's code; then 1 when --fail-on finds a failing cell (a class found is final, even in a cut search); then 3 when a cell is incomplete; else 0. */
export function compareExit(result: CompareResult, failOn: FailOn | undefined): number {
  const cells = result.rows.flat();
  if (cells.some((c) => c.interrupted)) return stopRequested() || 130;
  if (failOn && failingCells(result, failOn).length > 0) return 1;
  return cells.some((c) => !c.complete) ? 3 : 0;
}
