/**
 * Names the race behind a drop by comparing the loser's entry with the entry
 * it clashed with (kernel-reference.md section 4).
 */
import type { Conn } from "./conn.js";
import { IPS } from "./conn.js";
import { tupleEqual } from "./tuple.js";

export const DROP_CLASSES = {
  race1: "the loser's tuples equal the winner's",
  race2: "the loser's REPLY differs by a source port NAT gave it",
  race3: "the loser went to another endpoint (DNAT chose differently)",
  "dying-winner": "the entry the loser clashed with was being deleted (DYING set, still linked)",
  "nat-mismatch": "the loser's source NAT maps to another address than the winner's (one passed a NAT hook the other did not)",
  "reply-clash": "another flow already holds the loser's REPLY tuple",
  other: "a clash none of the above describes",
} as const;

export type DropClass = keyof typeof DROP_CLASSES;

export function classifyDrop(loser: Conn, winner: Conn): DropClass {
  if (winner.status & IPS.DYING) return "dying-winner";
  const sameOrig = tupleEqual(loser.orig, winner.orig);
  if (!sameOrig) return "reply-clash";
  const sameEndpoint = loser.reply.src === winner.reply.src && loser.reply.sport === winner.reply.sport;
  if (!sameEndpoint) return "race3";
  if (tupleEqual(loser.reply, winner.reply)) return "race1";
  if (loser.reply.dst === winner.reply.dst) return loser.status & IPS.SRC_NAT ? "race2" : "other";
  return "nat-mismatch";
}
