#!/usr/bin/env node
/** conntrack-mc's entry: commands that search run in a worker thread under the
 * supervisor (supervisor.ts); list and live run here. The commands' modules
 * load only in the thread that runs them. */
import { guardOutput, supervise, SUPERVISED } from "./supervisor.js";

const argv = process.argv.slice(2);
guardOutput();
process.exitCode = SUPERVISED.includes(argv[0] ?? "") ? await supervise(argv) : await (await import("./dispatch.js")).main(argv);
