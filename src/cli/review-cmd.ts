/** `conntrack-mc review PATCH... [--base V] [scenario...]`: the reviewer's one command. */
import { resolveScenario, builtinScenarioNames } from "../scenario/registry.js";
import { InputError } from "../errors.js";
import type { CompareCell } from "../app/compare.js";
import { defaultBase, patchedKernel, review, reviewFails, type ReviewResult } from "../app/review.js";
import { PATCHES, describeKernel, findPatch, resolveKernel } from "../kernel/variants.js";
import type { Patch } from "../kernel/patch.js";
import { loadPatchFile, PATCH_EXTENSIONS, warnUnusedPatches } from "../user-patch/load.js";
import { extname } from "node:path";
import { oneOf, parse } from "./args.js";
import { patchSet, SEARCH_FLAGS, searchSettings } from "./common.js";
import { changeLine, compareExit, FAIL_ON, formatProbability, tableCost, uniqueScenarios } from "./compare-cmd.js";
import { renderSteps } from "./check-cmd.js";
import { differentialJson, renderAgainst } from "./trace-cmd.js";
import type { DifferentialCounterexample } from "../app/differential.js";
import { bold, clearProgress, fmtInt, table } from "./format.js";
import { checkOutName, emit, refuseInputAsOutput } from "./output.js";
import { renderMatrixHtml } from "../report/html.js";
import { compareCounterexamples } from "../app/pages.js";
import { compareCells, pageTraces } from "../report/pages.js";
import { REVIEW_USAGE } from "./usage.js";

/** A patch argument: a module file, or a built-in patch's id or commit. */
const isPatchFile = (arg: string): boolean => PATCH_EXTENSIONS.includes(extname(arg).toLowerCase());

export async function reviewCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    base: { type: "string" },
    "fail-on": { type: "string" },
    json: { type: "boolean" },
    markdown: { type: "boolean" },
    probability: { type: "boolean" },
    out: { type: "string", short: "o" },
    html: { type: "string" },
    ...SEARCH_FLAGS,
  }, REVIEW_USAGE);
  if (values.json && values.markdown) throw new InputError("--json, --markdown: expected at most one output format");
  const failOn = values["fail-on"] === undefined ? undefined : oneOf(values["fail-on"], "--fail-on", FAIL_ON, "new");
  // --patch files are there for --base; the positional patches (files, or built-ins by id) are reviewed.
  const loaded = await patchSet(values.patch);
  const user: Patch[] = [];
  const ids: string[] = [];
  /** Each reviewed file as the user named it. */
  const given = new Map<string, string>();
  const scenarioArgs: string[] = [];
  for (const arg of positionals) {
    let id: string;
    if (isPatchFile(arg)) {
      // A reviewed file is a positional argument, not --patch: its load, apply and hook errors say so.
      const p = await loadPatchFile(arg, "patch");
      if (loaded.some((q) => q.id.toLowerCase() === p.id.toLowerCase())) throw new InputError(`patch ${arg}: id '${p.id}' is also a built-in patch or a --patch file's: expected each patch once`);
      user.push(p);
      given.set(p.id, arg);
      id = p.id;
    } else if (findPatch(arg, PATCHES)) id = findPatch(arg, PATCHES)!.id;
    else {
      scenarioArgs.push(arg);
      continue;
    }
    if (ids.some((x) => x.toLowerCase() === id.toLowerCase())) throw new InputError(`patch: '${arg}' (${id}) is given twice: expected each patch once`);
    ids.push(id);
  }
  if (ids.length === 0) throw new InputError("patch: expected one or more patches to review (a .mjs file, or a built-in patch id such as 1032812)", { usage: REVIEW_USAGE });
  const patches = [...loaded, ...user];
  if (values.base === "") throw new InputError("--base: expected a kernel variant such as v6.12, got ''");
  const base = resolveKernel(values.base ?? defaultBase(ids, patches), "--base", patches);
  const patched = patchedKernel(base, ids, patches);
  warnUnusedPatches(loaded.filter((p) => !PATCHES.includes(p)), [base]);
  const scenarios = (scenarioArgs.length ? scenarioArgs : builtinScenarioNames()).map((a) => resolveScenario(a));
  uniqueScenarios(scenarios);
  const settings = searchSettings(values);
  checkOutName(values.out, "--out");
  refuseInputAsOutput(values.out, "--out", [...positionals, ...(values.patch ?? [])]);
  checkOutName(values.html, "--html");
  refuseInputAsOutput(values.html, "--html", [...positionals, ...(values.patch ?? []), ...(values.out !== undefined ? [values.out] : [])]);
  const result = review(scenarios, base, patched, patches, { ...settings.options, probability: values.probability ?? false, patches }, (p) => given.get(p.id));
  clearProgress();
  const baseWhy = values.base !== undefined ? "given with --base" : "the newest release the patches apply to";
  const cost = tableCost(result.compare, values.json === true);
  const text = values.json
    ? JSON.stringify({ ...reviewJson(result, describeKernel(base), failOn), ...cost }, null, 2) + "\n"
    : (values.markdown ? renderReviewMarkdown(result, describeKernel(base), baseWhy) : renderReview(result, describeKernel(base), baseWhy));
  emit(text, values.out, "--out");
  if (values.html !== undefined) {
    const json = { ...reviewJson(result, describeKernel(base), failOn), ...cost };
    const traces = pageTraces(compareCounterexamples(result.compare, scenarios, [base, patched], patches, settings.options), patches);
    emit(renderMatrixHtml(`review: ${patched.name} against ${base.name}`, json, compareCells(result.compare), traces, { summary: `verdict: ${json.summary}`, counterLegend: "conntrack -S: insert_failed/drop/clash_resolve (and early_drop, chaintoolong where a scenario has them)" }), values.html, "--html");
  }
  return compareExit(result.compare, failOn);
}

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

