/** `conntrack-mc trace <scenario> --kernel V [--class C] [--format F] [--out FILE]` */
import { match } from "ts-pattern";
import { counterexample, exitCode, stoppedBy } from "../check.js";
import { InputError } from "../errors.js";
import { renderItf } from "../report/itf.js";
import { renderMermaid } from "../report/mermaid.js";
import { readableState } from "../report/readable.js";
import { renderSwimlanes } from "../report/swimlane.js";
import { oneOf, parse } from "./args.js";
import { runOneCheck, SEARCH_FLAGS, SEARCH_USAGE, WORKERS_FLAG, WORKERS_USAGE } from "./common.js";
import { checkOutName, emit } from "./output.js";

export const TRACE_USAGE = `usage: conntrack-mc trace <scenario> [--kernel <variant>] [--class <race1|race2|race3|...>]
         [--format text|mermaid|itf|json] [--out FILE] [--property no-drop|all-replied] ${SEARCH_USAGE} ${WORKERS_USAGE}`;

const FORMATS = ["text", "mermaid", "itf", "json"] as const;

export async function traceCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    kernel: { type: "string", short: "k" },
    class: { type: "string" },
    format: { type: "string", short: "f" },
    out: { type: "string", short: "o" },
    property: { type: "string", short: "p" },
    ...SEARCH_FLAGS,
    ...WORKERS_FLAG,
  }, TRACE_USAGE);
  const format = oneOf(values.format, "--format", FORMATS, "text");
  checkOutName(values.out, "--out");
  const run = await runOneCheck(positionals, values, TRACE_USAGE);
  const { scenario: sc, kernel, property } = run;
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
        ? `conntrack-mc: ${property.name} holds for ${sc.name} on ${kernel.name}: no counterexample to trace\n`
        : `conntrack-mc: no violation found before ${stoppedBy(run.result)} stopped the search (${run.result.states.toLocaleString("en-US")} states, ${run.result.transitions.toLocaleString("en-US")} transitions, depth ${run.result.maxDepth}): no counterexample to trace\n`,
    );
    return exitCode(run.result.verdict, run.result.budget);
  }
  const title = `${sc.name} on ${kernel.name}: ${cx.class}, ${cx.steps.length} steps, ${cx.preemptions} preemption${cx.preemptions === 1 ? "" : "s"}${cx.minimal ? "" : " (the search's own path, not checked to be the shortest)"}`;
  const text = match(format)
    .with("text", () => renderSwimlanes(run.model, cx, title))
    .with("mermaid", () => renderMermaid(run.model, cx, title))
    .with("itf", () => JSON.stringify(renderItf(run.model, cx, { source: sc.source, description: title }), null, 2) + "\n")
    .with("json", () =>
      JSON.stringify(
        {
          scenario: sc.name,
          kernel: kernel.name,
          kernelParts: kernel.parts,
          property: property.name,
          class: cx.class,
          preemptions: cx.preemptions,
          steps: cx.steps,
          states: cx.path.states.map((s) => readableState(run.model, s)),
        },
        null,
        2,
      ) + "\n",
    )
    .exhaustive();
  emit(text, values.out, "--out");
  return run.result.budget === "interrupted" ? exitCode(run.result.verdict, run.result.budget) : 1;
}
