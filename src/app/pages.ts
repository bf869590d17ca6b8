/**
 * The counterexamples the HTML pages of `check`, `compare` and `review` (`--html FILE`) show beside their
 * report: for each cell and class the fewest-preemption one and the search's own (report/pages.ts renders
 * them, the search's own only where its steps differ).
 */
import { counterexample, runCheck, type CheckOptions, type CheckRun, type Counterexample } from "./check.js";
import type { CompareResult } from "./compare.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Patch } from "../kernel/patch.js";
import { resolveKernel } from "../kernel/variants.js";
import type { ConntrackModel } from "../model/model.js";
import type { Scenario } from "../scenario/scenario.js";

/** One class of one cell (a scenario on a kernel) and its counterexamples. */
export interface ClassCounterexamples {
  readonly scenario: Scenario;
  readonly kernel: Kernel;
  readonly model: ConntrackModel;
  readonly class: string;
  /** The fewest-preemption counterexample, then the search's own. */
  readonly counterexamples: readonly Counterexample[];
}

/** The counterexamples of every class of `run`. */
export function runCounterexamples(run: CheckRun): ClassCounterexamples[] {
  return run.result.violations.map((v) => {
    const best = counterexample(run, v.name);
    const own = counterexample(run, v.name, { own: true });
    return { scenario: run.scenario, kernel: run.kernel, model: run.model, class: v.name, counterexamples: [best, own].filter((x) => x !== undefined) };
  });
}

/** Checks `sc` on `kernel` again, with the command's properties and search options (its budgets): its classes' counterexamples. */
function cellCounterexamples(sc: Scenario, kernel: Kernel, property: string | undefined, options: CheckOptions): ClassCounterexamples[] {
  const run = runCheck(sc, kernel, property, options);
  return run.result.violations.length ? runCounterexamples(run) : [];
}

/** The counterexamples of every violated cell of `result`, checked again on its scenario and kernel. */
export function compareCounterexamples(result: CompareResult, scenarios: readonly Scenario[], kernels: readonly Kernel[], patches: readonly Patch[], options: CheckOptions): ClassCounterexamples[] {
  const out: ClassCounterexamples[] = [];
  for (const c of result.rows.flat()) {
    if (c.drops.length === 0) continue;
    const sc = scenarios.find((s) => s.name === c.scenario);
    const k = kernels.find((x) => x.name === c.kernel) ?? resolveKernel(c.kernel, "kernel", patches);
    // The properties the cell was checked for (a scenario checks those of the result's it supports).
    if (sc) out.push(...cellCounterexamples(sc, k, result.narrowed ? c.properties.join(",") : undefined, options));
  }
  return out;
}
