/** The properties a scenario can be checked against. */
import type { Property } from "../engine/model.js";
import { classifyDrop } from "./classify.js";
import { Fate, type KState } from "./state.js";

export const noDrop: Property<KState> = {
  name: "no-drop",
  kind: "invariant",
  description: "no packet is dropped at __nf_conntrack_confirm",
  violations(s) {
    const out: string[] = [];
    for (const p of s.pkts) {
      if (p.fate !== Fate.DROPPED) continue;
      const cls = classifyDrop(p.ct!, s.pkts[p.clashWith]!.ct!);
      if (!out.includes(cls)) out.push(cls);
    }
    return out;
  },
};

export const PROPERTIES: readonly Property<KState>[] = [noDrop];
