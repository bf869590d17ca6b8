/**
 * What the control plane does to the table (docs/kernel.md, "The control plane"): user space's `conntrack -D` with a
 * filter (conntrack-tools dumps the table through ctnetlink, then sends a delete by ORIGINAL tuple for each match,
 * without the entry's id), `conntrack -F` (ctnetlink_flush_conntrack -> nf_ct_iterate_cleanup_net) and a helper's
 * unregistration (nf_conntrack_helper_unregister, nf_ct_iterate_destroy from v4.13). Each walks the hash table, so it
 * sees only linked entries: an entry between init_conntrack and confirm is in no bucket and outlives it.
 */
import type { Ctx } from "../kernel.js";
import { Pc, type KState } from "../net/state.js";
import { IPS } from "../net/conn.js";
import { findNode } from "../net/table.js";
import { zoneMatch, nf_ct_zone } from "../net/zone.js";
import type { DeleteFilter } from "../../scenario/scenario.js";
import { deleteStep } from "./nf_ct_delete.js";
import type { StepNote } from "../note.js";

/** The linked entries, as a bit mask by entry. */
export function linkedMask(st: KState): number {
  let m = 0;
  for (const id of st.table) m |= 1 << id;
  return m;
}

/** Does entry `id` pass `conntrack -D`'s filter? An absent field matches every entry. */
function matches(ctx: Ctx, st: KState, id: number, f: DeleteFilter): boolean {
  const ct = st.pkts[id]!.ct!;
  if (f.protocol !== undefined && f.protocol !== ctx.sc.protocol) return false;
  if (f.origDst && (ct.orig.dst !== f.origDst.addr || ct.orig.dport !== f.origDst.port)) return false;
  return !f.replySrc || (ct.reply.src === f.replySrc.addr && ct.reply.sport === f.replySrc.port);
}

/** ctnetlink_dump_table: the entries a dump lists that pass the filter, as a mask. The dump walks ORIGINAL nodes only
 * (`if (NF_CT_DIRECTION(h) != IP_CT_DIR_ORIGINAL) continue;`), in every release: an entry linked by its REPLY node
 * alone (a NAT_CLASH entry, v5.6+) is never listed, so never deleted this way. */
export function ctnetlink_dump_table(ctx: Ctx, st: KState, f: DeleteFilter): number {
  let m = 0;
  for (const id of st.table) if (!st.pkts[id]!.replyOnly && matches(ctx, st, id, f)) m |= 1 << id;
  return m;
}

/** Up to v4.12 a flush's walk ends with the unconfirmed lists, setting DYING on every entry there (kill_all accepts
 * each), which confirm then drops (iterateUnconfirmed). The model does it at the walk's first step: the kernel's
 * walk reaches them at some instant of the flush. Returns the entries marked. */
export function flushUnconfirmed(ctx: Ctx, st: KState): number[] {
  if (!ctx.k.iterateUnconfirmed()) return [];
  const hit: number[] = [];
  for (let p = 0; p < st.pkts.length; p++) {
    if (!unconfirmed(st, p)) continue;
    st.pkts[p]!.ct!.status |= IPS.DYING;
    hit.push(p);
  }
  return hit;
}

/** The entries nf_ct_iterate_cleanup's walk reaches (get_next_corpse, per release), as a mask. */
export function iterateMask(ctx: Ctx, st: KState): number {
  let m = 0;
  for (const id of st.table) if (ctx.k.get_next_corpse(ctx, st, id)) m |= 1 << id;
  return m;
}

/** The entry a delete for dumped entry `id` reaches: ctnetlink_del_conntrack looks the dumped ORIGINAL tuple up
 * (nf_conntrack_find_get, in the entry's zone) and, with no CTA_ID in the request, deletes whatever entry holds it
 * now: `id` itself while it is linked, a newer entry of the same tuple once it is gone. -1: ENOENT. */
export function delTarget(ctx: Ctx, st: KState, id: number): number {
  // The lookup passes over DYING entries up to v5.2 (lookupSkipsDying).
  const skipDying = ctx.k.lookupSkipsDying();
  const h = findNode(st, st.pkts[id]!.ct!.orig, skipDying ? (x) => !(st.pkts[x]!.ct!.status & IPS.DYING) : undefined, zoneMatch(ctx.sc, nf_ct_zone(ctx.sc, id)));
  return h ? h.id : -1;
}

/** One step of a delete (ctnetlink_del_conntrack) or a flush (nf_ct_iterate_cleanup) on entry `id`, which the walk
 * holds: nf_ct_delete's next part, the kernel's (ctx.k, which a patch may override). An entry the walk marked is
 * unlinked next; an entry no longer linked, or a reaper's to unlink, is passed over. Returns the entry the walk
 * holds after the step (-1: none, on to the next) and the step's note. For a delete, `id` is the dumped entry,
 * looked up by its tuple first (delTarget) unless the walk marked it already. */
