/** Built-in scenarios (models/*.yaml) and resolving a scenario argument. */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { InputError } from "../errors.js";
import { MODELS_DIR } from "../paths.js";
import { loadScenarioFile } from "./load.js";
import type { Scenario } from "./scenario.js";

export function builtinScenarioNames(): string[] {
  return readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

/** A path (anything with a slash or a .yaml/.yml/.json ending) or a built-in name. */
export function resolveScenario(arg: string): Scenario {
  const looksLikePath = arg.includes("/") || /\.(ya?ml|json)$/.test(arg);
  if (looksLikePath) {
    if (!existsSync(arg)) throw new InputError(`scenario: no such file '${arg}'`);
    return loadScenarioFile(arg);
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
