/** Whether stdout and stderr are terminals. A command running in the supervised
 * worker thread sees pipes to the main thread, so the main thread tells it. */
export const tty = { stdout: Boolean(process.stdout.isTTY), stderr: Boolean(process.stderr.isTTY) };
