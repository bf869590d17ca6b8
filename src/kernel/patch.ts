/** A patch: a small override of the kernel it is applied on. */
import { IPS, IPS_NAT_DONE_MASK } from "./net/conn.js";
import type { Kernel, KernelBehaviour } from "./kernel.js";
import { findNode, hashInsert, hashRemove, lookup } from "./net/table.js";
import { invert, tuple, tupleEqual } from "./net/tuple.js";
import { Fate, Pc, Reply } from "./net/state.js";
import { nf_ct_match, nf_ct_match_reverse } from "./functions/nf_ct_match.js";
import { packetTuple } from "./functions/resolve_normal_ct.js";
import { acceptQuery, dropQuery } from "./functions/verdict.js";
import { NF_CT_DEFAULT_ZONE, nf_ct_zone, nf_ct_zone_equal, nf_ct_zone_id, packetZone, zoneMatch } from "./net/zone.js";
import { choose } from "./choose.js";

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
  /** Zones (zone.ts): the default zone, a zone's id in a direction, nf_ct_zone_equal(entryZone, zone, dir),
   * entry `id`'s zone nf_ct_zone(ctx.sc, id), packet `p`'s template zone packetZone(ctx.sc, p), and the
   * last argument of findNode/lookup that makes a walk match in a zone: zoneMatch(ctx.sc, zone). */
  NF_CT_DEFAULT_ZONE,
  nf_ct_zone_id,
  nf_ct_zone_equal,
  nf_ct_zone,
  packetZone,
  zoneMatch,
  /** One of n alternatives (0..n-1, n an integer 1 to 256), each of which the search explores (choose.ts). */
  choose,
} as const);
export type PatchLib = typeof PATCH_LIB;

export interface Patch {
  /** How users name it: the patchwork number, or the commit for others. */
  readonly id: string;
  /** Upstream commit (12 hex digits), or any short tag for a patch of your own. */
  readonly commit: string;
  /** One line: the kernel function it changes and how, or the upstream subject. */
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
