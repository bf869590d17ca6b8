/** `conntrack-mc trace <scenario> --kernel V [--against B] [--class C] [--format F] [--out FILE]` */
import { match } from "ts-pattern";
import { counterexample, exitCode, selectProperties, stoppedBy } from "../app/check.js";
import { differentialCounterexample } from "../app/differential.js";
import { InputError } from "../errors.js";
import { warnUnusedPatches } from "../user-patch/load.js";
import { resolveKernel } from "../kernel/variants.js";
import { renderItf } from "../report/itf.js";
import { renderTraceHtml } from "../report/html.js";
import { differentialJson, traceJson } from "../report/trace-json.js";
import { renderDot } from "../report/dot.js";
import { renderMermaid } from "../report/mermaid.js";
import { renderSwimlanes } from "../report/swimlane.js";
import { mermaidAgainst, renderAgainst } from "../report/against.js";
import { traceTitle } from "../report/steps.js";
import { fmtInt } from "../report/text.js";
import { costNote } from "../runtime/cost.js";
import { tty } from "./tty.js";
import { oneOf, parse } from "./args.js";
import { loadScenario, patchSet, refuseSpaces, runOneCheck, SEARCH_FLAGS, searchSettings, WORKERS_FLAG, workersFlag } from "./common.js";
import { clearProgress, paint } from "./format.js";
import { checkOutName, emit, refuseInputAsOutput } from "./output.js";
import { TRACE_USAGE } from "./usage.js";

const FORMATS = ["text", "mermaid", "itf", "json", "html", "dot"] as const;
type Format = (typeof FORMATS)[number];

const FLAGS = {
  kernel: { type: "string", short: "k" },
  against: { type: "string" },
  class: { type: "string" },
  first: { type: "boolean" },
  format: { type: "string", short: "f" },
  out: { type: "string", short: "o" },
  property: { type: "string", short: "p" },
  ...SEARCH_FLAGS,
  ...WORKERS_FLAG,
} as const;

export async function traceCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS, TRACE_USAGE);
  const format = oneOf(values.format, "--format", FORMATS, "text");
  checkOutName(values.out, "--out");
  refuseInputAsOutput(values.out, "--out", [...positionals, ...(values.patch ?? [])]);
  if (values.against !== undefined) return againstCommand(positionals, values, format);
  const run = await runOneCheck(positionals, values, TRACE_USAGE);
  const { scenario: sc, kernel } = run;
  const names = run.properties.map((p) => p.name);
  const found = run.result.violations.map((v) => v.name);
  if (values.class !== undefined && !found.includes(values.class)) {
    const where = run.result.complete ? "reachable" : "found in the explored part";
    throw new InputError(
      `--class: no ${values.class} state is ${where} on ${kernel.name} for ${sc.name}: expected one of ${found.length ? found.join(", ") : "(none: the property holds)"}`,
    );
  }
  const cx = counterexample(run, values.class);
  if (!cx) {
    process.stderr.write(
      run.result.complete
        ? `conntrack-mc: ${names.join(" and ")} ${names.length === 1 ? "holds" : "hold"} for ${sc.name} on ${kernel.name}: no counterexample to trace\n`
        : `conntrack-mc: no violation found before ${stoppedBy(run.result)} stopped the search (${run.result.states.toLocaleString("en-US")} states, ${run.result.transitions.toLocaleString("en-US")} transitions, depth ${run.result.maxDepth}): no counterexample to trace\n`,
    );
    return exitCode(run.result.verdict, run.result.budget);
  }
  const title = traceTitle(sc, kernel, cx);
  const patches = await patchSet(values.patch);
  const text = match(format)
    .with("text", () => renderSwimlanes(run.model, cx, title))
    .with("mermaid", () => renderMermaid(run.model, cx, title))
    .with("itf", () => JSON.stringify(renderItf(run.model, cx, { source: sc.source, description: title }), null, 2) + "\n")
    .with("json", () => JSON.stringify(traceJson(sc, kernel, run.model, cx, patches), null, 2) + "\n")
    .with("html", () => renderTraceHtml(traceJson(sc, kernel, run.model, cx, patches), title))
    .with("dot", () => renderDot(run.model, run.properties, cx, title))
    .exhaustive();
  emit(text, values.out, "--out");
  // What the trace cost, for a person at a terminal: the trace itself is the same every run.
  costNote(tty.stderr, `the search took ${run.result.seconds.toFixed(2)} s for ${run.result.states.toLocaleString("en-US")} states`);
  return run.result.budget === "interrupted" ? exitCode(run.result.verdict, run.result.budget) : 1;
}

type Values = ReturnType<typeof parse<typeof FLAGS>>["values"];

