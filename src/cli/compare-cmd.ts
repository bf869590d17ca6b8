/** `conntrack-mc compare <scenario>... --kernels v1,v2,... [--json | --markdown] [--probability]` */
import { compare, type CompareCell, type CompareResult } from "../compare.js";
import { resolveProperty } from "../check.js";
import { stopRequested } from "../runtime/control.js";
import { InputError } from "../errors.js";
import { resolveKernel } from "../kernel/variants.js";
import { warnUnusedPatches } from "../kernel/user-patch.js";
import { parse } from "./args.js";
import { loadScenario, patchSet, SEARCH_FLAGS, SEARCH_USAGE, searchSettings } from "./common.js";
import { clearProgress, fmtInt, table } from "./format.js";
import { checkOutName, emit } from "./output.js";

export const COMPARE_USAGE = `usage: conntrack-mc compare <scenario>... [--kernels v1,v2,...] [--json | --markdown] [--probability]
         [--property no-drop|all-replied] [--out FILE] ${SEARCH_USAGE}`;

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    kernels: { type: "string", short: "k" },
    json: { type: "boolean" },
    markdown: { type: "boolean" },
    probability: { type: "boolean" },
    property: { type: "string", short: "p" },
    out: { type: "string", short: "o" },
    ...SEARCH_FLAGS,
  }, COMPARE_USAGE);
  if (positionals.length === 0) throw new InputError("scenario: expected one or more scenario names or files", { usage: COMPARE_USAGE });
  if (values.json && values.markdown) throw new InputError("--json, --markdown: expected at most one output format");
  const patches = await patchSet(values.patch);
  const scenarios = positionals.map((arg) => loadScenario(arg, patches));
  const names = values.kernels !== undefined ? values.kernels.split(",").map((k) => k.trim()) : [...scenarios[0]!.kernels];
  if (names.some((n) => n === "")) throw new InputError(`--kernels: expected a comma-separated list of variants, got '${values.kernels}'`);
  const kernels = names.map((n) => resolveKernel(n, values.kernels !== undefined ? "--kernels" : `${scenarios[0]!.source}: kernels`, patches));
  warnUnusedPatches(patches, kernels);
  const property = resolveProperty(values.property ?? "no-drop", "--property");
  const settings = searchSettings(values);
  checkOutName(values.out, "--out");
  const result = compare(scenarios, kernels, property, { ...settings.options, probability: values.probability ?? false });
  clearProgress();
  const text = values.json
    ? JSON.stringify(result, null, 2) + "\n"
    : values.markdown
      ? renderMarkdown(result)
      : renderText(result);
  emit(text, values.out, "--out");
  const cells = result.rows.flat();
  if (cells.some((c) => c.interrupted)) return stopRequested() || 130;
  return cells.some((c) => !c.complete) ? 3 : 0;
}

function probabilityText(c: CompareCell): string | undefined {
  if (!c.probability) return undefined;
  const p = c.probability.value;
  if (p === null) {
    return c.probability.states === 0
      ? `P(violation): not computed (${c.probability.stoppedBy} stopped the search before it)`
      : `P(violation): not computed (${c.probability.stoppedBy} stopped the graph at ${fmtInt(c.probability.states)} states)`;
  }
  return `P(violation) = ${formatProbability(p)}${c.probability.exact ? "" : " (iterated)"}`;
}

export function formatProbability(p: number): string {
  if (p === 0) return "0";
  if (p === 1) return "1";
  return p >= 0.001 ? p.toFixed(4).replace(/0+$/, "") : p.toExponential(3);
}

/** The lines of one cell: verdict and classes, then the change against the base, then states. */
function cellLines(c: CompareCell, isBase: boolean): string[] {
  const head =
    c.verdict === "holds"
      ? "holds"
      : `${c.verdict}${c.drops.length ? ": " + c.drops.map((d) => `${d.class} (${fmtInt(d.states)})`).join(", ") : ""}`;
  const lines = [head];
  if (!isBase) {
    const parts: string[] = [];
    if (c.fixed.length) parts.push(`fixes ${c.fixed.join(", ")}`);
    if (c.remaining.length) parts.push(`keeps ${c.remaining.join(", ")}`);
    if (c.new.length) parts.push(`NEW ${c.new.join(", ")}`);
    lines.push(parts.length ? parts.join("; ") : "no change");
  }
  const p = probabilityText(c);
  if (p) lines.push(p);
  lines.push(`conntrack -S: ${c.counters.map((x) => `${x.insert_failed}/${x.drop}/${x.clash_resolve}`).join(", ")}`);
  lines.push(`${fmtInt(c.states)} states${c.stoppedBy ? ` (incomplete: ${c.stoppedBy} stopped it)` : ""}`);
  return lines;
}

function renderText(r: CompareResult): string {
  const rows: string[][] = [["kernel", ...r.scenarios]];
  r.rows.forEach((row, k) => {
    const cells = row.map((c) => cellLines(c, k === 0));
    const height = Math.max(...cells.map((c) => c.length));
    for (let i = 0; i < height; i++) {
      rows.push([i === 0 ? (k === 0 ? `${r.kernels[k]} (base)` : r.kernels[k]!) : "", ...cells.map((c) => c[i] ?? "")]);
    }
    rows.push(r.scenarios.map(() => "").concat(""));
  });
  rows.pop();
  const lines = [
    `property ${r.property}: violation classes (reachable states) per kernel and scenario; changes against ${r.base}`,
    "conntrack -S: the insert_failed/drop/clash_resolve totals a finished run can leave; states are counted up to the search's reduction",
    "",
    table(rows, ""),
  ];
  if (r.probabilityModel) lines.push("", `P(violation): exact probability that one run violates ${r.property}, under a ${r.probabilityModel}.`);
  return lines.join("\n") + "\n";
}

function renderMarkdown(r: CompareResult): string {
  const esc = (s: string): string => s.replace(/\|/g, "\\|");
  const lines = [
    `| kernel | ${r.scenarios.map(esc).join(" | ")} |`,
    `|---|${r.scenarios.map(() => "---").join("|")}|`,
    ...r.rows.map(
      (row, k) => `| ${k === 0 ? `**${esc(r.kernels[k]!)}** (base)` : `**${esc(r.kernels[k]!)}**`} | ${row.map((c) => cellLines(c, k === 0).map(esc).join("<br>")).join(" | ")} |`,
    ),
  ];
  lines.push("", "conntrack -S: the insert_failed/drop/clash_resolve totals a finished run can leave. States are counted up to the search's reduction (by default symmetry: runs that differ only in which CPU runs which packet count once).");
  if (r.probabilityModel) lines.push("", `P(violation): exact probability that one run violates \`${r.property}\`, under a ${r.probabilityModel}.`);
  return lines.join("\n") + "\n";
}
