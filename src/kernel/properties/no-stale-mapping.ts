/**
 * no-stale-mapping, for a control plane that changes the DNAT rule's endpoints: once it is done and every packet is
 * handled, no packet whose lookup came after its last step went to a removed endpoint, and no linked entry maps to one
 * (the next packet of the flow would hit it, and refresh it). A delete sees only linked entries: an entry NATed by the
 * old rule but not yet confirmed survives it (docs/kernel.md, "The control plane").
 */
import { IPS, type Conn } from "../net/conn.js";
import { Fate, type KState } from "../net/state.js";
import type { Scenario } from "../../scenario/scenario.js";
import { NONE, type KernelProperty } from "./property.js";

export const STALE_CLASSES = {
  "unconfirmed-survivor": "the entry was in no bucket when the control plane's dump ran (unconfirmed then, or made afterwards by a packet NATed under the old rules), so no delete saw it",
  "hidden-entry": "the entry was linked by its REPLY node only (NAT_CLASH), which a dump of ORIGINAL nodes never lists",
  "not-reconciled": "no delete of the control plane matches the entry (no delete step, or a filter that misses it)",
} as const;

const DESCRIPTION = "once the control plane is done and every packet handled, no packet went to, and no entry maps to, an endpoint the rule no longer has";

/** The endpoints some earlier set of the rule had and its last set has not. */
export function removedEndpoints(sc: Scenario): { addr: number; port: number }[] {
  const d = sc.dnat;
  if (!d) return [];
  // The sets in force in turn: the first, then one per rule change.
  const sets = [0, ...sc.control.flatMap((op) => (op.kind === "endpoints" ? [op.set] : []))].map((i) => d.sets[i]!);
  const last = sets.at(-1)!;
  return [...new Set(sets.flat())].filter((e) => !last.includes(e)).map((e) => d.endpoints[e]!);
}

/** no-stale-mapping as it applies to scenario `sc` (its removed endpoints and program). */
export function noStaleMappingIn(sc: Scenario | undefined): KernelProperty {
  const removed = sc ? removedEndpoints(sc) : [];
  const n = sc?.control.length ?? 0;
  const reconciles = sc?.control.some((op) => op.kind === "delete") ?? false;
  const stale = (ct: Conn): boolean => removed.some((ep) => ct.reply.src === ep.addr && ct.reply.sport === ep.port);
  const classOf = (s: KState, id: number): string =>
    !reconciles ? "not-reconciled" : !(s.walked & (1 << id)) ? "unconfirmed-survivor" : s.pkts[id]!.replyOnly ? "hidden-entry" : "not-reconciled";
  return {
    name: "no-stale-mapping",
    kind: "terminal",
    description: DESCRIPTION,
    classes: STALE_CLASSES,
    gate: (g) => (g.dnat && g.control.some((op) => op.kind === "endpoints") ? undefined : "needs a control plane that changes the DNAT rule's endpoints (control: - endpoints: [...])"),
    violations(s) {
      if (s.ctl !== n || removed.length === 0) return NONE;
      let out: string[] | undefined;
      const add = (id: number): void => {
        const cls = classOf(s, id);
        if (!out) out = [cls];
        else if (!out.includes(cls)) out.push(cls);
      };
      for (const id of s.table) {
        const ct = s.pkts[id]!.ct!;
        if (!(ct.status & IPS.DYING) && stale(ct)) add(id);
      }
      for (let p = 0; p < s.pkts.length; p++) {
        const q = s.pkts[p]!;
        if (!(s.late & (1 << p)) || q.fate !== Fate.ACCEPTED || q.uses < 0) continue;
        const ct = s.pkts[q.uses]!.ct;
        if (ct && stale(ct)) add(q.uses);
      }
      return out ?? NONE;
    },
  };
}

/** The scenario-free form PROPERTIES lists (its gate and classes); propertyIn binds it to a scenario. */
export const noStaleMapping: KernelProperty = noStaleMappingIn(undefined);

