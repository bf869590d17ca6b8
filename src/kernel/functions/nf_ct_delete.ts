/**
 * nf_ct_delete, as `conntrack -D` (ctnetlink) or the garbage collector calls
 * it, in its two parts: test_and_set_bit(IPS_DYING_BIT) with no lock held,
 * then (after the destroy event) nf_ct_delete_from_lists, which unlinks both
 * nodes under the bucket locks. Between the two a confirm on another CPU can
 * find the entry linked and DYING (read at gregkh/linux 1129c0011b90).
 */
import { IPS } from "../net/conn.js";
import type { Ctx } from "../kernel.js";
import type { KState } from "../net/state.js";
import { hashRemove } from "../net/table.js";
import type { StepNote } from "../note.js";

/** What the deleter may do to entry `id` now: mark it, unlink it, or nothing. DYING set by a reaper that owes
 * the unlink itself (the gc worker, a lookup: test_and_set_bit made it the owner) is not the deleter's to unlink. */
export function deleteStep(st: KState, id: number): "mark" | "unlink" | undefined {
  const ct = st.pkts[id]!.ct;
  if (!ct || !st.table.includes(id)) return undefined;
  if (!(ct.status & IPS.DYING)) return "mark";
  return st.gc === id || st.pkts.some((p) => p.reaping === id) ? undefined : "unlink";
}

export function nf_ct_delete(ctx: Ctx, st: KState, id: number): StepNote {
  if (deleteStep(st, id) === "mark") {
    st.pkts[id]!.ct!.status |= IPS.DYING;
    return ctx.explain ? { kind: "delete-mark", id } : "";
  }
  hashRemove(st, id);
  return ctx.explain ? { kind: "delete-unlink", id } : "";
}
