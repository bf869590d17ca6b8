/** A patch: a small override of the kernel it is applied on. */
import type { Kernel, KernelBehaviour } from "./kernel.js";

export interface Patch {
  /** How users name it: the patchwork number, or the commit for others. */
  readonly id: string;
  /** Upstream commit (12 hex digits). */
  readonly commit: string;
  readonly title: string;
  /** First mainline release that has it. */
  readonly mainline: string;
  /** Patches (ids) it applies on top of; the base must have them. */
  readonly requires: readonly string[];
  /** The behaviours it changes, given the kernel it is applied on. */
  apply(base: KernelBehaviour): Partial<KernelBehaviour>;
}

export type { Kernel };
