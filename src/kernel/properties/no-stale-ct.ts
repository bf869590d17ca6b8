/** no-stale-ct: no caller uses an entry its packet no longer holds (a clash merge swapped the skb's entry and
 * released the one the caller had read); checked in every state. */
import { hasSkbs } from "../../scenario/scenario.js";
import { codeClasses, type KernelProperty } from "./property.js";

export const STALE_CLASSES = {
  "confirm-events": "nf_conntrack_confirm delivered the cached events on the entry it had read before __nf_conntrack_confirm, which a merge released (before 56b14ecec97f, v5.19)",
  "local-in-read": "br_nf_local_in read the CONFIRMED bit of the entry it had read before confirm, which a merge released (62e7151ae3eb, v6.8, to 479a54ab9208, v6.17)",
} as const;

/** The classes of STALE (state.ts), by code. */
export const STALE_CLASS: readonly string[] = ["", "confirm-events", "local-in-read"];

export const noStaleCt: KernelProperty = {
  name: "no-stale-ct",
  kind: "invariant",
  description: "no caller uses an entry its packet no longer holds (one a clash merge released)",
  classes: STALE_CLASSES,
  gate: (sc) => (hasSkbs(sc) ? undefined : "needs packets that are queued or copied (nfqueue, segments, a bridge): only there is the skb's entry pointer held"),
  violations: (s) => codeClasses(s, (p) => p.staleCt, STALE_CLASS),
};
