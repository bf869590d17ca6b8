/** Whether stdout and stderr are terminals, and stdout's width. A command running in the supervised
 * worker thread sees pipes to the main thread, so the main thread tells it (its init's `tty` is copied over
 * this one; `columns` reaches the worker only if the main thread passes it too). */
import { setTerminal } from "../report/width.js";

export const tty: { stdout: boolean; stderr: boolean; columns?: number } = { stdout: Boolean(process.stdout.isTTY), stderr: Boolean(process.stderr.isTTY) };

// The text renderers fit stdout (report/width.ts outputWidth: COLUMNS >= 60 overrides, else the terminal's
// columns, else 120), read when they render: the terminal's own columns on this thread, else those passed in.
setTerminal(() => ({ stdout: tty.stdout, columns: process.stdout.isTTY ? process.stdout.columns : tty.columns }));