export function deleteVisit(ctx: Ctx, st: KState, id: number, byTuple: boolean): { readonly holds: number; readonly note: StepNote } {
  const ours = deleteStep(st, id) === "unlink";
  const target = ours || !byTuple ? id : delTarget(ctx, st, id);
  if (target < 0 || deleteStep(st, target) === undefined) return { holds: -1, note: ctx.explain ? { kind: "delete-enoent", id } : "" };
  const note = ctx.k.nf_ct_delete(ctx, st, target);
  // Another entry holds the dumped tuple now: its delete is one request, run to its end in this step, so that the
  // walk's next step is not another entry's while this one is half deleted.
  if (target !== id && st.table.includes(target) && deleteStep(st, target) === "unlink") ctx.k.nf_ct_delete(ctx, st, target);
  return { holds: st.table.includes(target) && target === id ? target : -1, note };
}

/** Is packet `p` inside the RCU read section of its softirq pass, between S1 and the end of confirm? A
 * synchronize_net waits for every such packet (the model's steps of one pass are one softirq run). */
export function inRcuSection(st: KState, p: number): boolean {
  const pc = st.pkts[p]!.pc;
  return pc !== Pc.LOOKUP && pc !== Pc.DONE;
}

/** An entry between init_conntrack and confirm: allocated, not confirmed, not released. */
export function unconfirmed(st: KState, p: number): boolean {
  const q = st.pkts[p]!;
  return q.ct !== null && !q.freed && !(q.ct.status & IPS.CONFIRMED) && q.pc !== Pc.DONE;
}

/** The stages of a timeout policy's removal: the rule that attaches it goes (new entries no longer get it), then
 * `nfct timeout delete`: nf_ct_untimeout (the table walk, get_next_corpse's reach) clears the linked entries'
 * pointers, and the policy is freed (docs/kernel.md, "The control plane"). */
export type TimeoutStage = "rule-removed" | "untimeout" | "free";
export const TIMEOUT_STAGES: readonly TimeoutStage[] = ["rule-removed", "untimeout", "free"];

/** Is entry `p` one that can still be used: unconfirmed, or linked? */
const alive = (st: KState, p: number): boolean => unconfirmed(st, p) || st.table.includes(p);

/** One stage of a timeout policy's removal; the entries whose pointer it cleared, or (freed) those that still point
 * at the policy. From 7d6a9cdb8d3a (v7.2) an entry's extension holds a reference: "free" only detaches the policy
 * while an entry still refers to it. */
export function timeoutRemovalStage(ctx: Ctx, st: KState, stage: TimeoutStage): StepNote {
  const hit: number[] = [];
  if (stage === "rule-removed") st.policyState = 1;
  else if (stage === "untimeout") {
    for (const id of st.table) {
      if (st.policy & (1 << id) && ctx.k.get_next_corpse(ctx, st, id)) {
        st.policy &= ~(1 << id);
        hit.push(id);
      }
    }
    // Up to v4.12 the walk goes on through the unconfirmed lists (iterateUnconfirmed).
    if (ctx.k.iterateUnconfirmed()) {
      for (let p = 0; p < st.pkts.length; p++) {
        if (st.policy & (1 << p) && unconfirmed(st, p)) {
          st.policy &= ~(1 << p);
          hit.push(p);
        }
      }
    }
  } else {
    for (let p = 0; p < st.pkts.length; p++) if (st.policy & (1 << p) && alive(st, p)) hit.push(p);
    if (!ctx.k.timeoutRefcounted() || hit.length === 0) st.policyState = 2;
  }
  return ctx.explain ? { kind: "timeout-removal", stage, entries: hit, freed: st.policyState === 2 } : "";
}

/** Entries that still point at a freed timeout policy (a use after free when the entry is next used). */
export function freedPolicyUsers(st: KState): number[] {
  if (st.policyState !== 2) return [];
  const out: number[] = [];
  for (let p = 0; p < st.pkts.length; p++) if (st.policy & (1 << p) && alive(st, p)) out.push(p);
  return out;
}

/** The stages of a helper's unregistration on this kernel, in order (docs/kernel.md, "A helper removed"). */
export type RemovalStage = "unconfirmed-destroy" | "synchronize_net" | "bump-genid" | "iterate";

export function removalStages(ctx: Ctx): readonly RemovalStage[] {
  const k = ctx.k;
  return [...(k.unconfirmedDyingOnDestroy() ? (["unconfirmed-destroy"] as const) : []), ...(k.extGenid() ? (["synchronize_net", "bump-genid"] as const) : []), "iterate"];
}

/** One stage of nf_conntrack_helper_unregister. "unconfirmed-destroy" (__nf_ct_unconfirmed_destroy, v4.13-v5.18) sets
 * DYING on every unconfirmed entry, which confirm then drops; "synchronize_net" waits for the packets in softirq (the
 * actor offers it only when none is); "bump-genid" (v5.19-v7.1) makes every unconfirmed entry's stamp stale;
 * "iterate" is the walk that clears the helper of the linked entries (nf_ct_iterate_cleanup with unhelp), which
 * changes nothing the model holds. */
export function helperRemovalStage(ctx: Ctx, st: KState, stage: RemovalStage): StepNote {
  const hit: number[] = [];
  if (stage === "unconfirmed-destroy" || stage === "bump-genid") {
    for (let p = 0; p < st.pkts.length; p++) {
      if (!unconfirmed(st, p)) continue;
      if (stage === "unconfirmed-destroy") st.pkts[p]!.ct!.status |= IPS.DYING;
      else st.stale |= 1 << p;
      hit.push(p);
    }
  }
  return ctx.explain ? { kind: "helper-removal", stage, entries: hit } : "";
}
