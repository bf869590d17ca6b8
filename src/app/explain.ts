/**
 * Why a counterexample violates its property. A decisive step is one where a
 * packet was dropped or its reply became lost, misrouted or unanswered; its
 * cause is the earlier step that made it so. Both are read from the path's
 * states (tables, entries, `uses`), never from the steps' notes, so what a
 * trace marks is what the states show.
 *
 * Cause rules, by what the decisive step shows:
 * - dropped (race1/2/3, reply-clash, ...): "linked", the last step that linked
 *   the entry the loser clashed with (clashWith) into the hash table.
 * - reply-lost: "entry-removed", the last step after which an entry holding
 *   the tuple the reply was sent to was no longer found by a lookup
 *   (____nf_conntrack_find skips DYING entries, so for conntrack -D that is
 *   nf_ct_delete's test_and_set_bit(IPS_DYING_BIT), not the later unlink; for
 *   v5.6-5.8 the UDP tracker's nf_ct_kill of a NAT_CLASH entry on its first
 *   reply); else "merged", the __nf_conntrack_confirm that merged the packet
 *   into another entry (its `uses` changed) whose tuples do not carry the reply.
 * - reply-misrouted: "merged", the __nf_conntrack_confirm that merged the
 *   packet into another entry; else "linked", the step that linked the entry
 *   the reply matched.
 * - unanswered: "left-without-dnat", the step where the packet was accepted,
 *   i.e. left the node: the entry it went on with had no DNAT (its REPLY
 *   source is still the service address), and nothing later changes where an
 *   accepted query went.
 * "none" when no step fits (the decisive step is then its own explanation).
 */
import type { Path } from "../engine/path.js";
import { classOfDrop } from "../kernel/properties/classify.js";
import { nf_ct_zone, zoneMatch } from "../kernel/net/zone.js";
import { IPS } from "../kernel/net/conn.js";
import type { ConntrackModel, Move } from "../model/model.js";
import { allReplied, noCrash, noDrop, noLostEntry } from "../kernel/properties/properties.js";
import { CRASH, crashClasses } from "../kernel/functions/recycle.js";
import { Fate, Reply, type KState } from "../kernel/net/state.js";
import { packetTuple } from "../kernel/functions/resolve_normal_ct.js";
import { replySentTo } from "../kernel/functions/reply.js";
import { evictedHolder } from "../kernel/functions/early_drop.js";
import { expiredHolder } from "../kernel/functions/nf_ct_gc_expired.js";
import { formatMs } from "../kernel/functions/time.js";
import { findNode, lookup } from "../kernel/net/table.js";
import { formatTuple, invert, tupleEqual, type Tuple } from "../kernel/net/tuple.js";

/** What a decisive step did to its packet. */
export type Outcome = "dropped" | "reply-lost" | "reply-misrouted" | "unanswered" | "reply-evicted" | "reply-expired" | "crash";

export type CauseRule = "killed" | "linked" | "entry-removed" | "evicted" | "expired" | "merged" | "left-without-dnat" | "none";

export interface Explanation {
  /** The packet whose query or reply went wrong. */
  readonly packet: string;
  /** The violation class the decisive step shows (race2, reply-lost, ...). */
  readonly class: string;
  readonly property: string;
  readonly kind: Outcome;
  /** Step numbers as in the trace (1 = the first step). */
  readonly decisiveStep: number;
  readonly causeStep: number | null;
  /** Which rule found the cause (see the module comment). */
  readonly rule: CauseRule;
  /** One or two sentences a person reads. */
  readonly text: string;
}

const REPLY_OUTCOME: Partial<Record<Reply, Exclude<Outcome, "crash" | "dropped">>> = {
  [Reply.LOST]: "reply-lost",
  [Reply.MISROUTED]: "reply-misrouted",
  [Reply.UNANSWERED]: "unanswered",
  [Reply.EVICTED]: "reply-evicted",
  [Reply.EXPIRED]: "reply-expired",
};

