/** What the model says a live run (`conntrack-mc live`, src/live/) of a scenario on a kernel variant can show. */
import { runCheck, stoppedBy, type CheckRun } from "./check.js";
import { violationProbability } from "../engine/probability.js";
import { IncompleteError } from "../errors.js";
import { RunOutcomes, type Counters } from "../kernel/properties/outcomes.js";
import { resolveKernel } from "../kernel/variants.js";
import type { Scenario } from "../scenario/scenario.js";

export interface LivePrediction {
  /** A packet can be dropped. */
  readonly drop: boolean;
  /** A reply can be lost; undefined when the scenario has no replies (TCP). */
  readonly lost: boolean | undefined;
  /** A clash can be resolved (the packet goes on with the other entry). */
  readonly resolved: boolean;
  /** The counter totals one run can leave. */
  readonly counters: Counters[];
  /** A stale mapping can outlive the control plane; undefined without a rule change. */
  readonly stale?: boolean;
  /** Shares of schedules under a uniform scheduler (not rates): see live/run.ts Prediction. */
  readonly share?: { readonly drop?: number; readonly lost?: number };
}

/** Searches `sc` on `variant` for what a live run can show; a search that stops early is an IncompleteError. */
export function livePrediction(sc: Scenario, variant: string): LivePrediction {
  // The live run always gets answers back for UDP, so the model does too; a control plane's stream is one-way.
  const model = sc.protocol === "udp" && !sc.control.length ? { ...sc, replies: true } : sc;
  const kernel = resolveKernel(variant);
  const outcomes = new RunOutcomes();
  const dropRun = runCheck(model, kernel, "no-drop", { visit: outcomes.visit });
  const lostRun = model.replies ? runCheck(model, kernel, "all-replied") : undefined;
  const drops = dropRun.result;
  const lost = lostRun?.result;
  const stale = model.control.some((op) => op.kind === "endpoints") ? runCheck(model, kernel, "no-stale-mapping").result : undefined;
  for (const r of [drops, ...(lost ? [lost] : []), ...(stale ? [stale] : [])]) {
    if (!r.complete) throw new IncompleteError(`live: the model's ${r.properties.join(", ")} search of ${sc.name} on ${variant} stopped early (${stoppedBy(r)}, after ${r.states} states): nothing to compare the kernel with`);
  }
  return {
    drop: drops.verdict === "violated",
    lost: lost ? lost.verdict === "violated" : undefined,
    resolved: outcomes.clashResolved,
    counters: outcomes.counterSets(),
    ...(stale ? { stale: stale.verdict === "violated" } : {}),
    share: { ...shareOf(dropRun, "drop"), ...(lostRun ? shareOf(lostRun, "lost") : {}) },
  };
}

/** The share of schedules that violate the run's property under a uniform scheduler, keyed `key`; nothing when the
 * probability graph does not finish under the default memory bound. */
function shareOf(run: CheckRun, key: "drop" | "lost"): { drop?: number; lost?: number } {
  const p = violationProbability(run.model, run.properties, {});
  return p.complete ? { [key]: p.probability } : {};
}
