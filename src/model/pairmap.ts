/**
 * A map from pairs of int32 to small non-negative numbers, open addressing in
 * typed arrays: the packed state numbers tuples by value with it, several
 * times per step, where a Map of Maps costs tens of nanoseconds a lookup.
 */
/** A 32-bit hash of two int32 (murmur-style finish). */
export function pairHash(a: number, b: number): number {
  let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) ^ (h >>> 16);
}

export class PairMap {
  private keys = new Int32Array(2 * 64);
  private vals = new Int32Array(64).fill(-1);
  private mask = 63;
  size = 0;

  private slot(a: number, b: number): number {
    return pairHash(a, b) & this.mask;
  }

  /** The number stored for (a, b), or -1. */
  get(a: number, b: number): number {
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const v = this.vals[i]!;
      if (v < 0 || (this.keys[2 * i] === a && this.keys[2 * i + 1] === b)) return v;
    }
  }

  /** Stores (a, b) -> v (v >= 0); (a, b) must be absent. */
  set(a: number, b: number, v: number): void {
    if (2 * (this.size + 1) > this.mask + 1) this.grow();
    let i = this.slot(a, b);
    while (this.vals[i]! >= 0) i = (i + 1) & this.mask;
    this.keys[2 * i] = a;
    this.keys[2 * i + 1] = b;
    this.vals[i] = v;
    this.size++;
  }

  private grow(): void {
    const { keys, vals } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.vals = new Int32Array(vals.length * 2).fill(-1);
    this.mask = vals.length * 2 - 1;
    this.size = 0;
    for (let i = 0; i < vals.length; i++) if (vals[i]! >= 0) this.set(keys[2 * i]!, keys[2 * i + 1]!, vals[i]!);
  }
}