/** What a step from `before` to `after` did to packet `p`, if it is decisive. */
function outcomeAt(before: KState, after: KState, p: number): Exclude<Outcome, "crash"> | undefined {
  const b = before.pkts[p]!;
  const a = after.pkts[p]!;
  if (b.fate !== Fate.DROPPED && a.fate === Fate.DROPPED) return "dropped";
  if (REPLY_OUTCOME[b.reply] === undefined) return REPLY_OUTCOME[a.reply];
  return undefined;
}

/** Entries a lookup of `t` can find in `st`: linked, confirmed, not DYING, by a node holding `t`. */
function holders(st: KState, t: Tuple): Set<number> {
  const out = new Set<number>();
  findNode(st, t, (id) => {
    if (!(st.pkts[id]!.ct!.status & IPS.DYING)) out.add(id);
    return false; // keep walking: every holder, not the first
  });
  return out;
}

/** What the cause finders read: the path's states and moves, and how to name things. */
interface View {
  readonly model: ConntrackModel;
  readonly S: readonly KState[];
  readonly moves: readonly Move[];
  readonly name: (id: number) => string;
  readonly fmt: (t: Tuple) => string;
}

/** A decisive step's class, cause (a step index) and text. */
interface Found {
  readonly cls: string;
  readonly cause?: number;
  readonly rule: CauseRule;
  readonly text: string;
}

/** "step 6 (A's __nf_conntrack_confirm)", "step 8 (nf_ct_delete, conntrack -D)" */
function ref(v: View, i: number): string {
  const m = v.moves[i]!;
  if (m.kind === "tick") return `step ${i + 1} (the clock, to ${formatMs(v.S[i + 1]!.now)})`;
  if (m.kind === "reap") return `step ${i + 1} (${m.function} on ${v.name(m.packet)}'s entry)`;
  return m.kind === "delete" ? `step ${i + 1} (nf_ct_delete, conntrack -D)` : `step ${i + 1} (${v.name(m.packet)}'s ${m.function})`;
}

function entryName(v: View, st: KState, id: number): string {
  return `${v.name(id)}'s ${st.pkts[id]!.ct!.status & IPS.NAT_CLASH ? "NAT_CLASH " : ""}entry`;
}

/** The last step before `end` that linked entry `id` into the hash table. */
function linkedAt(v: View, id: number, end: number): number | undefined {
  for (let i = end - 1; i >= 0; i--) if (!v.S[i]!.table.includes(id) && v.S[i + 1]!.table.includes(id)) return i;
  return undefined;
}

/** The last __nf_conntrack_confirm before `end` that merged packet `p` into another entry (its `uses` changed). */
function mergedAt(v: View, p: number, end: number): number | undefined {
  for (let i = end - 1; i >= 0; i--) {
    const m = v.moves[i]!;
    if (m.kind !== "query" || m.packet !== p || m.function !== "__nf_conntrack_confirm") continue;
    const u = v.S[i + 1]!.pkts[p]!.uses;
    if (v.S[i]!.pkts[p]!.uses !== u && u !== p && u >= 0) return i;
  }
  return undefined;
}

