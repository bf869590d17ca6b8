/** no-lost-entry, in a `recycle` scenario: no reaper deletes a valid entry for the expired one its walk reached
 * (docs/kernel.md, "Recycled entries": a valid entry lost). */
import { CRASH, CRASH_CLASSES, crashClasses } from "../functions/recycle.js";
import { NONE, type KernelProperty } from "./property.js";

export const noLostEntry: KernelProperty = {
  name: "no-lost-entry",
  kind: "invariant",
  description: "no reaper deletes a slot's new incarnation for the expired entry its walk reached (a valid entry lost)",
  classes: { "reused-entry-deleted": CRASH_CLASSES["reused-entry-deleted"] },
  gate: (sc) => (sc.recycle ? undefined : "needs a scenario with recycle: true (entries as recycled memory)"),
  violations: (s) => (s.crash & CRASH.REUSED_ENTRY_DELETED ? crashClasses(s.crash & CRASH.REUSED_ENTRY_DELETED) : NONE),
};
