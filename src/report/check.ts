/** `check`'s report as text. */
import type { CheckReport } from "../app/check.js";
import type { Explanation } from "../app/explain.js";
import { costText } from "../runtime/cost.js";
import { renderSteps } from "./steps.js";
import { wordSteps, type WordedStep } from "./notes.js";
import { wordWhy } from "./explanation.js";
import type { Scenario } from "../scenario/scenario.js";
import { fmtInt, fmtSeconds, table, type Paint } from "./text.js";

const verdicts = (paint: Paint) =>
  ({ holds: (pad = 0) => paint.green("HOLDS".padEnd(pad)), violated: (pad = 0) => paint.red("VIOLATED".padEnd(pad)), incomplete: (pad = 0) => paint.yellow("INCOMPLETE".padEnd(pad)) }) as const;

/** `check --json`: the report, its counterexample's notes worded. */
export type CheckJson = Omit<CheckReport, "counterexample"> & { readonly counterexample: WordedStep[] | null };

/** The object `check --json` prints (and its page carries): report `r` of a check of `sc`, each step's note in words. */
export function checkJson(r: CheckReport, sc: Scenario): CheckJson {
  return { ...r, counterexample: r.counterexample ? wordSteps(r.counterexample, sc) : null };
}

/** `check`'s report in words, of a check of `sc`; `why`: the explanation of its counterexample (app/check.ts reportExplanation). */
export function renderCheck(r: CheckReport, sc: Scenario, kernelParts: string, why: Explanation | null, paint: Paint): string {
  const VERDICT = verdicts(paint);
  const lines: string[] = [];
  lines.push(`scenario   ${paint.bold(r.scenario)} (${r.scenarioFile})`);
  lines.push(`kernel     ${paint.bold(r.kernel)} = ${kernelParts}`);
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
    lines.push(renderSteps(r.counterexample, sc, paint));
    if (why) lines.push("", `why: ${wordWhy(why.why, sc)}`);
  }
  return lines.join("\n") + "\n";
}
