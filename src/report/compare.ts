/** `compare`'s matrix as text and as Markdown, and the words for a cell's change that `review` shares. */
import { PROPERTY_GATES } from "../kernel/properties/properties.js";
import type { ClassChange, CompareCell, CompareResult } from "../app/compare.js";
import { counterKey } from "../kernel/properties/outcomes.js";
import { fmtInt } from "./text.js";
import { fitTable, naturalWidth, outputWidth, wrap, type Cell } from "./width.js";

function probabilityText(c: CompareCell): string | undefined {
  if (!c.probability) return undefined;
  const p = c.probability.value;
  if (p === null) {
    return c.probability.states === 0
      ? `share of schedules: not computed (${c.probability.stoppedBy} stopped the search before it)`
      : `share of schedules: not computed (${c.probability.stoppedBy} stopped the graph at ${fmtInt(c.probability.states)} states)`;
  }
  return `share of schedules = ${formatProbability(p)}${c.probability.exact ? "" : " (iterated)"}`;
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

/** Where a cell's wrapped line goes on. */
const HANG = "  ";

/** "(mitigation of dns-a-aaaa, dns-3-packets)" under a scenario's name, when it is one. */
export function mitigationNote(r: CompareResult, scenario: string): string | undefined {
  const m = r.mitigations[scenario];
  return m ? `(mitigation of ${m.of.join(", ")})` : undefined;
}

/** "mitigation single-request: resolv.conf ...": what a user changes, per mitigation scenario. */
function mitigationLines(r: CompareResult): string[] {
  return r.scenarios.flatMap((s) => {
    const m = r.mitigations[s];
    return m ? [`mitigation ${m.name === s ? s : `${m.name} (${s})`}: ${m.how}`] : [];
  });
}

/** The matrix's rows: the head (a mitigation's name with its note), then per kernel its lines and each cell's, a blank row between kernels. */
function matrixRows(r: CompareResult): Cell[][] {
  const head: Cell[] = ["kernel", ...r.scenarios.map((s): Cell => {
    const note = mitigationNote(r, s);
    return note ? [s, { note }] : s;
  })];
  const body = r.rows.flatMap((row, k) => [...(k > 0 ? [[]] : []), [kernelLines(r, k), ...row.map(cellLines)]]);
  return [head, ...body];
}

/** The scenario columns (1..) in blocks that each fit `width` beside the kernel column; a column too wide alone
 * is a block of its own, its cells wrapped. */
function columnBlocks(natural: readonly number[], width: number): number[][] {
  const blocks: number[][] = [];
  let used = Infinity;
  natural.forEach((w, c) => {
    if (c === 0) return;
    if (used + 2 + w > width) {
      blocks.push([]);
      used = natural[0]!;
    }
    blocks.at(-1)!.push(c);
    used += 2 + w;
  });
  return blocks;
}

/** The matrix within `width`: as one table when it fits, else in blocks of scenarios, each repeating the kernel column. */
function matrixLines(r: CompareResult, width: number): string[] {
  const rows = matrixRows(r);
  const natural = rows[0]!.map((_, c) => naturalWidth(rows.map((row) => row[c])));
  return columnBlocks(natural, width).flatMap((cols, i) => [
    ...(i > 0 ? [""] : []),
    ...fitTable(rows.map((row) => [row[0], ...cols.map((c) => row[c])]), { width, indent: "", hang: HANG }),
  ]);
}

/** `compare`'s matrix as text: a kernel per row, a scenario per column, every line within `width`. */
export function renderCompare(r: CompareResult, width: number = outputWidth()): string {
  const prose = (s: string, hang = ""): string[] => wrap(s, width, hang);
  const lines = [
    ...prose(`${propertyWords(r)}: violation classes (reachable states) per kernel and scenario; ${againstWords(r)}`),
    ...prose(`conntrack -S: the ${counterNames(r)} totals a finished run can leave; states are counted up to the search's reduction`),
    "",
    ...matrixLines(r, width),
  ];
  const mitigations = mitigationLines(r);
  if (mitigations.length) lines.push("", ...mitigations.flatMap((m) => prose(m, HANG)));
  if (r.probabilityModel) lines.push("", ...prose(shareNote(r.probabilityModel)));
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
  const head = (s: string): string => {
    const note = mitigationNote(r, s);
    return note ? `${esc(s)}<br>${esc(note)}` : esc(s);
  };
  const lines = [
    `| kernel | ${r.scenarios.map(head).join(" | ")} |`,
    `|---|${r.scenarios.map(() => "---").join("|")}|`,
    ...r.rows.map((row, k) => `| ${name(k)} | ${row.map((c) => cellLines(c).map(esc).join("<br>")).join(" | ")} |`),
  ];
  const mitigations = mitigationLines(r);
  if (mitigations.length) lines.push("", ...mitigations.map((m) => `- ${esc(m[0]!.toUpperCase() + m.slice(1))}`));
  lines.push("", `${propertyWords(r)[0]!.toUpperCase()}${propertyWords(r).slice(1)}; ${againstWords(r)}. conntrack -S: the ${counterNames(r)} totals a finished run can leave. States are counted up to the search's reduction (by default symmetry: runs that differ only in which CPU runs which packet count once).`);
  if (r.probabilityModel) lines.push("", shareNote(r.probabilityModel));
  return lines.join("\n") + "\n";
}

/** What a cell's probability is, and is not (docs/sre.md, "Shares of schedules are not rates"). */
function shareNote(model: string): string {
  return `share of schedules: the exact probability that one run violates a property under a ${model}. It weighs interleavings; it is not the share of lookups that fail, a rate only \`live\` measures on a kernel.`;
}
