/**
 * Text that fits a terminal: the width to fit (outputWidth), widths measured without colour codes, lines
 * wrapped at spaces (a word longer than a line is split, never cut), and tables whose long cells wrap inside
 * their column (fitTable). `--json` and `--markdown` are not width-limited: only the text renderers use this.
 */

/** Text written when stdout is not a terminal fits this width. */
export const DEFAULT_WIDTH = 120;
/** COLUMNS below this is not taken (a stray small value would wrap everything). */
export const MIN_COLUMNS = 60;
/** A terminal whose width is not known (a worker thread is told only that stdout is one). */
const UNKNOWN_TERMINAL = 80;
/** No column is narrowed below this. */
const MIN_CELL = 8;

/** What stdout is: cli/tty.ts says (the worker thread's own process.stdout is a pipe to the main thread). */
export interface Terminal {
  readonly stdout: boolean;
  readonly columns?: number | undefined;
}

let terminal = (): Terminal => ({ stdout: Boolean(process.stdout.isTTY), columns: process.stdout.isTTY ? process.stdout.columns : undefined });

/** cli/tty.ts tells what stdout is, once for the thread. */
export function setTerminal(t: () => Terminal): void {
  terminal = t;
}

/** The width text output fits: COLUMNS when it is a number >= 60 (an override, as many CLIs take it), else the
 * terminal's columns when stdout is one, else 120. */
export function outputWidth(env: Readonly<Record<string, string | undefined>> = process.env, term: Terminal = terminal()): number {
  const given = env["COLUMNS"]?.trim() ?? "";
  if (/^\d+$/.test(given) && Number(given) >= MIN_COLUMNS) return Number(given);
  if (!term.stdout) return DEFAULT_WIDTH;
  return term.columns !== undefined && term.columns > 0 ? term.columns : UNKNOWN_TERMINAL;
}

const SGR = /\x1b\[[0-9;]*m/g;

/** Columns `s` takes on a terminal: its code points without ANSI colour codes. */
export function visibleWidth(s: string): number {
  return [...s.replace(SGR, "")].length;
}

/** `s` padded with spaces to `width` visible columns. */
export function padVisible(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - visibleWidth(s)));
}

/** The pieces of `s`: a colour code (no width) or one code point. */
function pieces(s: string): string[] {
  return s.match(/\x1b\[[0-9;]*m|[\s\S]/gu) ?? [];
}

const BREAK_AFTER = new Set([".", ",", ";", ":", "/", "@", "-", "_", ")", ">"]);

/** Where to split a word too long for `room` columns: after the last punctuation in its second half, else at `room`. */
function splitAt(parts: readonly string[], room: number): number {
  let seen = 0;
  let cut = 0;
  let best = -1;
  for (; cut < parts.length && seen < room; cut++) {
    const p = parts[cut]!;
    if (p.startsWith("\x1b")) continue;
    seen++;
    if (BREAK_AFTER.has(p) && seen * 2 >= room) best = cut + 1;
  }
  return best > 0 && cut < parts.length ? best : cut;
}

/** A word as pieces of at most `first` columns, then at most `rest`. */
function splitWord(word: string, first: number, rest: number): string[] {
  let parts = pieces(word);
  const out: string[] = [];
  let room = Math.max(1, first);
  while (parts.length > 0) {
    const at = splitAt(parts, room);
    out.push(parts.slice(0, at).join(""));
    parts = parts.slice(at);
    room = Math.max(1, rest);
  }
  return out;
}

/** `text` as lines of at most `width` columns, broken at spaces; a word longer than a line is split. A continuation
 * line starts with the text's own indentation and then `hang`. */
export function wrap(text: string, width: number, hang = ""): string[] {
  if (visibleWidth(text) <= width) return [text];
  const lead = /^ */.exec(text)![0];
  const prefix = lead + (visibleWidth(lead + hang) * 2 <= width ? hang : "");
  const lines: string[] = [];
  let line = lead;
  let fresh = true;
  const newLine = (): void => {
    lines.push(line);
    line = prefix;
    fresh = true;
  };
  for (const token of text.slice(lead.length).match(/ *[^ ]+/g) ?? []) {
    const word = token.trimStart();
    if (!fresh && visibleWidth(line + token) <= width) {
      line += token;
      continue;
    }
    if (!fresh) newLine();
    const room = width - visibleWidth(line);
    const [head, ...tail] = visibleWidth(word) <= room ? [word] : splitWord(word, room, width - visibleWidth(prefix));
    line += head;
    fresh = false;
    for (const piece of tail) {
      newLine();
      line += piece;
      fresh = false;
    }
  }
  lines.push(line);
  return lines;
}

/** A line of a table cell; a note (such as "(mitigation of ...)" under a name) wraps to its column, without a hang,
 * and widens it only as far as its longest word. */
export type CellLine = string | { readonly note: string };
/** A table cell: a line, or lines. */
export type Cell = string | readonly CellLine[];

export interface TableLayout {
  /** Every line fits this many columns. */
  readonly width: number;
  /** Before every line (default two spaces). */
  readonly indent?: string;
  /** The first `keep` columns (names) are never narrowed (default 1). */
  readonly keep?: number;
  /** Where a wrapped line goes on, after its column's start (default none: under the column). */
  readonly hang?: string;
  /** When the last column would be narrower than this, or a column before it would have to wrap, the last column goes
   * under its row, indented, at the full width (default 0: never). */
  readonly stack?: number;
}

interface Line {
  readonly text: string;
  readonly note: boolean;
}

const linesOf = (c: Cell | undefined): Line[] =>
  c === undefined ? [] : typeof c === "string" ? [{ text: c, note: false }] : c.map((l) => (typeof l === "string" ? { text: l, note: false } : { text: l.note, note: true }));

const longestWord = (s: string): number => Math.max(0, ...s.split(/ +/).map(visibleWidth));

/** The width a column's cells take unwrapped (a note only its longest word). */
export function naturalWidth(cells: readonly (Cell | undefined)[]): number {
  return Math.max(0, ...cells.flatMap(linesOf).map((l) => (l.note ? longestWord(l.text) : visibleWidth(l.text))));
}

/** What a column needs: its width unwrapped, and its longest word (narrower than that, a word is split). */
interface Measure {
  readonly natural: number;
  readonly word: number;
}

function measure(cells: readonly (Cell | undefined)[]): Measure {
  return { natural: naturalWidth(cells), word: Math.max(0, ...cells.flatMap(linesOf).map((l) => longestWord(l.text))) };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Column widths within `room` (the width less indent and gaps): the kept columns as wide as their cells, the others
 * capped at one width, found so they fill the room: a column narrower than the cap keeps its width, and none goes below
 * its longest word while the room allows. */
function fitWidths(columns: readonly Measure[], room: number, keep: number): number[] {
  const kept = columns.slice(0, keep).map((c) => c.natural);
  const flex = columns.slice(keep);
  const left = room - sum(kept);
  if (sum(flex.map((c) => c.natural)) <= left) return columns.map((c) => c.natural);
  const wordFloors = flex.map((c) => Math.min(c.natural, Math.max(MIN_CELL, c.word)));
  const floors = sum(wordFloors) <= left ? wordFloors : flex.map((c) => Math.min(c.natural, MIN_CELL));
  const at = (cap: number): number[] => flex.map((c, i) => Math.min(c.natural, Math.max(floors[i]!, cap)));
  let lo = 0;
  let hi = Math.max(...flex.map((c) => c.natural));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sum(at(mid)) <= left) lo = mid;
    else hi = mid - 1;
  }
  const widths = at(lo);
  // The rounding's leftover to the narrowed columns, the last first.
  let spare = left - sum(widths);
  for (let i = widths.length - 1; i >= 0 && spare > 0; i--) {
    if (widths[i]! < flex[i]!.natural) {
      widths[i]!++;
      spare--;
    }
  }
  return [...kept, ...widths];
}

