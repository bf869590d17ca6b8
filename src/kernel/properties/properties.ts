/** The table of properties a scenario can be checked against, in the order reports list them. */
import type { Property } from "../../engine/model.js";
import type { KState } from "../net/state.js";
import type { Scenario } from "../../scenario/scenario.js";
import { perScenario } from "../../scenario/per-scenario.js";
import type { KernelProperty } from "./property.js";
import { noDrop, noDropIn } from "./no-drop.js";
import { allReplied } from "./all-replied.js";
import { noCrash } from "./no-crash.js";
import { noLostEntry } from "./no-lost-entry.js";
import { noNeedlessRewrite } from "./no-needless-rewrite.js";
import { noStaleMapping, noStaleMappingIn } from "./no-stale-mapping.js";
import { flushEmpties, flushEmptiesIn } from "./flush-empties.js";
import { noFreedPolicy } from "./no-freed-policy.js";
import { noWarn } from "./no-warn.js";
import { noStaleCt } from "./no-stale-ct.js";
import { timeoutAsSet } from "./timeout-as-set.js";

export type { KernelProperty } from "./property.js";
export { noDrop } from "./no-drop.js";
export { allReplied, REPLY_CLASSES } from "./all-replied.js";
export { noCrash } from "./no-crash.js";
export { noLostEntry } from "./no-lost-entry.js";
export { noNeedlessRewrite } from "./no-needless-rewrite.js";
export { noStaleMapping } from "./no-stale-mapping.js";
export { flushEmpties } from "./flush-empties.js";
export { noFreedPolicy } from "./no-freed-policy.js";
export { noWarn } from "./no-warn.js";
export { noStaleCt } from "./no-stale-ct.js";
export { timeoutAsSet } from "./timeout-as-set.js";

/** Which scenarios each property applies to, in one line for reports (each property's gate, in words). */
export const PROPERTY_GATES =
  "no-drop; all-replied with replies; no-crash and no-lost-entry with recycle; no-needless-rewrite on a host of null bindings; no-stale-mapping with a rule change; flush-empties with a flush; no-freed-policy with a timeout policy removed; no-warn and no-stale-ct with queued or copied packets; timeout-as-set with a queue verdict's timeout";

export const PROPERTIES: readonly KernelProperty[] = [noDrop, allReplied, noCrash, noLostEntry, noNeedlessRewrite, noStaleMapping, flushEmpties, noFreedPolicy, noWarn, noStaleCt, timeoutAsSet];

/** no-drop as it applies to a scenario, one per scenario, so that a property is the same object wherever it is asked for. */
const BOUND = new WeakSet<Property<KState>>();
/** A property's form bound to one scenario, made once per scenario. */
const boundOnce = (make: (sc: Scenario) => KernelProperty): ((sc: Scenario) => KernelProperty) =>
  perScenario((sc) => {
    const p = make(sc);
    BOUND.add(p);
    return p;
  });
const noDropOf = boundOnce(noDropIn);
const noStaleMappingOf = boundOnce(noStaleMappingIn);
const flushEmptiesOf = boundOnce(flushEmptiesIn);

/** Property `p` (one of PROPERTIES) as it applies to scenario `sc`: no-drop of a scenario with zones
 * classes a drop between equal tuples in different zones as zone-clash, and of one with
 * conntrack-max a drop without an entry as table-full (no-entry elsewhere); otherwise `p` itself. */
export function propertyIn(p: Property<KState>, sc: Scenario): Property<KState> {
  // The control plane's properties read the scenario's program and endpoints.
  if (p === noStaleMapping) return noStaleMappingOf(sc);
  if (p === flushEmpties) return flushEmptiesOf(sc);
  return p === noDrop && (sc.packets.some((q) => q.zone !== undefined) || sc.conntrackMax > 0 || sc.chains !== undefined) ? noDropOf(sc) : p;
}

/** One of PROPERTIES, or one as it applies to a scenario: another thread can rebuild it by name. */
export function isBuiltinProperty(p: Property<KState>): boolean {
  return PROPERTIES.includes(p as KernelProperty) || BOUND.has(p);
}

/** The properties scenario `sc` supports (each whose gate lets it), as they apply to it. */
export function propertiesOf(sc: Scenario): Property<KState>[] {
  return PROPERTIES.filter((p) => p.gate(sc) === undefined).map((p) => propertyIn(p, sc));
}

/** What class `name` of any built-in property means, or "". */
export function classMeaning(name: string): string {
  for (const p of PROPERTIES) if (Object.hasOwn(p.classes, name)) return p.classes[name]!;
  return "";
}
