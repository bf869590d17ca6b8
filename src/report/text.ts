/** Small helpers of the text renderers: colours (the caller says whether), tables, numbers. */
import { padVisible, visibleWidth } from "./width.js";

/** How a renderer colours its words: ANSI on a terminal that wants colours, PLAIN elsewhere (cli/format.ts decides). */
export interface Paint {
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

export const PLAIN: Paint = { bold: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s };

export const ANSI: Paint = {
  bold: (s) => `\x1b[1m${s}\x1b[0m`,
  red: (s) => `\x1b[31m${s}\x1b[0m`,
  green: (s) => `\x1b[32m${s}\x1b[0m`,
  yellow: (s) => `\x1b[33m${s}\x1b[0m`,
};

/** Rows as aligned columns, as wide as their cells (measured without colour codes); report/width.ts fitTable fits a width. */
export function table(rows: string[][], indent = "  "): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => visibleWidth(r[c] ?? ""))));
  return rows
    .map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : padVisible(cell, widths[c]!))).join("  "))
    .join("\n");
}

export function fmtInt(n: number): string {
  return n.toLocaleString("en-US");
}

export function fmtSeconds(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(1);
}
