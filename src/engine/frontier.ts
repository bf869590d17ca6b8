/**
 * The states a search has yet to expand: a FIFO for breadth-first, a LIFO for
 * depth-first. Models with an in-place path keep them packed in one typed
 * array; others as objects on the JS heap.
 */
import type { Action, InPlace, Model } from "./model.js";

/** Breadth-first (the frontier a FIFO) or depth-first (a LIFO). */
export type Order = "bfs" | "dfs";

export interface Frontier<S> {
  readonly size: number;
  /** Bytes of typed arrays it holds (0 for objects: the search watches the JS heap for those). */
  readonly bytes: number;
  /** Bytes its next growth may allocate soon (a copy at twice the size), 0 when not near one. */
  readonly growthBytes: number;
  /** Number and depth of the state `pop` returned last. */
  readonly index: number;
  readonly depth: number;
  push(s: S, words: Int32Array, len: number, index: number, depth: number): void;
  pop(): S;
  /** The successor of `s` (the state `pop` returned last) by `a`. */
  successor(s: S, a: Action): S;
  /** Called after each successor was added, with its encoding: the frontier
   * may have stepped `s` in place and now puts it back. */
  settle(words: Int32Array, len: number): void;
}

/** Whole states on the JS heap, for models without an in-place path. */
export class ObjectFrontier<S> implements Frontier<S> {
  private states: S[] = [];
  private indexes: number[] = [];
  private depths: number[] = [];
  private head = 0;
  index = 0;
  depth = 0;
  constructor(
    private readonly order: Order,
    private readonly next: (s: S, a: Action) => S,
  ) {}
  get size(): number {
    return this.states.length - this.head;
  }
  get bytes(): number {
    return 0;
  }
  get growthBytes(): number {
    return 0;
  }
  push(s: S, _w: Int32Array, _len: number, index: number, depth: number): void {
    this.states.push(s);
    this.indexes.push(index);
    this.depths.push(depth);
  }
  pop(): S {
    if (this.order === "dfs") {
      this.index = this.indexes.pop()!;
      this.depth = this.depths.pop()!;
      return this.states.pop()!;
    }
    const i = this.head++;
    const s = this.states[i]!;
    this.index = this.indexes[i]!;
    this.depth = this.depths[i]!;
    if (this.head > 65536 && this.head * 2 > this.states.length) {
      this.states = this.states.slice(this.head);
      this.indexes = this.indexes.slice(this.head);
      this.depths = this.depths.slice(this.head);
      this.head = 0;
    }
    return s;
  }
  successor(s: S, a: Action): S {
    return this.next(s, a);
  }
  settle(): void {}
}

/** Encoded states in one Int32Array, records [len, index, depth, words.., len]
 * (the length at both ends so either end can be popped). A popped state is
 * decoded into a scratch state and each successor is that state stepped in
 * place, then put back (InPlace.restore) or decoded afresh: nothing is
 * allocated per state. */
export class PackedFrontier<S> implements Frontier<S> {
  private data = new Int32Array(1 << 12);
  private head = 0;
  private tail = 0;
  private count = 0;
  private readonly cur: Int32Array;
  private curLen = 0;
  private readonly base: S;
  private readonly work: S;
  index = 0;
  depth = 0;
  constructor(
    model: Model<S>,
    private readonly ip: InPlace<S>,
    private readonly order: Order,
  ) {
    this.cur = new Int32Array(model.encodedWords);
    this.base = ip.scratch();
    this.work = ip.scratch();
  }
  get size(): number {
    return this.count;
  }
  /** The encoding of the state `pop` returned last: `current[0 .. currentLength)`. */
  get current(): Int32Array {
    return this.cur;
  }
  get currentLength(): number {
    return this.curLen;
  }
  get bytes(): number {
    return this.data.byteLength;
  }
  get growthBytes(): number {
    // It grows when the live part fills it (it reuses a consumed front first).
    return (this.tail - this.head) * 2 > this.data.length ? this.data.byteLength * 2 : 0;
  }
  push(_s: S, words: Int32Array, len: number, index: number, depth: number): void {
    const need = len + 4;
    if (this.tail + need > this.data.length) {
      if (this.head * 2 > this.data.length) {
        // BFS consumed the front: reuse it before growing.
        this.data.copyWithin(0, this.head, this.tail);
        this.tail -= this.head;
        this.head = 0;
      }
      if (this.tail + need > this.data.length) {
        const d = new Int32Array(Math.max(this.data.length * 2, this.tail + need));
        d.set(this.data.subarray(0, this.tail));
        this.data = d;
      }
    }
    const d = this.data;
    let t = this.tail;
    d[t++] = len;
    d[t++] = index;
    d[t++] = depth;
    for (let i = 0; i < len; i++) d[t++] = words[i]!;
    d[t++] = len;
    this.tail = t;
    this.count++;
  }
  pop(): S {
    const d = this.data;
    let at: number;
    if (this.order === "dfs") {
      const len = d[this.tail - 1]!;
      at = this.tail - len - 4;
      this.tail = at;
    } else {
      at = this.head;
      this.head += d[at]! + 4;
    }
    this.count--;
    const len = d[at]!;
    this.index = d[at + 1]!;
    this.depth = d[at + 2]!;
    const cur = this.cur;
    for (let i = 0; i < len; i++) cur[i] = d[at + 3 + i]!;
    this.curLen = len;
    if (this.count === 0) this.head = this.tail = 0;
    return this.ip.decode(this.cur, 0, len, this.base);
  }
  successor(_s: S, a: Action): S {
    // With restore, step the popped state itself and undo the step in settle.
    const t = this.ip.restore ? this.base : this.ip.decode(this.cur, 0, this.curLen, this.work);
    this.ip.apply(t, a);
    return t;
  }
  settle(words: Int32Array, len: number): void {
    this.ip.restore?.(this.base, this.cur, words, len);
  }
}
