/**
 * S1 and S2: nf_conntrack_in -> resolve_normal_ct. The lookup is lockless
 * (RCU) and sees only confirmed entries; on a miss init_conntrack allocates a
 * private entry that no other CPU can see until it is confirmed.
 */
import { Pc, type KState } from "../net/state.js";
import type { Ctx } from "../kernel.js";
import { gcFirstHalf, gcSecondHalf, lookupAccepts, reapUnlink, walkFor } from "./nf_ct_gc_expired.js";
import { findNode, type Dir, type Hit } from "../net/table.js";
import { IPS } from "../net/conn.js";
import { nf_ct_is_expired } from "./time.js";
import { allocSlot, incarnation, incarnationBefore, unlinkKilled } from "./recycle.js";

import { invert, type Tuple } from "../net/tuple.js";
import { protoTuple } from "../net/proto.js";
import { acceptQuery, dropQuery } from "./verdict.js";
import { nf_conntrack_handle_packet } from "./nf_conntrack_handle_packet.js";
import { packetZone, zoneMatch } from "../net/zone.js";
import type { SlotNote, StepNote } from "../note.js";

/** The tuple packet `p` was sent with (its ORIGINAL direction before any NAT): what S1 looks up and S2 allocates. */
export function packetTuple(ctx: Ctx, p: number): Tuple {
  const spec = ctx.sc.packets[p]!;
  return protoTuple(ctx.sc.protocol, spec.from.addr, spec.from.port, spec.to.addr, spec.to.port);
}

/** S1: __nf_conntrack_find_get on the packet's tuple, either direction, in the
 * packet's template zone (nf_ct_zone_tmpl; each node matches with its direction's
 * id, nf_ct_key_equal). A hit means NAT is already set up and confirm has nothing
 * to do: accepted. From v5.15 a miss looks up once more with the REPLY id
 * (b16ac3c4c886) only because the zone is hashed; the match test is the same. */
export function __nf_conntrack_find_get(ctx: Ctx, st: KState, p: number): StepNote {
  const pkt = st.pkts[p]!;
  /** A hit on entry `id` by its node of direction `dir`: the tracker, and the packet is accepted. */
  const hitOn = (id: number, dir: Dir, reaped = -1): StepNote => {
    pkt.uses = id;
    const tracker = nf_conntrack_handle_packet(ctx, st, id, dir);
    acceptQuery(ctx, st, p);
    return ctx.explain ? { kind: "hit", id, dir, ...(tracker ? { tracker } : {}), ...(reaped >= 0 ? { reaped } : {}) } : "";
  };
  // Recycled memory: the walk's moves are steps of their own (recycle.ts).
  if (ctx.sc.recycle) return lockless_find_get(ctx, st, p, hitOn);
  // A reap this lookup began (v4.9+, timed): the unlink, then the walk goes on.
  const reaped = pkt.reaping;
  if (reaped >= 0) {
    reapUnlink(st, reaped);
    pkt.reaping = -1;
  }
  const was = reaped >= 0 ? { reaped } : {};
  const found = walkFor(ctx, st, packetTuple(ctx, p), zoneMatch(ctx.sc, packetZone(ctx.sc, p)), "later", lookupAccepts(ctx, st));
  if (found && "reaping" in found) {
    pkt.reaping = found.reaping;
    return ctx.explain ? { kind: "expired-kill", id: found.reaping, ...was } : "";
  }
  if (found) return hitOn(found.id, found.dir, reaped);
  pkt.pc = Pc.ALLOC;
  return ctx.explain ? { kind: "miss", ...was } : "";
}

/** A raw-table NOTRACK rule (priority -300) ran first: the packet is untracked,
 * nf_conntrack_in skips it and no entry, lookup or NAT exists for it. */
export function raw_notrack(ctx: Ctx, st: KState, p: number): StepNote {
  acceptQuery(ctx, st, p);
  return ctx.explain ? { kind: "notrack" } : "";
}

/** S2: init_conntrack: ORIGINAL = the packet's tuple, REPLY = its inverse, status 0.
 * It also copies the template's zone into the entry (nf_ct_zone_add): static per
 * entry, so the model reads it from the scenario (zone.ts: nf_ct_zone). First
 * __nf_conntrack_alloc counts it against nf_conntrack_max (early_drop.ts; `choice`:
 * what early_drop meets); when that fails the packet is dropped, counted in `drop`. */
export function init_conntrack(ctx: Ctx, st: KState, p: number, choice = 0): StepNote {
  const pkt = st.pkts[p]!;
  // Only traces name what early_drop evicted: the search's steps allocate nothing for it.
  const before = ctx.explain && ctx.sc.conntrackMax > 0 ? st.table.filter((id) => !st.pkts[id]!.evicted) : undefined;
  if (!ctx.k.__nf_conntrack_alloc(ctx, st, p, choice)) {
    st.stats[ctx.sc.packets[p]!.cpu]!.drop++;
    dropQuery(st, p);
    return ctx.explain ? { kind: "table-full", max: ctx.sc.conntrackMax } : "";
  }
  // Recycled memory: the entry takes free slot `choice` (a freed entry's memory) or a new one.
  const slot = ctx.sc.recycle ? slotNote(ctx, st, p, choice) : undefined;
  const t = packetTuple(ctx, p);
  pkt.ct = { orig: t, reply: invert(t), status: 0, timeout: 0, streamTs: 0 };
  pkt.uses = p;
  // The rule's CT template gives the entry its timeout extension, pointing at the policy (nf_ct_timeout_ext_add).
  if (ctx.sc.timeoutPolicy !== undefined && st.policyState === 0) st.policy |= 1 << p;
  pkt.pc = ctx.sc.natTable && ctx.sc.packets[p]!.nat ? Pc.DNAT : Pc.CONFIRM;
  // nf_conntrack_in runs the tracker on the first packet too, once resolve_normal_ct made its entry.
  const tracker = nf_conntrack_handle_packet(ctx, st, p, "ORIGINAL");
  // The search asks for no words: none are built for it.
  if (!ctx.explain) return "";
  const evicted = before?.filter((id) => st.pkts[id]!.evicted) ?? [];
  return { kind: "new-entry", max: ctx.sc.conntrackMax, evicted, ...(slot ? { slot } : {}), ...(tracker ? { tracker } : {}) };
}

