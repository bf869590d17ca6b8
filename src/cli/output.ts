/** Writing results: stdout, or a file written whole or not at all. */
import { renameSync, writeFileSync, unlinkSync } from "node:fs";
import { InputError } from "../errors.js";

export function emit(text: string, out: string | undefined): void {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw new InputError(`--out: cannot write '${out}' (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}
