/** Append-only typed arrays for the parent links (one entry per state). They
 * grow by an eighth when full: copying is cheap next to a search step, and the
 * unused tail, which counts in bytes per state, stays under 12.5%. */

const GROWTH = 1.125;

export class GrowableUint32 {
  data: Uint32Array;
  length = 0;
  constructor(initial = 1 << 12) {
    this.data = new Uint32Array(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Uint32Array(Math.ceil(this.data.length * GROWTH) + 16);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  get bytes(): number {
    return this.data.byteLength;
  }
}

export class GrowableUint8 {
  data: Uint8Array;
  length = 0;
  constructor(initial = 1 << 12) {
    this.data = new Uint8Array(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Uint8Array(Math.ceil(this.data.length * GROWTH) + 16);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  get bytes(): number {
    return this.data.byteLength;
  }
}
