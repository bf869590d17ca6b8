/**
 * Mitigations as first-class results: the built-in scenarios that are a mitigation (a `mitigation` field naming the
 * scenarios whose race it is meant to remove), each searched on a kernel. `check` suggests those that hold where a
 * scenario they mitigate is violated; `diagnose` lists them all for the node's kernel.
 */
import type { SearchResult } from "../engine/search.js";
import type { Kernel } from "../kernel/kernel.js";
import { builtinScenarioNames, resolveScenario } from "../scenario/registry.js";
import type { Scenario } from "../scenario/scenario.js";
import { propertiesOf, runCheck, type CheckOptions } from "./check.js";

export interface MitigationResult {
  readonly name: string;
  readonly scenario: string;
  readonly how: string;
  readonly verdict: SearchResult["verdict"];
  /** The classes its search found (none where it holds). */
  readonly classes: readonly string[];
}

/** The built-in mitigations of scenario `name`, by name. */
export function mitigationsOf(name: string): Scenario[] {
  return builtinScenarioNames()
    .map((n) => resolveScenario(n))
    .filter((sc) => sc.mitigation?.of.includes(name));
}

/** Each mitigation of `name`, searched on `kernel` under `properties` (default: every one its scenario supports; a
 * mitigation that supports none of those named is left out). `opts` may be given per search (a shared deadline). */
export function mitigationResults(name: string, kernel: Kernel, opts: CheckOptions | (() => CheckOptions) = {}, properties?: string): MitigationResult[] {
  const supported = (sc: Scenario): string[] | undefined => {
    if (properties === undefined) return undefined;
    const own = propertiesOf(sc).map((p) => p.name);
    return properties.split(",").map((p) => p.trim()).filter((p) => own.includes(p));
  };
  return mitigationsOf(name).flatMap((sc) => {
    const props = supported(sc);
    if (props !== undefined && props.length === 0) return [];
    const run = runCheck(sc, kernel, props, typeof opts === "function" ? opts() : opts);
    return [{ name: sc.mitigation!.name, scenario: sc.name, how: sc.mitigation!.how, verdict: run.result.verdict, classes: [...new Set(run.result.violations.map((v) => v.name))].sort() }];
  });
}
