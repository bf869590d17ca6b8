/** `compare`'s matrix as text and as Markdown, and the words for a cell's change that `review` shares. */
import { PROPERTY_GATES } from "../kernel/properties/properties.js";
import type { ClassChange, CompareCell, CompareResult } from "../app/compare.js";
import { counterKey } from "../kernel/properties/outcomes.js";
import { fmtInt, table } from "./text.js";

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

/** "reply-lost 1 -> 2 states, P 0.648 -> 0.844": what moved in a remaining class. */
export function changeText(c: ClassChange): string {
  if (c.status !== "remaining" || !c.base || !c.now) return c.class;
  const parts: string[] = [];
  if (c.base.states !== c.now.states) parts.push(`${fmtInt(c.base.states)} -> ${fmtInt(c.now.states)} states`);
  if (c.base.shortest !== c.now.shortest) parts.push(`shortest ${c.base.shortest} -> ${c.now.shortest}`);
  const [p, q] = [c.base.probability, c.now.probability];
  if (p !== undefined && q !== undefined && Math.abs(p - q) > 1e-12) parts.push(`P ${formatProbability(p)} -> ${formatProbability(q)}`);
  return parts.length ? `${c.class} ${parts.join(", ")}` : c.class;
}

/** "fixes race3; keeps reply-lost 1 -> 2 states; NEW reply-misrouted", or "no change". */
export function changeLine(c: CompareCell): string {
  const parts: string[] = [];
  const of = (status: ClassChange["status"]): ClassChange[] => c.changes.filter((x) => x.status === status);
  if (of("fixed").length) parts.push(`fixes ${of("fixed").map((x) => x.class).join(", ")}`);
  const worse = of("remaining").filter((x) => x.worse);
  const kept = of("remaining").filter((x) => !x.worse);
  if (worse.length) parts.push(`WORSE ${worse.map(changeText).join(", ")}`);
  if (kept.length) parts.push(`keeps ${kept.map(changeText).join(", ")}`);
  if (of("new").length) parts.push(`NEW ${of("new").map((x) => x.class).join(", ")}`);
  if (of("unknown").length) parts.push(`shows ${of("unknown").map((x) => x.class).join(", ")} (the base's search did not finish: new or not is not known)`);
  if (!c.known) parts.push("a search or probability graph did not finish: other changes not known");
  return parts.length ? parts.join("; ") : "no change";
}

/** The lines of one cell: verdict and classes, then the change against its base, then states. */
function cellLines(c: CompareCell): string[] {
  const head =
    c.verdict === "holds"
      ? "holds"
      : `${c.verdict}${c.drops.length ? ": " + c.drops.map((d) => `${d.class} (${fmtInt(d.states)})`).join(", ") : ""}`;
  const lines = [head];
  if (c.base !== null) lines.push(changeLine(c));
  const p = probabilityText(c);
  if (p) lines.push(p);
  lines.push(`conntrack -S: ${c.counters.length ? c.counters.map(counterKey).join(", ") : "(no finished run seen)"}`);
  lines.push(`${fmtInt(c.states)} states${c.stoppedBy ? ` (incomplete: ${c.stoppedBy} stopped it)` : ""}`);
  return lines;
}

/** The kernel column: the name, then what it is compared with. */
function kernelLines(r: CompareResult, k: number): string[] {
  const name = r.kernels[k]!;
  const b = r.baseRow[k]!;
  if (r.baseOnly[k]) return [name, "(base only)"];
  if (b < 0) return [r.base !== null && name === r.base ? `${name} (base)` : name];
  return r.base !== null ? [name] : [name, `vs ${r.kernels[b]}`];
}

function propertyWords(r: CompareResult): string {
  return r.narrowed ? `property ${r.property.split(",").join(", ")}` : `every property each scenario supports (${PROPERTY_GATES})`;
}

function againstWords(r: CompareResult): string {
  return r.base !== null ? `changes against ${r.base}` : "each kernel against its own base (the variant without its last patch, or the release before)";
}

/** `compare`'s matrix as text: a kernel per row, a scenario per column. */
export function renderCompare(r: CompareResult): string {
  const rows: string[][] = [["kernel", ...r.scenarios]];
  r.rows.forEach((row, k) => {
    const cells = row.map((c) => cellLines(c));
    const names = kernelLines(r, k);
    const height = Math.max(names.length, ...cells.map((c) => c.length));
    for (let i = 0; i < height; i++) rows.push([names[i] ?? "", ...cells.map((c) => c[i] ?? "")]);
    rows.push(r.scenarios.map(() => "").concat(""));
  });
  rows.pop();
  const lines = [
    `${propertyWords(r)}: violation classes (reachable states) per kernel and scenario; ${againstWords(r)}`,
    `conntrack -S: the ${counterNames(r)} totals a finished run can leave; states are counted up to the search's reduction`,
    "",
    table(rows, ""),
  ];
  if (r.probabilityModel) lines.push("", `P(violation): exact probability that one run violates a property, under a ${r.probabilityModel}.`);
  return lines.join("\n") + "\n";
}

/** What a cell's conntrack -S numbers are: early_drop too where a scenario sets conntrack-max. */
export function counterNames(r: CompareResult): string {
  const life = r.rows.some((row) => row.some((c) => c.counters.some((x) => x.early_drop !== undefined)));
  const chains = r.rows.some((row) => row.some((c) => c.counters.some((x) => x.chaintoolong !== undefined)));
  return `insert_failed/drop/clash_resolve${life ? " (/early_drop with conntrack-max)" : ""}${chains ? " (/chaintoolong with chains)" : ""}`;
}

/** `compare --markdown`: the matrix as a Markdown table. */
export function renderCompareMarkdown(r: CompareResult): string {
  const esc = (s: string): string => s.replace(/\|/g, "\\|");
  const name = (k: number): string => {
    const [first, ...rest] = kernelLines(r, k);
    return [`**${esc(first!.replace(/ \(base\)$/, ""))}**${first!.endsWith(" (base)") ? " (base)" : ""}`, ...rest.map(esc)].join("<br>");
  };
  const lines = [
    `| kernel | ${r.scenarios.map(esc).join(" | ")} |`,
    `|---|${r.scenarios.map(() => "---").join("|")}|`,
    ...r.rows.map((row, k) => `| ${name(k)} | ${row.map((c) => cellLines(c).map(esc).join("<br>")).join(" | ")} |`),
  ];
  lines.push("", `${propertyWords(r)[0]!.toUpperCase()}${propertyWords(r).slice(1)}; ${againstWords(r)}. conntrack -S: the ${counterNames(r)} totals a finished run can leave. States are counted up to the search's reduction (by default symmetry: runs that differ only in which CPU runs which packet count once).`);
  if (r.probabilityModel) lines.push("", `P(violation): exact probability that one run violates a property, under a ${r.probabilityModel}.`);
  return lines.join("\n") + "\n";
}
