/** Append-only typed arrays that grow by half when full (parent links per state):
 * a smaller step than doubling keeps the unused tail, and bytes per state, small. */

export class GrowableUint32 {
  data: Uint32Array;
  length = 0;
  constructor(initial = 1 << 12) {
    this.data = new Uint32Array(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Uint32Array(Math.ceil(this.data.length * 1.5));
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
      const d = new Uint8Array(Math.ceil(this.data.length * 1.5));
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  get bytes(): number {
    return this.data.byteLength;
  }
}
