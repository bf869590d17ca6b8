/**
 * flush-empties, for a control plane that flushes (`conntrack -F`): once the flush is done, no entry that was linked
 * when it began is still linked (an entry a reaper is unlinking, DYING, is on its way out). Entries confirmed during
 * the flush are not its concern. v5.6's get_next_corpse visited ORIGINAL nodes only and so never reached a NAT_CLASH
 * entry, linked by its REPLY node alone; 54ab49fde956 (v5.7) fixed it (docs/kernel.md, "The control plane").
 */
import { IPS } from "../net/conn.js";
import type { KState } from "../net/state.js";
import type { Scenario } from "../../scenario/scenario.js";
import { NONE, type KernelProperty } from "./property.js";

export const FLUSH_CLASSES = {
  "nat-clash-missed": "an entry linked by its REPLY node only (NAT_CLASH) outlived the flush: the walk visits ORIGINAL nodes only",
  missed: "an entry linked when the flush began outlived it",
} as const;

/** flush-empties as it applies to scenario `sc` (where its flushes are in the program). */
export function flushEmptiesIn(sc: Scenario | undefined): KernelProperty {
  const prog = sc?.control ?? [];
  const flushes = prog.flatMap((op, i) => (op.kind === "flush" ? [i] : []));
  /** Is a flush done, and no later one under way (whose `flushed` mask would be its own)? */
  const flushDone = (s: KState): boolean => {
    if (s.ctl >= prog.length) return flushes.length > 0;
    if (prog[s.ctl]!.kind === "flush" && s.ctlPhase !== 0) return false;
    return flushes.some((i) => i < s.ctl);
  };
  return {
    name: "flush-empties",
    kind: "invariant",
    description: "after a flush (conntrack -F), no entry linked when it began is still linked",
    classes: FLUSH_CLASSES,
    gate: (g) => (g.control.some((op) => op.kind === "flush") ? undefined : "needs a control plane that flushes (control: - flush)"),
    violations(s) {
      if (s.flushed === 0 || !flushDone(s)) return NONE;
      let out: string[] | undefined;
      for (const id of s.table) {
        const q = s.pkts[id]!;
        if (!(s.flushed & (1 << id)) || q.ct!.status & IPS.DYING) continue;
        const cls = q.replyOnly ? "nat-clash-missed" : "missed";
        if (!out) out = [cls];
        else if (!out.includes(cls)) out.push(cls);
      }
      return out ?? NONE;
    },
  };
}

export const flushEmpties: KernelProperty = flushEmptiesIn(undefined);
