/** A patch: a small override of the kernel it is applied on. */
import { IPS, IPS_NAT_DONE_MASK } from "./conn.js";
import type { Kernel, KernelBehaviour } from "./kernel.js";
import { findNode, hashInsert, hashRemove, lookup } from "./table.js";
import { invert, tuple, tupleEqual } from "./tuple.js";
import { Fate, Pc, Reply } from "./state.js";
import { nf_ct_match } from "./patches/937963.js";
import { nf_ct_match_reverse } from "./patches/a4e6a1031e77.js";
import { packetTuple } from "./steps/resolve_normal_ct.js";
import { acceptQuery, dropQuery } from "./steps/verdict.js";

/** What a patch written outside this package can use (its second argument):
 * status bits, tuple and table helpers, the merge tests, the packet's verdict,
 * and the state's enums. Documented in docs/patch-api.md. */
// Frozen: one patch changing a helper (or IPS) would change every kernel of the run.
export const PATCH_LIB = Object.freeze({
  IPS: Object.freeze(IPS),
  IPS_NAT_DONE_MASK,
  Pc: Object.freeze(Pc),
  Fate: Object.freeze(Fate),
  Reply: Object.freeze(Reply),
  tuple,
  tupleEqual,
  invert,
  packetTuple,
  findNode,
  lookup,
  hashInsert,
  hashRemove,
  nf_ct_match,
  nf_ct_match_reverse,
  acceptQuery,
  dropQuery,
} as const);
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
