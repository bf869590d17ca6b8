/** `review`'s report: as text, as Markdown and as the object `--json` prints. */
import { PROPERTY_GATES } from "../kernel/properties/properties.js";
import type { CompareCell, FailOn } from "../app/compare.js";
import type { DifferentialCounterexample } from "../app/differential.js";
import type { ReviewResult } from "../app/review.js";
import { renderAgainst } from "./against.js";
import { changeLine, formatProbability, mitigationNote } from "./compare.js";
import { renderSteps } from "./steps.js";
import { fmtInt, type Paint } from "./text.js";
import { fitTable, outputWidth, type Cell } from "./width.js";
import { differentialJson } from "./trace-json.js";
import { wordWhy } from "./explanation.js";

function verdictText(c: CompareCell): string {
  const cut = c.searchComplete ? "" : " (incomplete)";
  if (c.verdict === "holds") return "holds";
  const classes = c.drops.map((d) => `${d.class} (${fmtInt(d.states)})`).join(", ");
  const p = c.probability ? (c.probability.value === null ? ", P not computed" : `, P ${formatProbability(c.probability.value)}`) : "";
  return `${c.verdict}${classes ? `: ${classes}` : ""}${cut}${p}`;
}

/** What the patches changed in a cell; a class kept with the same figures is no change (the verdict columns show it). */
function changeOf(c: CompareCell): string {
  if (!c.searchComplete && c.changes.length === 0) return `not known: ${c.stoppedBy ?? "a budget"} stopped the search`;
  const moved = (x: CompareCell["changes"][number]): boolean =>
    x.status !== "remaining" || !x.base || !x.now || x.base.states !== x.now.states || x.base.shortest !== x.now.shortest || x.base.probability !== x.now.probability;
  return changeLine({ ...c, changes: c.changes.filter(moved) });
}

function patchLines(r: ReviewResult, paint: Paint): string[] {
  return r.patches.map((p, i) => `${i === 0 ? "patch    " : "         "} ${paint.bold(p.id)}${p.file ? ` (${p.file})` : ""}: ${p.title}`);
}

/** The table of scenarios within `width`: a scenario per row (a mitigation's note under its name), long cells wrapped in their column. */
function reviewTable(r: ReviewResult, width: number): string[] {
  const name = (s: string): Cell => {
    const note = mitigationNote(r.compare, s);
    return note ? [s, { note }] : s;
  };
  const rows: Cell[][] = [["scenario", r.base, r.patched, "change"], ...r.scenarios.map((s) => [name(s.scenario), verdictText(s.base), verdictText(s.patched), changeOf(s.patched)])];
  return fitTable(rows, { width, hang: "  " });
}

/** `review`'s verdict, its table of scenarios (within `width`) and each new class's differential counterexample, as text. */
export function renderReview(r: ReviewResult, baseParts: string, baseWhy: string, paint: Paint, width: number = outputWidth()): string {
  const lines = [
    ...patchLines(r, paint),
    `base      ${paint.bold(r.base)} = ${baseParts} (${baseWhy})`,
    `checked   ${r.scenarios.length} scenario${r.scenarios.length === 1 ? "" : "s"}, every property each supports (${PROPERTY_GATES}), on ${r.base} and ${r.patched}`,
    "",
    `verdict   ${r.summary}`,
    "",
    ...reviewTable(r, width),
  ];
  if (r.probabilityModel) lines.push("", `P: exact probability that one run violates a property, under a ${r.probabilityModel}.`);
  for (const s of r.scenarios) for (const d of s.differential) lines.push("", ...differentialLines(r, s.scenario, d, paint));
  return lines.join("\n") + "\n";
}

/** `review --markdown`: the same for a pull request's comment. */
export function renderReviewMarkdown(r: ReviewResult, baseParts: string, baseWhy: string, paint: Paint): string {
  const esc = (t: string): string => t.replace(/\|/g, "\\|");
  const lines = [
    `### Review of ${r.patches.map((p) => `\`${p.id}\``).join(", ")} on ${r.base}`,
    "",
    ...r.patches.map((p) => `- \`${p.id}\`: ${esc(p.title)}`),
    `- base: \`${r.base}\` = ${baseParts} (${baseWhy})`,
    "",
    `**Verdict: ${esc(r.summary)}.**`,
    "",
    `| scenario | ${esc(r.base)} | ${esc(r.patched)} | change |`,
    "|---|---|---|---|",
    ...r.scenarios.map((s) => `| ${[s.scenario, mitigationNote(r.compare, s.scenario)].filter((x) => x !== undefined).map(esc).join("<br>")} | ${esc(verdictText(s.base))} | ${esc(verdictText(s.patched))} | ${esc(changeOf(s.patched))} |`),
  ];
  if (r.probabilityModel) lines.push("", `P: exact probability that one run violates a property, under a ${r.probabilityModel}.`);
  for (const s of r.scenarios) {
    for (const d of s.differential) {
      const [head, ...rest] = differentialLines(r, s.scenario, d, paint);
      lines.push("", `#### ${esc(head!)}`, "", "```text", ...rest, "```");
    }
  }
  return lines.join("\n") + "\n";
}

/** The review for scripts: the verdict line, the gate (`fails`: whether --fail-on `failOn` fails it, app/review.ts reviewFails),
 * per scenario both cells and each new class's differential counterexample. */
export function reviewJson(r: ReviewResult, baseParts: string, failOn: FailOn | undefined, fails: boolean | null) {
  return {
    base: r.base,
    baseParts,
    patched: r.patched,
    patches: r.patches,
    summary: r.summary,
    failOn: failOn ?? null,
    fails,
    ...(r.probabilityModel ? { probabilityModel: r.probabilityModel } : {}),
    scenarios: r.scenarios.map((s) => ({
      scenario: s.scenario,
      ...(r.compare.mitigations[s.scenario] ? { mitigation: r.compare.mitigations[s.scenario] } : {}),
      base: s.base,
      patched: s.patched,
      differential: s.differential.map((d) => differentialJson(d.aRun.scenario, d.aRun.kernel, d.models.b.ctx.k, d)),
    })),
  };
}

/** A new class's differential counterexample: the schedule on the patched kernel, then the same choices on the base. */
function differentialLines(r: ReviewResult, scenario: string, d: DifferentialCounterexample, paint: Paint): string[] {
  const head = `NEW ${d.class} on ${scenario}`;
  if (d.kind === "none") {
    return [`${head}: every schedule that shows it on ${r.patched} shows it on ${r.base} too with the same choices (${fmtInt(d.states)} pair states searched)`];
  }
  if (d.kind === "incomplete" || !d.a || !d.b) {
    return [`${head}: no differential schedule found before ${d.stoppedBy ?? "a budget"} stopped the search (${fmtInt(d.states)} pair states searched)`];
  }
  const cx = d.a;
  const why = cx.explanation;
  const p = cx.preemptions;
  return [
    `${head}: ${cx.steps.length} steps, ${p} preemption${p === 1 ? "" : "s"} on ${r.patched}; with the same choices ${r.base} ${d.b.classes.length ? `shows ${d.b.classes.join(", ")} instead` : "violates nothing"}`,
    renderSteps(cx.steps, d.aRun.scenario, paint),
    ...(why ? [`why: ${wordWhy(why.why, d.aRun.scenario)}`] : []),
    "",
    renderAgainst(d.aRun.scenario, d.aRun.kernel, d.models.b.ctx.k, cx.steps, d.b, paint).trimEnd(),
    `on ${r.base} the same schedule: ${d.b.outcome}`,
  ];
}
