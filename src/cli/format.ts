/** The terminal's side of output: whether to colour (on a TTY without NO_COLOR), and the progress line. */
import { ANSI, fmtInt, PLAIN, type Paint } from "../report/text.js";
import { tty } from "./tty.js";

/** The colours of what goes to stdout (or a file given for it): ANSI on a TTY without NO_COLOR, else none. */
export function paint(): Paint {
  return tty.stdout && !process.env["NO_COLOR"] ? ANSI : PLAIN;
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
