/** conntrack-mc command line: dispatch, and the exit-code conventions (0 holds,
 * 1 violated, 2 bad input or usage, 3 incomplete, 70 an internal error, 130/143
 * a signal). main.ts runs it, on this thread or in a supervised worker. */
import { match } from "ts-pattern";
import { patchFiles, shownPatchFile, stopRequested } from "../runtime/control.js";
import { escapeControl, IncompleteError, InputError, INTERNAL_ERROR, isInputError } from "../errors.js";
import { SearchTooLargeError } from "../engine/search.js";
import { isHelpRequested } from "./args.js";
import { CHECK_USAGE, COMPARE_USAGE, DIAGNOSE_USAGE, LIST_USAGE, LIVE_USAGE, PROVE_USAGE, REVIEW_USAGE, TRACE_USAGE } from "./usage.js";

const USAGE = `conntrack-mc: explicit-state model checker for Linux conntrack clash races

${DIAGNOSE_USAGE}
${REVIEW_USAGE}
${CHECK_USAGE}
${COMPARE_USAGE}
${TRACE_USAGE}
${PROVE_USAGE}
${LIVE_USAGE}
${LIST_USAGE}

exit codes: 0 every property holds, 1 a property is violated (compare and review: a cell fails --fail-on),
            2 bad input or usage, 3 incomplete (a budget or the memory bound stopped a search), 70 internal error, 130/143 a signal`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    return await match(cmd)
      // A command's module loads when it runs: a check does not pay for compare's pages or live's namespaces.
      .with("diagnose", async () => (await import("./diagnose-cmd.js")).diagnoseCommand(rest))
      .with("review", async () => (await import("./review-cmd.js")).reviewCommand(rest))
      .with("check", async () => (await import("./check-cmd.js")).checkCommand(rest))
      .with("compare", async () => (await import("./compare-cmd.js")).compareCommand(rest))
      .with("trace", async () => (await import("./trace-cmd.js")).traceCommand(rest))
      .with("prove", async () => (await import("./prove-cmd.js")).proveCommand(rest))
      .with("live", async () => (await import("./live-cmd.js")).liveCommand(rest))
      .with("list", async () => (await import("./list-cmd.js")).listCommand(rest))
      .with("help", "--help", "-h", () => {
        process.stdout.write(USAGE + "\n");
        return 0;
      })
      .otherwise(() => {
        throw new InputError(cmd === undefined ? "expected a command: review, check, compare, trace, prove, live or list (see --help)" : `unknown command '${cmd}': expected review, check, compare, trace, prove, live or list (see --help)`);
      });
  } catch (e) {
    if (isHelpRequested(e)) {
      process.stdout.write(`${e.usage}\n`);
      return 0;
    }
    if (e instanceof IncompleteError) {
      process.stderr.write(`conntrack-mc: ${escapeControl(e.message)}\n`);
      return stopRequested() || 3;
    }
    if (isInputError(e) || e instanceof SearchTooLargeError) {
      const usage = e instanceof InputError && e.usage ? `${e.usage}\n` : "";
      process.stderr.write(`conntrack-mc: ${escapeControl(e.message)}\n${usage}`);
      return 2;
    }
    const message = (() => {
      try {
        return e instanceof Error ? e.message : String(e);
      } catch {
        return "(an error that cannot be shown)";
      }
    })();
    // With a user's patch loaded, what its hooks did (or threw) is the likelier cause than we are.
    const patches = patchFiles();
    if (patches.length > 0) {
      process.stderr.write(
        // review takes its patches as arguments (and --patch for its base only): name them without a flag there.
        `conntrack-mc: ${cmd === "review" ? "patch" : "--patch"} ${patches.map(shownPatchFile).join(", ")}: the run failed with the patch loaded (${escapeControl(message.split("\n")[0]!)}): a hook must be a function of what it is given and change only what its kernel function changes; if the patch is not at fault, please report it\n`,
      );
      return 2;
    }
    process.stderr.write(`conntrack-mc: internal error, please report it: ${e instanceof Error ? (e.stack ?? message) : message}\n`);
    return INTERNAL_ERROR;
  }
}
