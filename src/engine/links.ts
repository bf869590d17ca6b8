/**
 * What a search keeps to rebuild paths: for every state number, its parent's
 * number and the index of the action taken (among the parent's expanded
 * actions), and something to check a replay against: the set of
 * fingerprints, or (a sweep, which forgets them) 8 bits of each state's.
 */
import type { FingerprintTable } from "./fptable.js";
import type { Reductions } from "./reduce.js";

export const NO_PARENT = 0xffffffff;

export interface ParentLinks {
  /** The parent's number, or NO_PARENT for an initial state. */
  parentOf(index: number): number;
  /** The action's index in the parent's expanded list; for an initial state, its index among the initial states. */
  viaOf(index: number): number;
  /** Whether state number `index` can be the state with this fingerprint. */
  matches(index: number, hi: number, lo: number): boolean;
  /** The reductions the search used: replay must use the same. */
  readonly reduce: Reductions;
}

/** The low 8 bits of a fingerprint, which a sweep keeps for each state. */
export const fingerprintTag = (lo: number): number => lo & 0xff;

/** What one thread keeps: its link arrays, and its fingerprint table or, after
 * a sweep (which drops the tables), a tag per state. */
export interface LinkPart {
  readonly table: FingerprintTable | undefined;
  readonly tags: Uint8Array;
  readonly parent: Uint32Array;
  readonly via: Uint8Array;
}

/** Whether the part's k-th state can have this fingerprint. */
const partMatches = (p: LinkPart, k: number, hi: number, lo: number): boolean => (p.table ? p.table.get(hi, lo) >= 0 : p.tags[k] === fingerprintTag(lo));

/** One search's links. */
export class SerialLinks implements ParentLinks {
  constructor(
    private readonly part: LinkPart,
    readonly reduce: Reductions,
  ) {}
  parentOf(i: number): number {
    return this.part.parent[i]!;
  }
  viaOf(i: number): number {
    return this.part.via[i]!;
  }
  matches(i: number, hi: number, lo: number): boolean {
    return partMatches(this.part, i, hi, lo);
  }
}

/** Links of a search split over workers: worker w owns the fingerprints with
 * lo % n === w, and its k-th state is number k * n + w. A worker that swept
 * sends tags instead of its table. */
export class PartitionedLinks implements ParentLinks {
  constructor(
    private readonly parts: readonly LinkPart[],
    readonly reduce: Reductions,
  ) {}
  parentOf(i: number): number {
    const n = this.parts.length;
    return this.parts[i % n]!.parent[Math.floor(i / n)]!;
  }
  viaOf(i: number): number {
    const n = this.parts.length;
    return this.parts[i % n]!.via[Math.floor(i / n)]!;
  }
  matches(i: number, hi: number, lo: number): boolean {
    const n = this.parts.length;
    return partMatches(this.parts[i % n]!, Math.floor(i / n), hi, lo);
  }
}
