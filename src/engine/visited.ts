/**
 * The serial search's set of visited fingerprints, in one of two forms.
 *
 * - AllVisited: one table holding every state's fingerprint.
 * - SweepVisited, the sweep-line method (Christensen, Kristensen and Mailund,
 *   TACAS 2001): when the model has a progress measure that every transition
 *   strictly increases, a state can only be reached from states of lower
 *   progress. A breadth-first search keeps one table per progress value and
 *   drops the tables of values no state still to be expanded can lead to, so
 *   it holds about one level of the graph instead of all of it: the same
 *   states, transitions and verdicts, in less memory. The search checks the
 *   measure on every transition and, should it ever not increase, starts again
 *   with AllVisited (see search.ts).
 */
import { FingerprintTable } from "./fptable.js";

/** Whether `rank` is a progress value a sweep can use after `from`: larger,
 * and a whole number small enough to index tables by. */
export const advances = (rank: number, from: number): boolean => rank > from && (rank | 0) === rank && rank < 1 << 20;

export interface Visited {
  /** Adds the fingerprint of a state of progress `rank` (0 without a measure), numbered `index`:
   * -1 if it was new, else the number it was added with. */
  insert(hi: number, lo: number, rank: number, index: number): number;
  /** Bytes its tables hold now. */
  readonly bytes: number;
  /** The most its tables held at once. */
  readonly peakBytes: number;
  /** Bytes it would hold if the next insert grew a table. */
  readonly bytesAfterGrowth: number;
  /** Whether a table is near its next growth (memory checks wait for that). */
  readonly nearGrowth: boolean;
}

export class AllVisited implements Visited {
  readonly table: FingerprintTable;
  /** `numbered`: keep each state's number (the search asks it back for a state found again). */
  constructor(numbered = false) {
    this.table = new FingerprintTable(16, numbered);
  }
  insert(hi: number, lo: number, _rank: number, index: number): number {
    return this.table.insert(hi, lo, index);
  }
  get bytes(): number {
    return this.table.bytes;
  }
  get peakBytes(): number {
    return this.table.bytes;
  }
  get bytesAfterGrowth(): number {
    return this.table.bytesAfterGrowth;
  }
  get nearGrowth(): boolean {
    return this.table.size > this.table.growsAt * 0.8;
  }
}

export class SweepVisited implements Visited {
  /** Table of the states of progress r at index r (progress values are small). */
  private tables: (FingerprintTable | undefined)[] = [];
  /** Tables below this index were dropped. */
  private low = 0;
  private live = 0;
  private peak = 0;
  /** What growing the largest live table would add (the worst next growth). */
  private growth = 0;

  /** `numbered`: keep each state's number, as AllVisited. */
  constructor(private readonly numbered = false) {}

  insert(hi: number, lo: number, rank: number, index: number): number {
    if (rank < this.low) throw new Error(`sweep: a state of progress ${rank} after the tables below ${this.low} were dropped`);
    let t = this.tables[rank];
    if (!t) {
      while (this.tables.length <= rank) this.tables.push(undefined);
      // Small, and grown as filled: starting a table at the size of the level
      // before costs memory when several progress values are live at once.
      t = this.tables[rank] = new FingerprintTable(16, this.numbered);
      this.live += t.bytes;
      if (this.live > this.peak) this.peak = this.live;
      this.growth = Math.max(this.growth, t.bytesAfterGrowth - t.bytes);
    }
    const before = t.bytes;
    const added = t.insert(hi, lo, index);
    if (t.bytes !== before) {
      this.live += t.bytes - before;
      if (this.live > this.peak) this.peak = this.live;
      this.growth = Math.max(this.growth, t.bytesAfterGrowth - t.bytes);
    }
    return added;
  }

  /** No state of progress `rank` or lower will be reached again: drop their tables. */
  forgetUpTo(rank: number): void {
    for (let r = this.low; r <= rank && r < this.tables.length; r++) {
      const t = this.tables[r];
      if (t) this.live -= t.bytes;
      this.tables[r] = undefined;
    }
    this.low = Math.max(this.low, rank + 1);
    this.growth = 0;
    for (let r = this.low; r < this.tables.length; r++) {
      const t = this.tables[r];
      if (t) this.growth = Math.max(this.growth, t.bytesAfterGrowth - t.bytes);
    }
  }

  get bytes(): number {
    return this.live;
  }
  get peakBytes(): number {
    return Math.max(this.peak, this.live);
  }
  get bytesAfterGrowth(): number {
    return this.live + this.growth;
  }
  get nearGrowth(): boolean {
    return true;
  }
}
