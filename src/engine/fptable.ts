/**
 * Open-addressing hash table of 64-bit fingerprints in two Uint32Array lanes
 * (8 bytes a slot), optionally mapping each to a number in a third lane (12).
 * Unlike a JS Set or Map it has no limit at 2^24 entries. It doubles at 85%
 * load: linear probing stays short at that load with well-mixed fingerprints.
 */

export class TableTooLargeError extends Error {}

const MAX_LOAD = 0.85;
/** Typed arrays in Node 20 stop at 2^32 - 1 elements. */
const MAX_CAPACITY = 2 ** 31;

export class FingerprintTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private val: Uint32Array | null;
  private mask: number;
  private limit: number;
  size = 0;

  /** `withValues`: keep a number per fingerprint (a map); without, a set. */
  constructor(initialCapacity = 1 << 12, withValues = true) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = withValues ? new Uint32Array(cap) : null;
    this.mask = cap - 1;
    this.limit = Math.floor(cap * MAX_LOAD);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Bytes held by the table's lanes. */
  get bytes(): number {
    return this.capacity * (this.val ? 12 : 8);
  }

  /** Bytes the table would hold after its next growth. */
  get bytesAfterGrowth(): number {
    return this.bytes * 2;
  }

  /** Inserts (hi, lo) -> value unless present. Returns -1 when inserted, else
   * the value already stored for that fingerprint (0 for a set). */
  insert(hi: number, lo: number, value = 0): number {
    hi >>>= 0;
    lo >>>= 0;
    if (this.size >= this.limit) this.grow();
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i]!;
      const l = this.lo[i]!;
      if (h === 0 && l === 0) {
        this.hi[i] = hi;
        this.lo[i] = lo;
        if (this.val) this.val[i] = value;
        this.size++;
        return -1;
      }
      if (h === hi && l === lo) return this.val ? this.val[i]! : 0;
      i = (i + 1) & this.mask;
    }
  }

  /** The value stored for (hi, lo) (0 for a set), or -1 if absent. */
  get(hi: number, lo: number): number {
    hi >>>= 0;
    lo >>>= 0;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i]!;
      const l = this.lo[i]!;
      if (h === 0 && l === 0) return -1;
      if (h === hi && l === lo) return this.val ? this.val[i]! : 0;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const cap = this.capacity * 2;
    if (cap > MAX_CAPACITY) {
      throw new TableTooLargeError(`fingerprint table cannot grow past ${MAX_CAPACITY} slots`);
    }
    const { hi, lo, val } = this;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = val ? new Uint32Array(cap) : null;
    this.mask = cap - 1;
    this.limit = Math.floor(cap * MAX_LOAD);
    this.size = 0;
    for (let i = 0; i < hi.length; i++) {
      if (hi[i] !== 0 || lo[i] !== 0) this.insert(hi[i]!, lo[i]!, val ? val[i]! : 0);
    }
  }
}
