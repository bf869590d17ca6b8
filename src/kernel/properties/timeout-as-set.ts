/** timeout-as-set: an entry whose timeout a queue verdict set lives that long once confirmed; checked in every state. */
import { NONE, type KernelProperty } from "./property.js";

export const TIMEOUT_CLASSES = {
  "timeout-double-stamp": "the verdict stored now + t in the unconfirmed entry and confirm added the clock again: it lives t plus the time of the verdict (before 73db1b8f2bb6, v6.4)",
} as const;

const FOUND: readonly string[] = Object.freeze(["timeout-double-stamp"]);

export const timeoutAsSet: KernelProperty = {
  name: "timeout-as-set",
  kind: "invariant",
  description: "an entry whose timeout the queue program's verdict set lives that long from its confirm",
  classes: TIMEOUT_CLASSES,
  gate: (sc) => (sc.nfqueue?.timeout !== undefined ? undefined : "needs an nfqueue rule whose verdicts set a timeout (nfqueue.timeout)"),
  violations(s) {
    for (const p of s.pkts) if (p.lifetimeOff) return FOUND;
    return NONE;
  },
};