function explainDrop(v: View, d: number, p: number): Found {
  const before = v.S[d]!;
  const loser = v.S[d + 1]!.pkts[p]!;
  if (loser.ct === null) {
    const max = v.model.ctx.sc.conntrackMax;
    if (max === 0) return { cls: "no-entry", rule: "none", text: `${v.name(p)} was dropped at step ${d + 1} (no-entry) before it had an entry: the scenario sets no conntrack-max, so a patch's step dropped it` };
    return {
      cls: "table-full",
      rule: "none",
      text: `${v.name(p)} was dropped at step ${d + 1} (table-full): init_conntrack found ${max} entr${max === 1 ? "y" : "ies"} (nf_conntrack_max ${max}) and early_drop evicted nothing (the kernel's early_drop evicts only entries neither ASSURED nor DYING, and the chains it walked held none it could; an expired one it reaps on the way makes no room for this packet)`,
    };
  }
  const w = loser.clashWith;
  const cls = classOfDrop(v.model.ctx.sc, v.S[d + 1]!, p);
  const chains = v.model.ctx.sc.chains;
  if (w < 0) {
    if (cls === "dying-loser") {
      // Who killed its entry: the step that set DYING on it before this one.
      let kill: number | undefined;
      for (let i = d - 1; i >= 0 && kill === undefined; i--) if (!(v.S[i]!.pkts[p]!.ct!.status & IPS.DYING) && v.S[i + 1]!.pkts[p]!.ct!.status & IPS.DYING) kill = i;
      const by = kill !== undefined ? `, which ${ref(v, kill)} had killed (a reaper whose walk reached its recycled memory)` : "";
      return { cls, ...(kill !== undefined ? { cause: kill } : {}), rule: kill !== undefined ? "killed" : "none", text: `${v.name(p)} was dropped at step ${d + 1} (${cls}) by __nf_conntrack_confirm's test of its own entry: DYING${by}; insert_failed, not inserted` };
    }
    const why = chains ? `its ORIGINAL chain held ${chains.otherNodes} nodes of other flows, past max_chainlen ${chains.maxChainlen} + 1 (d7e7747ac5c2)` : "with no clash (a patch's confirm dropped it)";
    return { cls, rule: "none", text: `${v.name(p)} was dropped at step ${d + 1} (${cls}) by __nf_conntrack_confirm: ${why}` };
  }
  // __nf_conntrack_confirm looks up the ORIGINAL tuple's bucket first, then the REPLY's.
  const sc = v.model.ctx.sc;
  const which = findNode(before, loser.ct!.orig, undefined, zoneMatch(sc, nf_ct_zone(sc, p)))?.id === w ? "ORIGINAL" : "REPLY";
  const cause = linkedAt(v, w, d);
  let text =
    `${v.name(p)} was dropped at step ${d + 1} (${cls}): __nf_conntrack_confirm found its ${which} tuple ` +
    `${v.fmt(which === "ORIGINAL" ? loser.ct!.orig : loser.ct!.reply)} in ${entryName(v, before, w)}${cause !== undefined ? `, linked at ${ref(v, cause)}` : ""}`;
  if (before.pkts[w]!.ct!.status & IPS.DYING) {
    let i = d - 1;
    while (i > 0 && v.S[i]!.pkts[w]!.ct!.status & IPS.DYING) i--;
    text += `, which ${ref(v, i)} had marked DYING`;
  }
  return { cls, ...(cause !== undefined ? { cause } : {}), rule: cause !== undefined ? "linked" : "none", text };
}

function explainLost(v: View, d: number, p: number): Found {
  const who = v.name(p);
  const sent = replySentTo(v.S[d]!, p);
  const lost = `${who}'s reply was lost: it was sent to ${v.fmt(sent)}`;
  // An entry that held the tuple stopped being found: deleted, or marked DYING.
  for (let i = d - 1; i >= 0; i--) {
    const now = holders(v.S[i + 1]!, sent);
    const gone = [...holders(v.S[i]!, sent)].find((id) => !now.has(id));
    if (gone === undefined) continue;
    const m = v.moves[i]!;
    const what = entryName(v, v.S[i]!, gone);
    const how =
      m.kind === "delete"
        ? v.S[i + 1]!.table.includes(gone)
          ? `${ref(v, i)} marked ${what} DYING (test_and_set_bit(IPS_DYING_BIT)), which lookups skip`
          : `${ref(v, i)} unlinked ${what}`
        : m.kind === "reply"
          ? `step ${i + 1} deleted ${what} (nf_ct_kill, as the ${v.model.ctx.sc.protocol.toUpperCase()} tracker saw ${v.name(m.packet)}'s reply)`
          : `${ref(v, i)} removed ${what} from the table`;
    return { cls: "reply-lost", cause: i, rule: "entry-removed", text: `${lost}, which no entry held after ${how}` };
  }
  // Else it went on with an entry that does not carry its reply.
  const i = mergedAt(v, p, d);
  if (i !== undefined) {
    const u = v.S[i + 1]!.pkts[p]!.uses;
    const w = v.S[i + 1]!.pkts[u]!.ct!;
    if (!tupleEqual(w.orig, sent) && !tupleEqual(w.reply, sent)) {
      const everLinked = v.S.some((s) => s.table.includes(p));
      return {
        cls: "reply-lost",
        cause: i,
        rule: "merged",
        text:
          `${lost}, its own entry's REPLY tuple, but ${ref(v, i)} merged ${who} into ${v.name(u)}'s entry, whose tuples ` +
          `(ORIGINAL ${v.fmt(w.orig)}, REPLY ${v.fmt(w.reply)}) do not carry it${v.S[i + 1]!.pkts[p]!.freed ? `, and freed its own entry${everLinked ? "" : ", which was never linked"}` : ""}`,
      };
    }
  }
  return { cls: "reply-lost", rule: "none", text: `${lost}, which no entry held at step ${d + 1}` };
}

