/** `conntrack-mc check <scenario> [--kernel V] [--property P] [--json] [budgets]` */
import { checkReport, describeKernel, exitCode, type CheckReport } from "../app/check.js";
import { OUTCOME_LABEL } from "../report/steps.js";
import { explanationOf, type TraceStep } from "../app/trace.js";
import { parse } from "./args.js";
import { patchSet, runOneCheck, SEARCH_FLAGS, WORKERS_FLAG } from "./common.js";
import { checkOutName, emit, refuseInputAsOutput } from "./output.js";
import { costText } from "../runtime/cost.js";
import { bold, fmtInt, fmtSeconds, green, red, table, yellow } from "./format.js";
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
  if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  else process.stdout.write(renderCheck(report, describeKernel(run.kernel)));
  if (values.html !== undefined) {
    // The page: the --json object, its one cell, and each class's counterexamples (its modules load only for a page).
    const { runCounterexamples } = await import("../app/pages.js");
    const { pageTraces } = await import("../report/pages.js");
    const { renderMatrixHtml } = await import("../report/html.js");
    const patches = await patchSet(values.patch);
    const traces = pageTraces(runCounterexamples(run), patches);
    const cell = {
      kernel: run.kernel.name,
      scenario: run.scenario.name,
      verdict: report.verdict,
      classes: report.drops.map((d) => ({ class: d.class, states: d.states })),
      change: "",
      counters: [],
      states: report.states,
      ...(report.complete ? {} : { incomplete: `${report.stoppedBy ?? "a budget"} stopped the search: classes so far` }),
    };
    const summary = report.properties.map((p) => `${p.name} ${p.verdict}`).join(", ");
    emit(renderMatrixHtml(`check: ${run.scenario.name} on ${run.kernel.name}`, report, [cell], traces, { summary }), values.html, "--html");
  }
  return exitCode(report.verdict, run.result.budget);
}

const VERDICT = { holds: (pad = 0) => green("HOLDS".padEnd(pad)), violated: (pad = 0) => red("VIOLATED".padEnd(pad)), incomplete: (pad = 0) => yellow("INCOMPLETE".padEnd(pad)) } as const;

export function renderCheck(r: CheckReport, kernelParts: string): string {
  const lines: string[] = [];
  lines.push(`scenario   ${bold(r.scenario)} (${r.scenarioFile})`);
  lines.push(`kernel     ${bold(r.kernel)} = ${kernelParts}`);
  if (r.properties.length === 1) lines.push(`property   ${r.properties[0]!.name}: ${r.properties[0]!.description}`);
  else {
    const w = Math.max(...r.properties.map((p) => p.name.length));
    r.properties.forEach((p, i) => {
      lines.push(`${i === 0 ? "properties" : "          "} ${p.name.padEnd(w)}  ${VERDICT[p.verdict]("INCOMPLETE".length)}  ${p.description}`);
    });
  }
  lines.push(`verdict    ${VERDICT[r.verdict]()}${r.properties.length > 1 && r.verdict === "violated" ? ` (${r.properties.filter((p) => p.verdict === "violated").map((p) => p.name).join(", ")})` : ""}`);
  if (!r.complete) {
    lines.push(`           ${r.stoppedBy} stopped the search: the figures below cover only what was explored`);
  }
  lines.push("");
  lines.push(
    `states     ${fmtInt(r.states)} distinct, ${fmtInt(r.transitions)} transitions, ${fmtInt(r.terminalStates)} terminal, depth ${r.depth} (${r.order.toUpperCase()}, reduction: ${r.reduce})`,
  );
  lines.push(
    `time       ${fmtSeconds(r.seconds)} s${r.verdict === "violated" ? ` (first violation after ${fmtSeconds(r.verdictSeconds)} s)` : ""}, ${fmtInt(Math.round(r.statesPerSecond))} states/s, ${r.bytesPerState.toFixed(1)} bytes/state stored${r.workers > 1 ? `, ${r.workers} workers` : ""}`,
  );
  lines.push(`command    ${costText(r.command)}`);
  if (r.reductionNote) lines.push(`reduction  ${r.reductionNote}`);
  if (r.storeNote) lines.push(`store      ${r.storeNote}`);
  if (r.store === "all-after-sweep") {
    lines.push("store      every fingerprint: a step did not increase the progress measure, so the search ran again without the sweep (the time counts both runs)");
  }
  lines.push(`collision  ${r.collisionProbability.toExponential(1)} (probability that two states share a 64-bit fingerprint)`);
  lines.push("");
  const what = r.properties.length === 1 && r.properties[0]!.name === "no-drop" ? "which states still drop" : "which states violate a property";
  if (r.drops.length === 0) {
    lines.push(r.complete ? `${what}: none reachable` : `${what}: none found in the explored part`);
  } else {
    lines.push(what);
    const many = r.properties.length > 1;
    lines.push(
      table([
        ["class", ...(many ? ["property"] : []), "states", r.order === "bfs" ? "shortest" : "steps", "meaning"],
        ...r.drops.map((d) => [d.class, ...(many ? [d.property] : []), fmtInt(d.states), String(d.shortest), d.meaning]),
      ]),
    );
    if (r.reduce === "symmetry" || r.reduce === "all") {
      lines.push("  (states are counted up to symmetry: states that differ only in which CPU runs which packet count once)");
    }
  }
  if (r.counterexample) {
    lines.push("");
    const p = r.counterexamplePreemptions!;
    const kind = r.counterexampleMinimal ? "shortest counterexample" : "counterexample (the search's own path)";
    lines.push(`${kind}: ${r.counterexampleClass}, ${r.counterexample.length} steps, ${p} preemption${p === 1 ? "" : "s"}`);
    lines.push(renderSteps(r.counterexample));
    const property = r.drops.find((d) => d.class === r.counterexampleClass)?.property ?? "";
    const why = explanationOf(r.counterexample, r.counterexampleClass!, property);
    if (why) lines.push("", `why: ${why.text}`);
  }
  return lines.join("\n") + "\n";
}

/** A step's marks in a step list: what went wrong there, and what it caused. Drops keep
 * "<== dropped here" (README readers know it); a reply says what became of it. */
export function stepMarks(s: TraceStep, cause = true): string {
  const kind = s.explanation?.kind ?? "dropped";
  return (
    (s.decisive ? `   ${red(kind === "dropped" ? "<== dropped here" : `<== ${OUTCOME_LABEL[kind]} here`)}` : "") +
    (cause && s.cause ? `   ${yellow(`<-- cause of step ${s.causeOf.join(", ")}`)}` : "")
  );
}

export function renderSteps(steps: readonly TraceStep[]): string {
  const w = Math.max(...steps.map((s) => s.packet.length));
  const out: string[] = [];
  for (const s of steps) {
    out.push(`  ${String(s.step).padStart(3)}  ${s.actor.padEnd(4)}  ${s.packet.padEnd(w)}  ${s.function}: ${s.note}${stepMarks(s)}`);
    for (const c of s.changes) out.push(`  ${" ".repeat(3 + 2 + Math.max(4, s.actor.length) + 2 + w + 2)}  ${c}`);
  }
  return out.join("\n");
}
