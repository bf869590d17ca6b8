/** no-crash, in a `recycle` scenario: the kernel never unlinks an entry that is not linked (the 2d72afb34065 crash). */
import { CRASH, CRASH_CLASSES, crashClasses } from "../functions/recycle.js";
import { NONE, type KernelProperty } from "./property.js";

export const noCrash: KernelProperty = {
  name: "no-crash",
  kind: "invariant",
  description: "the kernel never unlinks an entry whose nodes are not in the table (it would crash)",
  classes: { "unlink-unlinked": CRASH_CLASSES["unlink-unlinked"] },
  gate: (sc) => (sc.recycle ? undefined : "needs a scenario with recycle: true (entries as recycled memory)"),
  violations: (s) => (s.crash & CRASH.UNLINK_UNLINKED ? crashClasses(s.crash & CRASH.UNLINK_UNLINKED) : NONE),
};