function explainMisrouted(v: View, d: number, p: number): Found {
  const who = v.name(p);
  const before = v.S[d]!;
  const sent = replySentTo(before, p);
  const hit = lookup(before, sent)!;
  const x = before.pkts[hit.id]!.ct!;
  const delivered = hit.dir === "REPLY" ? invert(x.orig) : invert(x.reply);
  const expected = invert(packetTuple(v.model.ctx, p));
  const text =
    `${who}'s reply was misrouted: sent to ${v.fmt(sent)}, it matched ${v.name(hit.id)}'s entry (${hit.dir}), which translated it to ` +
    `${v.fmt(delivered)}, not back to ${v.fmt(expected)} where ${who}'s socket waits`;
  const merged = mergedAt(v, p, d);
  if (merged !== undefined) {
    return { cls: "reply-misrouted", cause: merged, rule: "merged", text: `${text}; ${ref(v, merged)} merged ${who} into ${v.name(v.S[merged + 1]!.pkts[p]!.uses)}'s entry` };
  }
  const linked = linkedAt(v, hit.id, d);
  if (linked !== undefined) return { cls: "reply-misrouted", cause: linked, rule: "linked", text: `${text}; ${v.name(hit.id)}'s entry was linked at ${ref(v, linked)}` };
  return { cls: "reply-misrouted", rule: "none", text };
}

function explainUnanswered(v: View, d: number, p: number): Found {
  const before = v.S[d]!;
  // The query left the node when it was accepted; nothing later changes where it went.
  let cause: number | undefined;
  for (let i = d - 1; i >= 0 && cause === undefined; i--) {
    if (v.S[i]!.pkts[p]!.fate !== Fate.ACCEPTED && v.S[i + 1]!.pkts[p]!.fate === Fate.ACCEPTED) cause = i;
  }
  const by = before.pkts[p]!.ct ? "its own entry" : `${v.name(before.pkts[p]!.uses)}'s entry`;
  const text =
    `${v.name(p)}'s query went unanswered: it left ${cause !== undefined ? `at ${ref(v, cause)} ` : ""}with ${by}, whose REPLY tuple ` +
    `${v.fmt(replySentTo(before, p))} still has the service address as its source (no DNAT): it went to the virtual service address, where no host answers`;
  return { cls: "unanswered", ...(cause !== undefined ? { cause } : {}), rule: cause !== undefined ? "left-without-dnat" : "none", text };
}

/** The reply's entry was evicted: the init_conntrack whose early_drop did it. */
function explainEvicted(v: View, d: number, p: number): Found {
  const who = v.name(p);
  const sent = replySentTo(v.S[d]!, p);
  for (let i = d - 1; i >= 0; i--) {
    const gone = evictedHolder(v.S[i + 1]!, sent, (id) => !v.S[i]!.pkts[id]!.evicted);
    if (gone < 0) continue;
    const by = v.name(v.moves[i]!.packet);
    return {
      cls: "reply-evicted",
      cause: i,
      rule: "evicted",
      text: `${who}'s reply was lost: it was sent to ${v.fmt(sent)}, which ${entryName(v, v.S[i]!, gone)} held until ${ref(v, i)}: ${by}'s init_conntrack found the table full and early_drop evicted it (not ASSURED)`,
    };
  }
  return { cls: "reply-evicted", rule: "none", text: `${who}'s reply was lost: the entry that held ${v.fmt(sent)} had been evicted` };
}

