/** Append-only typed arrays. Parent links grow by an eighth when full:
 * copying is cheap next to a search step, and the unused tail, which counts
 * in bytes per state, stays under 12.5%. Buffers that are emptied and refilled
 * (frontiers) double instead. */

const LINK_GROWTH = 1.125;

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array;

class Growable<T extends Typed> {
  data: T;
  length = 0;
  constructor(
    private readonly make: (n: number) => T,
    initial: number,
    private readonly growth: number,
  ) {
    this.data = make(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1);
    this.data[this.length++] = v;
  }
  /** Room for `n` more entries. */
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    const d = this.make(Math.max(Math.ceil(this.data.length * this.growth) + 4, this.length + n));
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }
  get bytes(): number {
    return this.data.byteLength;
  }
  /** The entries, in an array of exactly their length (a copy when shorter). */
  trimmed(): T {
    return this.length === this.data.length ? this.data : (this.data.slice(0, this.length) as T);
  }
}

export class GrowableUint32 extends Growable<Uint32Array> {
  constructor(initial = 1 << 12) {
    super((n) => new Uint32Array(n), initial, LINK_GROWTH);
  }
}

export class GrowableUint8 extends Growable<Uint8Array> {
  constructor(initial = 1 << 12) {
    super((n) => new Uint8Array(n), initial, LINK_GROWTH);
  }
}

export class GrowableUint16 extends Growable<Uint16Array> {
  constructor(initial = 1 << 12) {
    super((n) => new Uint16Array(n), initial, LINK_GROWTH);
  }
}

/** A frontier or a buffer of successors. */
export class GrowableInt32 extends Growable<Int32Array> {
  constructor(initial = 1 << 12) {
    super((n) => new Int32Array(n), initial, 2);
  }
}
