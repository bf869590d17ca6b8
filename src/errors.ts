/** A bug in conntrack-mc itself (EX_SOFTWARE): never confused with a verdict. */
export const INTERNAL_ERROR = 70;

/** Bad input from the user: reported as one line, exit code 2. */
export class InputError extends Error {
  // The name survives a trip through a worker thread (parallel search), where the class does not.
  override name = "InputError";
  /** Printed after the one-line message, as is: the command's usage. */
  readonly usage: string | undefined;
  constructor(message: string, opts: { usage?: string } = {}) {
    super(message);
    this.usage = opts.usage;
  }
}

export function isInputError(e: unknown): e is Error {
  return e instanceof InputError || (e instanceof Error && e.name === "InputError");
}

/** Control bytes (from a file, an argument) made visible, so a message is one
 * line and cannot drive the terminal: "\x1b" becomes "\\x1b", a newline "\\n". */
export function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === "\n" ? "\\n" : c === "\t" ? "\\t" : c === "\r" ? "\\r" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** A search stopped before it could answer, where a command cannot go on without
 * the answer (the model side of `live`): one line, exit code 3. */
export class IncompleteError extends Error {
  override name = "IncompleteError";
}