/** The reply's entry timed out: the clock's step after which it was expired (the cause), or the merge that
 * gave the packet an entry that had already timed out. */
function explainExpired(v: View, d: number, p: number): Found {
  const who = v.name(p);
  const sent = replySentTo(v.S[d]!, p);
  const ctx = v.model.ctx;
  const id = expiredHolder(ctx, v.S[d + 1]!, p, sent);
  if (id < 0) return { cls: "reply-expired", rule: "none", text: `${who}'s reply was lost: the entry that held ${v.fmt(sent)} had timed out` };
  const ct = v.S[d + 1]!.pkts[id]!.ct!;
  const fixed = ct.status & IPS.FIXED_TIMEOUT ? " (IPS_FIXED_TIMEOUT: no packet refreshes it)" : "";
  const head = `${who}'s reply was lost: it was sent to ${v.fmt(sent)}, which ${entryName(v, v.S[d]!, id)} held until it timed out at ${formatMs(ct.timeout)}${fixed}`;
  // Merged into an entry already past its timeout: the merge is the cause (v6.12 merges into a dying entry too).
  const merge = id !== p ? mergedAt(v, p, d) : undefined;
  if (merge !== undefined && v.S[merge]!.now >= ct.timeout) {
    return { cls: "reply-expired", cause: merge, rule: "merged", text: `${head}; ${ref(v, merge)} had merged ${who} into it after that (at ${formatMs(v.S[merge]!.now)})` };
  }
  let cause: number | undefined;
  for (let i = d - 1; i >= 0 && cause === undefined; i--) if (v.moves[i]!.kind === "tick" && v.S[i]!.now < ct.timeout && v.S[i + 1]!.now >= ct.timeout) cause = i;
  return {
    cls: "reply-expired",
    ...(cause !== undefined ? { cause } : {}),
    rule: cause !== undefined ? "expired" : "none",
    text: `${head}; the reply came at ${formatMs(v.S[d]!.now)}${cause !== undefined ? `, after ${ref(v, cause)}` : ""}`,
  };
}

/** The kernel went wrong at step d (st.crash bits `wrong`): which entry, the kill that caused it and the
 * steps that made the entry the slot's new incarnation. */