/** A cell's lines wrapped to `width` (a note goes on under itself). */
function cellText(cell: Cell | undefined, width: number, hang: string): string[] {
  return linesOf(cell).flatMap((l) => wrap(l.text, width, l.note ? "" : hang));
}

/** One row's lines: its cells side by side, each wrapped to its column. */
function rowLines(row: readonly (Cell | undefined)[], widths: readonly number[], layout: Required<TableLayout>): string[] {
  const cells = widths.map((w, c) => cellText(row[c], w, layout.hang));
  const height = Math.max(1, ...cells.map((c) => c.length));
  const out: string[] = [];
  for (let i = 0; i < height; i++) {
    const parts = cells.map((c, j) => (j === cells.length - 1 ? (c[i] ?? "") : padVisible(c[i] ?? "", widths[j]!)));
    out.push((layout.indent + parts.join("  ")).trimEnd());
  }
  return out;
}

/** `rows` as lines of at most `layout.width` columns (when the kept columns leave room): the columns as wide as their
 * cells when that fits, else the wider ones narrowed and their cells wrapped; nothing is cut. */
export function fitTable(rows: readonly (readonly (Cell | undefined)[])[], layout: TableLayout): string[] {
  const full: Required<TableLayout> = { indent: "  ", keep: 1, hang: "", stack: 0, ...layout };
  const n = Math.max(0, ...rows.map((r) => r.length));
  if (n === 0) return rows.map(() => "");
  const columns = Array.from({ length: n }, (_, c) => measure(rows.map((r) => r[c])));
  const natural = columns.map((c) => c.natural);
  const room = (cols: number): number => full.width - visibleWidth(full.indent) - 2 * (cols - 1);
  // The last column runs to the end of the line.
  const widths = [...fitWidths(columns, room(n), Math.min(full.keep, n - 1)).slice(0, -1)];
  widths.push(Math.max(MIN_CELL, room(n) - sum(widths)));
  const cramped = widths[n - 1]! < Math.min(full.stack, natural[n - 1]!) || widths.slice(0, -1).some((w, c) => w < natural[c]!);
  if (n < 2 || full.stack === 0 || !cramped) return rows.flatMap((r) => rowLines(r, widths, full));
  // Stacked: the last column under its row.
  const head = fitWidths(columns.slice(0, -1), room(n - 1), Math.min(full.keep, n - 2));
  const under = `${full.indent}    `;
  return rows.flatMap((r) => [
    ...rowLines(r.slice(0, -1), head, full),
    ...linesOf(r[n - 1]).flatMap((l) => wrap(under + l.text, full.width, l.note ? "" : full.hang).map((x) => x.trimEnd())),
  ]);
}
