/** no-warn: no kernel WARN_ON the model passes fires (syzbot reports them); checked in every state. */
import { hasSkbs } from "../../scenario/scenario.js";
import { codeClasses, type KernelProperty } from "./property.js";

export const WARN_CLASSES = {
  "confirmed-clone-warn": "__nf_conntrack_confirm found the entry CONFIRMED once it held the locks: another skb sharing it (a segment, a clone) won the race: WARN_ON_ONCE and NF_DROP",
  "local-in-shared-warn": "br_nf_local_in met an unconfirmed entry with more than one reference: WARN_ON_ONCE, and the frame goes on untracked (7d8dc1c7be8d, v6.11)",
  "local-in-unconfirmed-warn": "br_nf_local_in read the entry it had before confirm and found it not CONFIRMED (after a merge it is the released loser; v6.8-v6.16, 479a54ab9208 removed the assertion)",
} as const;

/** The classes of WARN (state.ts), by code. */
export const WARN_CLASS: readonly string[] = ["", "confirmed-clone-warn", "local-in-shared-warn", "local-in-unconfirmed-warn"];

export const noWarn: KernelProperty = {
  name: "no-warn",
  kind: "invariant",
  description: "no kernel WARN_ON fires: confirm's on an entry another skb confirmed, br_nf_local_in's",
  classes: WARN_CLASSES,
  gate: (sc) => (hasSkbs(sc) ? undefined : "needs packets that are queued or copied (nfqueue, segments, a bridge): elsewhere no WARN_ON the model passes can fire"),
  violations: (s) => codeClasses(s, (p) => p.warn, WARN_CLASS),
};