function explainCrash(v: View, d: number, wrong: number): Found {
  const cls = crashClasses(wrong)[0]!;
  const m = v.moves[d]!;
  const before = v.S[d]!;
  // The entry the step unlinked or killed: the reaper's (gc) or the lookup's target.
  const after = v.S[d + 1]!;
  // Both are judged at an unlink: of the gc worker's entry, or of the one the lookup's kill left it to unlink.
  const victim = m.kind === "reap" ? m.packet : before.pkts[m.packet]!.reaping;
  if (victim < 0) return { cls, rule: "none", text: `the kernel went wrong at step ${d + 1} (${cls})` };
  const status = (s: KState): number => s.pkts[victim]!.ct?.status ?? 0;
  const dying = (s: KState): boolean => (status(s) & IPS.DYING) !== 0;
  let kill: number | undefined;
  for (let i = d; i >= 0 && kill === undefined; i--) if (!dying(v.S[i]!) && dying(v.S[i + 1]!)) kill = i;
  const last = (test: (i: number) => boolean, from: number): number | undefined => {
    for (let i = from; i >= 0; i--) if (test(i)) return i;
    return undefined;
  };
  const made = last((i) => !v.S[i]!.pkts[victim]!.ct && !!v.S[i + 1]!.pkts[victim]!.ct, d);
  const confirmed = last((i) => !(status(v.S[i]!) & IPS.CONFIRMED) && (status(v.S[i + 1]!) & IPS.CONFIRMED) !== 0, kill ?? d);
  // The killer's walk: a lookup's (its packet's reader) or the gc worker's.
  const byGc = kill !== undefined && v.moves[kill]!.kind === "reap";
  const killer = kill !== undefined ? v.moves[kill]!.packet : -1;
  const readerOf = (s: KState): number => (byGc ? s.gcReader : s.pkts[killer]!.reader);
  const reached = kill !== undefined ? last((i) => readerOf(v.S[i]!) < 0 && readerOf(v.S[i + 1]!) >= 0, kill) : undefined;
  const saw = reached !== undefined ? (byGc ? v.S[reached + 1]!.gcSaw : v.S[reached + 1]!.pkts[killer]!.readerSaw) : -1;
  const what = entryName(v, before, victim);
  const story = [
    reached !== undefined && saw >= 0 && saw !== victim ? `${ref(v, reached)} reached ${v.name(saw)}'s node and kept the pointer` : "",
    made !== undefined && saw >= 0 && saw !== victim ? `${ref(v, made)} gave that memory (slot ${after.pkts[victim]!.slot}) to ${what}` : "",
    confirmed !== undefined && !before.table.includes(victim) ? `${ref(v, confirmed)} set IPS_CONFIRMED on it before deciding to insert` : "",
    kill !== undefined ? `${ref(v, kill)} read it as nf_ct_should_gc wants (expired, CONFIRMED, not DYING, over two reads) and killed it` : "",
  ].filter(Boolean);
  const head =
    cls === "unlink-unlinked"
      ? `step ${d + 1} unlinked ${what}, which is not in the table (confirm never inserted it): the kernel crashes in hlist_nulls_del_rcu`
      : `step ${d + 1} unlinked ${what}, a valid entry (not expired): the new incarnation of the entry the reaper's walk had reached`;
  return { cls, ...(kill !== undefined ? { cause: kill } : {}), rule: kill !== undefined ? "killed" : "none", text: `${head}${story.length ? `; ${story.join("; ")}` : ""}` };
}

const EXPLAIN: Record<Exclude<Outcome, "crash">, (v: View, d: number, p: number) => Found> = {
  dropped: explainDrop,
  "reply-lost": explainLost,
  "reply-evicted": explainEvicted,
  "reply-expired": explainExpired,
  "reply-misrouted": explainMisrouted,
  unanswered: explainUnanswered,
};

/** Every decisive step of the path, by step index (0-based), with its explanation. */
export function explainPath(model: ConntrackModel, path: Path<KState>): Map<number, Explanation> {
  const sc = model.ctx.sc;
  const S = path.states;
  const v: View = {
    model,
    S,
    moves: path.actions.map((a, i) => model.move(S[i]!, a)),
    name: (id) => sc.packets[id]!.name,
    fmt: (t) => formatTuple(t, sc.addrs),
  };
  const out = new Map<number, Explanation>();
  v.moves.forEach((m, d) => {
    // What the kernel did wrong (recycled entries): any actor's step may do it.
    const wrong = S[d + 1]!.crash & ~S[d]!.crash;
    if (wrong) {
      const f = explainCrash(v, d, wrong);
      out.set(d, { packet: m.packet >= 0 ? v.name(m.packet) : "-", class: f.cls, property: f.cls === "unlink-unlinked" ? noCrash.name : noLostEntry.name, kind: "crash", decisiveStep: d + 1, causeStep: f.cause === undefined ? null : f.cause + 1, rule: f.rule, text: f.text });
      return;
    }
    if (m.kind === "delete" || m.kind === "reap" || m.kind === "tick") return;
    const kind = outcomeAt(S[d]!, S[d + 1]!, m.packet);
    if (!kind) return;
    const f = EXPLAIN[kind](v, d, m.packet);
    out.set(d, {
      packet: v.name(m.packet),
      class: f.cls,
      property: kind === "dropped" ? noDrop.name : allReplied.name,
      kind,
      decisiveStep: d + 1,
      causeStep: f.cause === undefined ? null : f.cause + 1,
      rule: f.rule,
      text: f.text,
    });
  });
  return out;
}
