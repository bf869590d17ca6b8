/** A patch: a small override of the kernel it is applied on. */
import { IPS, IPS_NAT_DONE_MASK } from "./conn.js";
import type { Kernel, KernelBehaviour } from "./kernel.js";
import { findNode, lookup } from "./table.js";
import { invert, tupleEqual } from "./tuple.js";

/** What a patch written outside this package can use (its second argument). */
// Frozen: one patch changing a helper (or IPS) would change every kernel of the run.
export const PATCH_LIB = Object.freeze({ IPS: Object.freeze(IPS), IPS_NAT_DONE_MASK, tupleEqual, invert, findNode, lookup } as const);
export type PatchLib = typeof PATCH_LIB;

export interface Patch {
  /** How users name it: the patchwork number, or the commit for others. */
  readonly id: string;
  /** Upstream commit (12 hex digits), or any short tag for a patch of your own. */
  readonly commit: string;
  readonly title: string;
  /** First mainline release that has it ("-" for none). */
  readonly mainline: string;
  /** Patches (ids) it applies on top of; the base must have them. */
  readonly requires: readonly string[];
  /** The file a user's patch was loaded from (absolute), so worker threads can load it too. */
  readonly file?: string;
  /** The behaviours it changes, given the kernel it is applied on. */
  apply(base: KernelBehaviour, lib: PatchLib): Partial<KernelBehaviour>;
}

export type { Kernel };
