/**
 * Names the race behind a drop by comparing the loser's entry with the entry
 * it clashed with (docs/kernel.md, "The steps of one packet": races 1, 2 and 3).
 */
import type { Conn } from "../net/conn.js";
import { IPS } from "../net/conn.js";
import { tupleEqual } from "../net/tuple.js";
import { packetZone, zonesEqualBothWays, type Zone } from "../net/zone.js";
import type { KState } from "../net/state.js";
import type { Scenario } from "../../scenario/scenario.js";
import { perScenario } from "../../scenario/per-scenario.js";

export const DROP_CLASSES = {
  race1: "the loser's tuples equal the winner's",
  "zone-clash": "the loser's tuples equal the winner's, in another zone: confirm's walk found it (a node whose zone matched), nf_ct_match (zones too) refuses to merge",
  race2: "the loser's REPLY differs by a source port NAT gave it",
  race3: "the loser went to another endpoint (DNAT chose differently)",
  "dying-winner": "the entry the loser clashed with was being deleted (DYING set, still linked)",
  "dying-loser": "dropped at __nf_conntrack_confirm: its own entry was DYING (a reaper whose stale pointer reached its recycled memory had killed it, or a helper's removal marked it while unconfirmed, v4.13-v5.18), insert_failed",
  "genid-drop": "dropped at __nf_conntrack_confirm: its extensions carry a genid older than a helper's removal (nf_ct_ext_valid_pre, v5.19-v7.1), insert_failed",
  "chain-too-long": "dropped at __nf_conntrack_confirm without a clash: a bucket chain it walked held more nodes than its limit (chaintoolong, v5.15+)",
  "table-full": "dropped at init_conntrack: the table was at nf_conntrack_max and early_drop evicted nothing",
  "no-entry": "dropped before it had an entry, in a scenario without conntrack-max (a patch's step or __nf_conntrack_alloc dropped it)",
  "nat-mismatch": "the loser's source NAT maps to another address than the winner's (one passed a NAT hook the other did not)",
  "reply-clash": "another flow already holds the loser's REPLY tuple",
  "queued-shared": "dropped at nfqnl_enqueue_packet: its unconfirmed entry had more than one reference (7d8dc1c7be8d, v6.11: every segment of a GSO packet of a new flow, the aggregate still holding one; from 207b3ebacb61, v7.0, the packet before segmentation)",
  "reinjected-shared": "dropped at nf_reinject: a later segment whose entry was still unconfirmed and shared with a segment still queued (207b3ebacb61, v7.0)",
  "confirmed-clone": "dropped at __nf_conntrack_confirm with a WARN: another skb sharing its entry (a segment, a clone) had confirmed it since its test (nf_conntrack_confirm)",
  other: "a clash none of the above describes",
} as const;

export type DropClass = keyof typeof DROP_CLASSES;

/** Given the entries' zones when the scenario has any (undefined: both in the default zone).
 * `winnerEvicted`: early drop evicted the winner since (it set DYING after the clash, not before). */
export function classifyDrop(loser: Conn, winner: Conn, loserZone?: Zone, winnerZone?: Zone, winnerEvicted = false): DropClass {
  if (winner.status & IPS.DYING && !winnerEvicted) return "dying-winner";
  const sameOrig = tupleEqual(loser.orig, winner.orig);
  if (!sameOrig) return "reply-clash";
  const sameEndpoint = loser.reply.src === winner.reply.src && loser.reply.sport === winner.reply.sport;
  if (!sameEndpoint) return "race3";
  if (tupleEqual(loser.reply, winner.reply)) return loserZone && winnerZone && !zonesEqualBothWays(loserZone, winnerZone) ? "zone-clash" : "race1";
  if (loser.reply.dst === winner.reply.dst) return loser.status & IPS.SRC_NAT ? "race2" : "other";
  return "nat-mismatch";
}

/** The classes of DROP_WHY (state.ts), by code; the program's own verdict is none: no-drop does not count it. */
const WHY_CLASS: readonly (DropClass | undefined)[] = [undefined, undefined, "queued-shared", "reinjected-shared", "confirmed-clone"];

/** How drops are classed in scenario `sc` (undefined: no zones, no table limit): a function of a
 * state and a dropped packet, with what the scenario decides worked out once. */
function dropClassifier(sc: Scenario | undefined): (s: KState, p: number) => DropClass {
  const zoned = sc !== undefined && sc.packets.some((q) => q.zone !== undefined);
  // No entry: dropped at init_conntrack, the table full (or, without a limit, by a patch).
  const noEntry: DropClass = sc !== undefined && sc.conntrackMax > 0 ? "table-full" : "no-entry";
  const chained = sc?.chains !== undefined;
  return (s, p) => {
    const loser = s.pkts[p]!;
    if (loser.dropWhy) return WHY_CLASS[loser.dropWhy] ?? "other";
    // A copy (a segment, a clone) has no entry of its own: the one it shares.
    const ct = loser.ct ?? (loser.uses >= 0 ? s.pkts[loser.uses]!.ct : null);
    if (ct === null) return noEntry;
    // Dropped at confirm with no clash: the chain limit, or (a patch's confirm) something else.
    if (loser.clashWith < 0) return ct.status & IPS.DYING ? "dying-loser" : s.stale & (1 << p) ? "genid-drop" : chained ? "chain-too-long" : "other";
    const w = s.pkts[loser.clashWith]!;
    return zoned ? classifyDrop(ct, w.ct!, packetZone(sc, p), packetZone(sc, loser.clashWith), w.evicted) : classifyDrop(ct, w.ct!, undefined, undefined, w.evicted);
  };
}

/** The classifier of a scenario without zones or a limit. */
export const plainDropClass = dropClassifier(undefined);
/** The classifier of scenario `sc`. */
export const dropClassOf = perScenario(dropClassifier);

/** The class of packet `p`'s drop in state `s` of scenario `sc` (zones and limit from the scenario). */
export function classOfDrop(sc: Scenario, s: KState, p: number): DropClass {
  return dropClassOf(sc)(s, p);
}
