/** Small text helpers for terminal output. Colours only on a TTY without NO_COLOR. */
import { tty } from "./tty.js";

const useColour = (): boolean => tty.stdout && !process.env["NO_COLOR"];

export function bold(s: string): string {
  return useColour() ? `\x1b[1m${s}\x1b[0m` : s;
}
export function red(s: string): string {
  return useColour() ? `\x1b[31m${s}\x1b[0m` : s;
}
export function green(s: string): string {
  return useColour() ? `\x1b[32m${s}\x1b[0m` : s;
}
export function yellow(s: string): string {
  return useColour() ? `\x1b[33m${s}\x1b[0m` : s;
}

export function table(rows: string[][], indent = "  "): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  "))
    .join("\n");
}

export function fmtInt(n: number): string {
  return n.toLocaleString("en-US");
}

export function fmtSeconds(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(1);
}

/** A progress line on stderr, only on a TTY and only once the search runs longer than a second. */
export function progressReporter(): ((p: { states: number; transitions: number; depth: number; seconds: number; frontier: number }) => void) | undefined {
  if (!tty.stderr) return undefined;
  return (p) => {
    process.stderr.write(
      `\r${fmtInt(p.states)} states, ${fmtInt(p.transitions)} transitions, depth ${p.depth}, frontier ${fmtInt(p.frontier)}, ${p.seconds.toFixed(0)} s   `,
    );
  };
}

export function clearProgress(): void {
  if (tty.stderr) process.stderr.write("\r\x1b[K");
}