/** `--against B`: a schedule that shows the class on A (--kernel) and, with the same choices, not on B. */
async function againstCommand(positionals: string[], values: Values, format: Format): Promise<number> {
  if (positionals.length !== 1) throw new InputError("scenario: expected exactly one scenario name or file", { usage: TRACE_USAGE });
  const patches = await patchSet(values.patch);
  const sc = loadScenario(positionals[0]!, patches);
  if (values.kernel === "") throw new InputError("--kernel: expected a kernel variant such as v5.0, got ''");
  if (values.against === "") throw new InputError("--against: expected a kernel variant such as v5.0, got ''");
  refuseSpaces(values.kernel, "--kernel");
  refuseSpaces(values.against, "--against");
  const a = resolveKernel(values.kernel ?? sc.kernels[0]!, values.kernel !== undefined ? "--kernel" : `${sc.source}: kernels[0]`, patches);
  const b = resolveKernel(values.against!, "--against", patches);
  warnUnusedPatches(patches, [a, b]);
  const properties = selectProperties(sc, values.property, "--property");
  const workers = workersFlag(values.workers, values.order);
  const search = { ...searchSettings(values).options, ...(workers !== undefined ? { workers } : {}) };
  const d = differentialCounterexample(sc, a, b, { properties, search, ...(values.class !== undefined ? { class: values.class } : {}) });
  clearProgress();
  const aResult = d.aRun.result;
  const interrupted = aResult.budget === "interrupted" || d.budget === "interrupted";
  if (d.class === null) {
    // A shows no class at all: nothing to tell apart, as plain `trace` says.
    const names = properties.map((p) => p.name);
    process.stderr.write(
      aResult.complete
        ? `conntrack-mc: ${names.join(" and ")} ${names.length === 1 ? "holds" : "hold"} for ${sc.name} on ${a.name}: no counterexample to trace\n`
        : `conntrack-mc: no violation found on ${a.name} before ${stoppedBy(aResult)} stopped the search (${fmtInt(aResult.states)} states, ${fmtInt(aResult.transitions)} transitions, depth ${aResult.maxDepth}): no counterexample to trace\n`,
    );
    return exitCode(aResult.verdict, aResult.budget);
  }
  if (d.kind !== "found") {
    const classes = orList(d.tried);
    const line =
      d.kind === "none"
        ? `no schedule violates ${classes} on ${a.name} without violating it on ${b.name} with the same choices (${fmtInt(d.states)} pair states searched)`
        : `no schedule found that violates ${classes} on ${a.name} and not on ${b.name} before ${d.stoppedBy} stopped the search (${fmtInt(d.states)} pair states searched): incomplete`;
    if (format === "json") emit(JSON.stringify(differentialJson(sc, a, b, d), null, 2) + "\n", values.out, "--out");
    else if (format === "text" && d.kind === "none") emit(line + "\n", values.out, "--out");
    else process.stderr.write(`conntrack-mc: ${line}\n`);
    if (d.kind === "none") return 0;
    return exitCode("incomplete", interrupted ? "interrupted" : d.budget);
  }
  const cx = d.a!;
  const against = d.b!;
  const model = d.models.a;
  // The differential search is breadth-first: its own path is a shortest one.
  const title = traceTitle(sc, a, cx, " (a shortest one; its preemptions not minimised)");
  const outcome = `on ${b.name} the same schedule: ${against.outcome}`;
  const text = match(format)
    .with("text", () => renderSwimlanes(model, cx, title) + "\n" + renderAgainst(sc, a, b, cx.steps, against, paint()) + outcome + "\n")
    .with("mermaid", () => renderMermaid(model, cx, `${title}. ${outcome}`) + mermaidAgainst(b, d.models.b, cx.steps, against, outcome))
    .with("itf", () => {
      const itf = renderItf(model, cx, { source: sc.source, description: `${title}. ${outcome}` }) as { "#meta": Record<string, unknown> };
      itf["#meta"].against = { kernel: b.name, kernelParts: b.parts, outcome: against.outcome, classes: against.classes, skipped: against.skipped };
      return JSON.stringify(itf, null, 2) + "\n";
    })
    .with("json", () => JSON.stringify(differentialJson(sc, a, b, d), null, 2) + "\n")
    // The page of A's schedule; what B does with it is in the title.
    .with("html", () => renderTraceHtml(traceJson(sc, a, model, cx, patches), `${title}. ${outcome}`))
    .with("dot", () => {
      throw new InputError("--format dot: draws one kernel's graph: leave out --against");
    })
    .exhaustive();
  emit(text, values.out, "--out");
  return interrupted ? exitCode("violated", "interrupted") : 1;
}

/** "race1", "race1 or race2", "race1, race2 or race3" */
function orList(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} or ${xs.at(-1)}`;
}
