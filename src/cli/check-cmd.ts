/** `conntrack-mc check <scenario> [--kernel V] [--property P] [--json] [budgets]` */
import { checkReport, describeKernel, exitCode, reportExplanation } from "../app/check.js";
import { checkJson, renderCheck } from "../report/check.js";
import { parse } from "./args.js";
import { patchSet, runOneCheck, SEARCH_FLAGS, searchSettings, WORKERS_FLAG } from "./common.js";
import { mitigationResults } from "../app/mitigations.js";
import { renderMitigations } from "../report/mitigations.js";
import { builtinScenarioNames, resolveScenario } from "../scenario/registry.js";
import type { Scenario } from "../scenario/scenario.js";
import { checkOutName, emit, refuseInputAsOutput } from "./output.js";
import { paint } from "./format.js";
import { CHECK_USAGE } from "./usage.js";

export async function checkCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    kernel: { type: "string", short: "k" },
    property: { type: "string", short: "p" },
    json: { type: "boolean" },
    first: { type: "boolean" },
    html: { type: "string" },
    ...SEARCH_FLAGS,
    ...WORKERS_FLAG,
  }, CHECK_USAGE);
  checkOutName(values.html, "--html");
  refuseInputAsOutput(values.html, "--html", [...positionals, ...(values.patch ?? [])]);
  const run = await runOneCheck(positionals, values, CHECK_USAGE);
  const report = checkReport(run);
  // A violated built-in scenario that has mitigations: each searched on the same kernel (app/mitigations.ts).
  const mitigations = report.verdict === "violated" && isBuiltin(run.scenario) ? mitigationResults(run.scenario.name, run.kernel, searchSettings(values).options, values.property) : [];
  // One object for --json and the page: the report, and the mitigations where they were searched.
  const json = { ...checkJson(report, run.scenario), ...(mitigations.length ? { mitigations } : {}) };
  if (values.json) process.stdout.write(JSON.stringify(json, null, 2) + "\n");
  else process.stdout.write(renderCheck(report, run.scenario, describeKernel(run.kernel), reportExplanation(report), paint()) + renderMitigations(mitigations, run.scenario.name, run.kernel.name, paint()));
  if (values.html !== undefined) {
    // The page: the --json object, its one cell, and each class's counterexamples (its modules load only for a page).
    const { runCounterexamples } = await import("../app/pages.js");
    const { pageTraces, renderCheckPage } = await import("../report/pages.js");
    const patches = await patchSet(values.patch);
    emit(renderCheckPage(json, pageTraces(runCounterexamples(run), patches)), values.html, "--html");
  }
  return exitCode(report.verdict, run.result.budget);
}

/** The scenario is the built-in file of its name (a file of one's own named alike is not). */
function isBuiltin(sc: Scenario): boolean {
  return builtinScenarioNames().includes(sc.name) && resolveScenario(sc.name).source === sc.source;
}