/** init_conntrack's allocation from the slab in a `recycle` scenario (free slot `choice`, or a new one); where it
 * went, for traces (undefined without ctx.explain). */
function slotNote(ctx: Ctx, st: KState, p: number, choice: number): SlotNote | undefined {
  const was = ctx.explain ? incarnationBefore(st, choice) : -1;
  const reused = allocSlot(st, p, choice);
  if (!ctx.explain) return undefined;
  return { slot: st.pkts[p]!.slot, reused, was };
}

/** The nodes a lookup for packet `p` may reach, newest first: linked, with its key (either direction, zone
 * matched), past `after` (the entry whose node it last looked at and went past) while that is still linked; with
 * `skipDying` (the walk of v4.6-v5.2, lookupSkipsDying) none that is DYING. */
function reachable(ctx: Ctx, st: KState, p: number, after: number, skipDying: boolean): Hit[] {
  const out: Hit[] = [];
  const collect = (id: number, dir: Dir): boolean => {
    if (!skipDying || !(st.pkts[id]!.ct!.status & IPS.DYING)) out.push({ id, dir });
    return false; // every one, not the first
  };
  findNode(st, packetTuple(ctx, p), collect, zoneMatch(ctx.sc, packetZone(ctx.sc, p)));
  const i = after >= 0 ? out.findIndex((h) => h.id === after) : -1;
  return i >= 0 ? out.slice(i + 1).filter((h) => h.id !== after) : out;
}

/** S1 in a `recycle` scenario, one lockless move a step: the unlink a kill owes (under the locks, which it
 * waits for); reaching a node (a pointer, no reference); or looking at what the reached slot holds now:
 * expired -> nf_ct_gc_expired (refcount_inc_not_zero, nf_ct_should_gc, nf_ct_kill: DYING now, the unlink
 * next step), else refcount_inc_not_zero and nf_ct_key_equal again: a hit, a miss, or (v4.6-v5.2) a walk again. */
export function lockless_find_get(ctx: Ctx, st: KState, p: number, hit: (id: number, dir: Dir) => StepNote): StepNote {
  const pkt = st.pkts[p]!;
  if (pkt.halfGc >= 0) {
    const id = pkt.halfGc;
    pkt.halfGc = -1;
    return gcSecondHalf(ctx, st, id, pkt.readerSaw, () => void (pkt.reaping = id));
  }
  if (pkt.reaping >= 0) {
    const id = pkt.reaping;
    pkt.reaping = -1;
    if (!unlinkKilled(ctx, st, id, pkt.readerSaw)) return ctx.explain ? { kind: "unlink-crash", id } : "";
    reapUnlink(st, id);
    pkt.readerSaw = -1;
    return ctx.explain ? { kind: "walk-unlinked", id } : "";
  }
  if (pkt.reader < 0) {
    // Until 87e389b4c200 (v5.3) ____nf_conntrack_find passes over DYING nodes.
    const node = reachable(ctx, st, p, pkt.readerSaw, ctx.k.lookupSkipsDying())[0];
    if (!node) {
      pkt.readerSaw = -1;
      pkt.pc = Pc.ALLOC;
      return ctx.explain ? { kind: "miss" } : "";
    }
    pkt.reader = st.pkts[node.id]!.slot;
    pkt.readerSaw = node.id;
    return ctx.explain ? { kind: "walk-reaches", id: node.id, dir: node.dir, slot: pkt.reader } : "";
  }
  const saw = pkt.readerSaw;
  const cur = incarnation(st, pkt.reader);
  pkt.reader = -1;
  // The memory's timeout: the entry it holds now, or the freed one's, which refcount_inc_not_zero then refuses.
  const mem = cur >= 0 ? cur : saw;
  if (ctx.k.nf_ct_gc_expired && nf_ct_is_expired(ctx, st, mem)) {
    return gcFirstHalf(ctx, st, cur, saw, (id) => void (pkt.halfGc = id));
  }
  // Not expired: a reference, then the key again. Until 87e389b4c200 (v5.3) a DYING candidate is refused and a
  // recycled one sends the walk back to the start; from it any candidate still holding the key is a hit, and a recycled one a miss.
  const skipsDying = ctx.k.lookupSkipsDying();
  // nf_ct_key_equal again: the key, whatever DYING says (a DYING candidate is refused below, not walked past).
  const still = cur >= 0 ? reachable(ctx, st, p, -1, false).find((h) => h.id === cur) : undefined;
  pkt.readerSaw = -1;
  const dying = still !== undefined && (st.pkts[cur]!.ct!.status & IPS.DYING) !== 0;
  if (still && !(skipsDying && dying)) return hit(cur, still.dir);
  if (skipsDying && cur >= 0 && !still) return ctx.explain ? { kind: "walk-restart", now: cur !== saw ? cur : -1 } : "";
  pkt.pc = Pc.ALLOC;
  if (!ctx.explain) return "";
  if (cur < 0) return { kind: "lockless-miss", reason: "freed" };
  return still ? { kind: "lockless-miss", reason: "dying", id: cur } : { kind: "lockless-miss", reason: "key-changed", now: cur !== saw ? cur : -1 };
}