function patchLines(r: ReviewResult): string[] {
  return r.patches.map((p, i) => `${i === 0 ? "patch    " : "         "} ${bold(p.id)}${p.file ? ` (${p.file})` : ""}: ${p.title}`);
}

export function renderReview(r: ReviewResult, baseParts: string, baseWhy: string): string {
  const lines = [
    ...patchLines(r),
    `base      ${bold(r.base)} = ${baseParts} (${baseWhy})`,
    `checked   ${r.scenarios.length} scenario${r.scenarios.length === 1 ? "" : "s"}, every property each supports (no-drop; all-replied with replies; no-crash and no-lost-entry with recycle), on ${r.base} and ${r.patched}`,
    "",
    `verdict   ${r.summary}`,
    "",
    table([["scenario", r.base, r.patched, "change"], ...r.scenarios.map((s) => [s.scenario, verdictText(s.base), verdictText(s.patched), changeOf(s.patched)])]),
  ];
  if (r.probabilityModel) lines.push("", `P: exact probability that one run violates a property, under a ${r.probabilityModel}.`);
  for (const s of r.scenarios) for (const d of s.differential) lines.push("", ...differentialLines(r, s.scenario, d));
  return lines.join("\n") + "\n";
}

export function renderReviewMarkdown(r: ReviewResult, baseParts: string, baseWhy: string): string {
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
    ...r.scenarios.map((s) => `| ${s.scenario} | ${esc(verdictText(s.base))} | ${esc(verdictText(s.patched))} | ${esc(changeOf(s.patched))} |`),
  ];
  if (r.probabilityModel) lines.push("", `P: exact probability that one run violates a property, under a ${r.probabilityModel}.`);
  for (const s of r.scenarios) {
    for (const d of s.differential) {
      const [head, ...rest] = differentialLines(r, s.scenario, d);
      lines.push("", `#### ${esc(head!)}`, "", "```text", ...rest, "```");
    }
  }
  return lines.join("\n") + "\n";
}

/** The review for scripts: the verdict line, the gate, per scenario both cells and each new class's differential counterexample. */
function reviewJson(r: ReviewResult, baseParts: string, failOn: (typeof FAIL_ON)[number] | undefined) {
  return {
    base: r.base,
    baseParts,
    patched: r.patched,
    patches: r.patches,
    summary: r.summary,
    failOn: failOn ?? null,
    fails: failOn ? reviewFails(r, failOn) : null,
    ...(r.probabilityModel ? { probabilityModel: r.probabilityModel } : {}),
    scenarios: r.scenarios.map((s) => ({
      scenario: s.scenario,
      base: s.base,
      patched: s.patched,
      differential: s.differential.map((d) => differentialJson(d.aRun.scenario, d.aRun.kernel, d.models.b.ctx.k, d)),
    })),
  };
}

/** A new class's differential counterexample: the schedule on the patched kernel, then the same choices on the base. */
function differentialLines(r: ReviewResult, scenario: string, d: DifferentialCounterexample): string[] {
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
    renderSteps(cx.steps),
    ...(why ? [`why: ${why.text}`] : []),
    "",
    renderAgainst(d.aRun.kernel, d.models.b.ctx.k, cx.steps, d.b).trimEnd(),
    `on ${r.base} the same schedule: ${d.b.outcome}`,
  ];
}
