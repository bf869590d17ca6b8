#!/usr/bin/env node
/** conntrack-mc's entry: commands that search run in a worker thread under the
 * supervisor (supervisor.ts); list and live run here. */
import { guardOutput, supervise, SUPERVISED } from "./supervisor.js";
import { main } from "./dispatch.js";

const argv = process.argv.slice(2);
guardOutput();
process.exitCode = SUPERVISED.includes(argv[0] ?? "") ? await supervise(argv) : await main(argv);
