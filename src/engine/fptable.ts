/**
 * Open-addressing hash table of 64-bit fingerprints, the two halves side by
 * side in one Uint32Array (8 bytes a slot, one cache line per probe run),
 * optionally mapping each to a number in a second lane (12 bytes a slot).
 * Unlike a JS Set or Map it has no limit at 2^24 entries.
 *
 * Bytes per state are what limit a search, so the table runs full: it grows
 * by a fifth when 90% of its slots are taken, which keeps the load between
 * 75% and 90% (8.9-10.7 bytes per fingerprint); a small one doubles. The capacity is then not a
 * power of two: a slot is found by scaling the hash to the capacity
 * (multiply-shift, "fastrange") instead of masking.
 */

export class TableTooLargeError extends Error {}

const MAX_LOAD = 0.9;
const TWO_TO_MINUS_32 = 2 ** -32;
const GROWTH = 1.2;
/** Below this many slots (3 MiB with values) a table doubles instead: a sweep starts a table a level, and
 * growing each from 16 slots by a fifth rehashes every fingerprint about six times. */
const SMALL = 1 << 18;
const growthAt = (cap: number): number => (cap < SMALL ? 2 : GROWTH);
/** Typed arrays in Node 20 stop at 2^32 - 1 elements (two lanes a slot). */
const MAX_CAPACITY = 2 ** 31 - 1;

/** fastrange: a 32-bit hash of the fingerprint times capacity / 2^32, the
 * top bits of a product below 2^63, which a double holds exactly enough. */
function slotOf(hi: number, lo: number, scale: number): number {
  return Math.floor(((lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0) * scale);
}

export class FingerprintTable {
  private slots: Uint32Array;
  private val: Uint32Array | null;
  private cap: number;
  private limit: number;
  size = 0;

  /** `withValues`: keep a number per fingerprint (a map); without, a set. */
  constructor(initialCapacity = 1 << 12, withValues = true) {
    this.cap = Math.max(16, Math.ceil(initialCapacity));
    this.slots = new Uint32Array(this.cap * 2);
    this.val = withValues ? new Uint32Array(this.cap) : null;
    this.limit = Math.floor(this.cap * MAX_LOAD);
  }

  /** A set rebuilt from `slots()` of another table (sent by a worker). */
  static fromSlots(slots: Uint32Array, size: number): FingerprintTable {
    const t = new FingerprintTable(16, false);
    t.cap = slots.length / 2;
    t.slots = slots;
    t.limit = Math.floor(t.cap * MAX_LOAD);
    t.size = size;
    return t;
  }

  /** The slot lane (sets only), to send to another thread. */
  slotArray(): Uint32Array {
    return this.slots;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Size at which the next insert grows the table. */
  get growsAt(): number {
    return this.limit;
  }

  /** Bytes held by the table's lanes. */
  get bytes(): number {
    return this.cap * (this.val ? 12 : 8);
  }

  /** Bytes the table holds while it grows (old and new lanes). */
  get bytesAfterGrowth(): number {
    return this.bytes * (1 + growthAt(this.cap));
  }

  private home(hi: number, lo: number): number {
    return slotOf(hi, lo, this.cap * TWO_TO_MINUS_32);
  }

  /** Inserts (hi, lo) -> value unless present. Returns -1 when inserted, else
   * the value already stored for that fingerprint (0 for a set). */
  insert(hi: number, lo: number, value = 0): number {
    hi >>>= 0;
    lo >>>= 0;
    if (this.size >= this.limit) this.grow();
    const slots = this.slots;
    const cap = this.cap;
    let i = this.home(hi, lo);
    for (;;) {
      const h = slots[2 * i]!;
      const l = slots[2 * i + 1]!;
      if (h === 0 && l === 0) {
        slots[2 * i] = hi;
        slots[2 * i + 1] = lo;
        if (this.val) this.val[i] = value;
        this.size++;
        return -1;
      }
      if (h === hi && l === lo) return this.val ? this.val[i]! : 0;
      if (++i === cap) i = 0;
    }
  }

  /** The value stored for (hi, lo) (0 for a set), or -1 if absent. */
  get(hi: number, lo: number): number {
    hi >>>= 0;
    lo >>>= 0;
    const slots = this.slots;
    let i = this.home(hi, lo);
    for (;;) {
      const h = slots[2 * i]!;
      const l = slots[2 * i + 1]!;
      if (h === 0 && l === 0) return -1;
      if (h === hi && l === lo) return this.val ? this.val[i]! : 0;
      if (++i === this.cap) i = 0;
    }
  }

  private grow(): void {
    const cap = Math.ceil(this.cap * growthAt(this.cap));
    if (cap > MAX_CAPACITY) {
      throw new TableTooLargeError(`fingerprint table cannot grow past ${MAX_CAPACITY} slots`);
    }
    const { slots, val } = this;
    const old = this.cap;
    this.cap = cap;
    this.slots = new Uint32Array(cap * 2);
    this.val = val ? new Uint32Array(cap) : null;
    this.limit = Math.floor(cap * MAX_LOAD);
    // Every fingerprint moves to a free slot: no duplicate or load checks.
    const to = this.slots;
    const toVal = this.val;
    const scale = cap * TWO_TO_MINUS_32;
    for (let i = 0; i < old; i++) {
      const hi = slots[2 * i]!;
      const lo = slots[2 * i + 1]!;
      if (hi === 0 && lo === 0) continue;
      let j = slotOf(hi, lo, scale);
      while (to[2 * j] !== 0 || to[2 * j + 1] !== 0) if (++j === cap) j = 0;
      to[2 * j] = hi;
      to[2 * j + 1] = lo;
      if (toVal) toVal[j] = val![i]!;
    }
  }
}
