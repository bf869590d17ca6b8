/** no-drop: no packet is dropped, and each drop named by the race behind it (classify.ts). */
import { dropClassOf, DROP_CLASSES, plainDropClass } from "./classify.js";
import { DROP_WHY, Fate } from "../net/state.js";
import type { Scenario } from "../../scenario/scenario.js";
import { NONE, type KernelProperty } from "./property.js";

/** no-drop, its drops classed as scenario `sc` decides (zones, a table limit; undefined: neither). */
export function noDropIn(sc: Scenario | undefined): KernelProperty {
  const classOf = sc ? dropClassOf(sc) : plainDropClass;
  return {
    name: "no-drop",
    kind: "invariant",
    description: "no packet is dropped by the kernel: at __nf_conntrack_confirm (or, with conntrack-max, for a full table; with a queue, at enqueue or reinject)",
    classes: DROP_CLASSES,
    gate: () => undefined,
    violations(s) {
      let out: string[] | undefined;
      for (let i = 0; i < s.pkts.length; i++) {
        const p = s.pkts[i]!;
        // The queue program's NF_DROP is its decision, not the kernel's.
        if (p.fate !== Fate.DROPPED || p.dropWhy === DROP_WHY.VERDICT) continue;
        const cls = classOf(s, i);
        if (!out) out = [cls];
        else if (!out.includes(cls)) out.push(cls);
      }
      return out ?? NONE;
    },
  };
}

export const noDrop: KernelProperty = noDropIn(undefined);
