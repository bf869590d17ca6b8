/** Built-in scenarios (models/*.yaml) and resolving a scenario argument. */
import { lstatSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { IncompleteError, InputError } from "../errors.js";
import { MODELS_DIR } from "../paths.js";
import { describeErrno, loadScenarioFile, readInputText, scenarioFromText } from "./load.js";
import type { Scenario } from "./scenario.js";

export function builtinScenarioNames(): string[] {
  return readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

/** A path is anything with a slash or a .yaml/.yml/.json ending; anything else is a built-in name. */
export function isScenarioPath(arg: string): boolean {
  return arg.includes("/") || /\.(ya?ml|json)$/.test(arg);
}

export function resolveScenario(arg: string): Scenario {
  if (isScenarioPath(arg)) {
    return scenarioFromText(readScenarioArg(arg), arg);
  }
  if (builtinScenarioNames().includes(arg)) {
    const file = join(MODELS_DIR, `${arg}.yaml`);
    const rel = relative(process.cwd(), file);
    return loadScenarioFile(rel.startsWith("..") ? file : rel);
  }
  throw new InputError(
    `scenario: no built-in scenario '${arg}': expected one of ${builtinScenarioNames().join(", ")}, or a path to a .yaml or .json file`,
  );
}

/** The text of a scenario file given as an argument; a failure says what it is. */
function readScenarioArg(arg: string): string {
  const cannot = (what: string): InputError => new InputError(`scenario: cannot read '${arg}': ${what}`);
  try {
    if (statSync(arg).isDirectory()) throw cannot("it is a folder (EISDIR): expected a .yaml or .json file");
    return readInputText(arg);
  } catch (e) {
    if (e instanceof InputError || e instanceof IncompleteError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      let dangling = false;
      try {
        dangling = lstatSync(arg).isSymbolicLink();
      } catch {
        // not there at all
      }
      throw new InputError(dangling ? `scenario: cannot read '${arg}': a symbolic link to a file that does not exist (ENOENT)` : `scenario: no such file '${arg}'`);
    }
    throw cannot(describeErrno(e));
  }
}
