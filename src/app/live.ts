/** What the model says a live run (`conntrack-mc live`, src/live/) of a scenario on a kernel variant can show. */
import { runCheck, stoppedBy } from "./check.js";
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
}

/** Searches `sc` on `variant` for what a live run can show; a search that stops early is an IncompleteError. */
export function livePrediction(sc: Scenario, variant: string): LivePrediction {
  // The live run always gets answers back for UDP, so the model does too; a control plane's stream is one-way.
  const model = sc.protocol === "udp" && !sc.control.length ? { ...sc, replies: true } : sc;
  const kernel = resolveKernel(variant);
  const outcomes = new RunOutcomes();
  const drops = runCheck(model, kernel, "no-drop", { visit: outcomes.visit }).result;
  const lost = model.replies ? runCheck(model, kernel, "all-replied").result : undefined;
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
  };
}
