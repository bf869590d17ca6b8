/**
 * Among the shortest paths to a state, the one with the fewest preemptions:
 * a switch from actor x to another actor while x could still move (the
 * measure CHESS bounds). Worked out inside the breadth-first search, at the
 * cost of a few bytes a state, instead of a second search over (state, last
 * actor) pairs.
 *
 * Per state s the search keeps m(s), the fewest preemptions of a shortest path
 * to s, and A(s), the last actors such paths can end with. Those two decide
 * every successor's cost: leaving s by actor b costs nothing more when b is in
 * A(s) or some actor of A(s) cannot move in s, and one more otherwise (any
 * other last actor costs at least m(s) + 1 already). So the numbers are exact
 * without keeping the (state, last actor) pairs. To rebuild a path, each
 * (state, ending actor) keeps the parent it came from and which endings of that
 * parent give the same cost: walking those back gives a path of cost m. The
 * first ending a state is found with came by the search's own parent link, so
 * only the others take room, and of those only the ones a walk back can ask
 * for: when the state is expanded, an ending that can still move there (the
 * path may go on with it) and one that cannot (any exit is then free); none
 * when the first ending cannot move (it always serves). Until then they wait
 * in a list per state of their level, dropped once it is expanded; what is
 * kept is appended as states are expanded, so in state order, and found by
 * binary search: no hash table on the search's path (one was a fifth of an
 * unreduced search's time). A first ending that a lower cost replaced goes to
 * a small table of its own, as its state may never be expanded.
 *
 * Under symmetry, actors are named as in each state's representative (the
 * model tells where canonicalisation moved an actor), so the path is one of
 * the representatives' graph, which path.ts lifts to concrete states.
 */
import type { Model } from "./model.js";
import type { ParentLinks } from "./links.js";
import { replayChain, type Path, type PreferredPath } from "./path.js";
import { GrowableUint32 } from "./growable.js";

/** In firstEnd: the first ending's parent is in the table, not the search's link (a lower cost came later). */
const MOVED = 0x80;
/** The bit of A(s) that stands for "no step yet" (an initial state): leaving it costs nothing. */
export const NO_LAST = 31;
/** Actors must fit the masks below NO_LAST. */
export const MAX_TRACKED_ACTORS = 31;

/** Counts the preemptions along a path. */
export function countPreemptions<S>(model: Model<S>, path: Path<S>): number {
  let n = 0;
  for (let i = 1; i < path.actions.length; i++) {
    const prev = path.actions[i - 1]!.actor;
    const cur = path.actions[i]!.actor;
    if (cur !== prev && model.actions(path.states[i]!).some((a) => a.actor === prev)) n++;
  }
  return n;
}

/** The path the search's fewest-preemption links give to state `index`. */
export function rebuildPreferred<S>(model: Model<S>, links: ParentLinks, preferred: PreemptionTracker, index: number): PreferredPath<S> {
  const path = replayChain(model, links, preferred.chain(index, links));
  return { ...path, preemptions: preferred.costOf(index) };
}

/** (state, ending actor) -> the parent it came from, open addressing in four lanes. */
class EndingParents {
  private key: Uint32Array; // state number + 1 (0: empty)
  private actorVia: Uint32Array; // actor << 8 | via
  private parent: Uint32Array;
  private accept: Uint32Array; // the parent's endings that give the same cost
  private cap: number;
  size = 0;

  constructor(cap = 16) {
    this.cap = cap;
    this.key = new Uint32Array(cap);
    this.actorVia = new Uint32Array(cap);
    this.parent = new Uint32Array(cap);
    this.accept = new Uint32Array(cap);
  }

  get bytes(): number {
    return this.cap * 16;
  }

  private slot(index: number, actor: number): number {
    let h = Math.imul(index ^ (actor << 26), 0x9e3779b1);
    h ^= h >>> 15;
    return (h >>> 0) & (this.cap - 1);
  }

  set(index: number, actor: number, parent: number, via: number, accept: number): void {
    if (this.size * 4 >= this.cap * 3) this.grow();
    const k = index + 1;
    for (let i = this.slot(index, actor); ; i = (i + 1) & (this.cap - 1)) {
      const at = this.key[i]!;
      if (at === 0 || (at === k && this.actorVia[i]! >>> 8 === actor)) {
        if (at === 0) this.size++;
        this.key[i] = k;
        this.actorVia[i] = (actor << 8) | via;
        this.parent[i] = parent;
        this.accept[i] = accept;
        return;
      }
    }
  }

  /** The slot of (index, actor), or -1. */
  find(index: number, actor: number): number {
    const k = index + 1;
    for (let i = this.slot(index, actor); ; i = (i + 1) & (this.cap - 1)) {
      const at = this.key[i]!;
      if (at === 0) return -1;
      if (at === k && this.actorVia[i]! >>> 8 === actor) return i;
    }
  }
  viaAt(i: number): number {
    return this.actorVia[i]! & 0xff;
  }
  parentAt(i: number): number {
    return this.parent[i]!;
  }
  acceptAt(i: number): number {
    return this.accept[i]!;
  }

  private grow(): void {
    const { key, actorVia, parent, accept, cap } = this;
    this.cap = cap * 2;
    this.key = new Uint32Array(this.cap);
    this.actorVia = new Uint32Array(this.cap);
    this.parent = new Uint32Array(this.cap);
    this.accept = new Uint32Array(this.cap);
    this.size = 0;
    for (let i = 0; i < cap; i++) if (key[i] !== 0) this.set(key[i]! - 1, actorVia[i]! >>> 8, parent[i]!, actorVia[i]! & 0xff, accept[i]!);
  }
}

/** Endings found for the states of one level, until each is expanded: appended as found, a list
 * per state, newest first. Costs only fall, so an actor's newest entry is the one at the state's
 * final cost: a walk of the list takes the first it meets of each actor. */
class LevelEndings {
  /** Per state of the level (its number less `base`): its newest entry + 1 (0: none). */
  private head: Uint32Array;
  private base = -1;
  private readonly parent = new GrowableUint32(64);
  private readonly actorVia = new GrowableUint32(64);
  private readonly accept = new GrowableUint32(64);
  private readonly next = new GrowableUint32(64);

  constructor(states: number) {
    this.head = new Uint32Array(Math.max(16, states));
  }

  /** States of the level seen so far. */
  private used = 0;

  get bytes(): number {
    return this.head.byteLength + this.parent.bytes + this.actorVia.bytes + this.accept.bytes + this.next.bytes;
  }
  get states(): number {
    return this.used;
  }

  /** A new state of the level (numbered in order). */
  reached(index: number): void {
    if (this.base < 0) this.base = index;
    const at = index - this.base;
    if (at >= this.head.length) {
      const h = new Uint32Array(Math.ceil((at + 1) * 1.5));
      h.set(this.head);
      this.head = h;
    }
    this.head[at] = 0;
    this.used = at + 1;
  }

  add(index: number, actor: number, parent: number, via: number, accept: number): void {
    const at = index - this.base;
    this.next.push(this.head[at]!);
    this.parent.push(parent);
    this.actorVia.push((actor << 8) | via);
    this.accept.push(accept);
    this.head[at] = this.parent.length;
  }

  /** Copies to `kept` the newest entry of each actor of `want` that state `index` has. */
  keepInto(kept: KeptEndings, index: number, want: number): void {
    if (this.base < 0 || index < this.base || index - this.base >= this.used) return;
    for (let e = this.head[index - this.base]!; e !== 0 && want !== 0; e = this.next.data[e - 1]!) {
      const av = this.actorVia.data[e - 1]!;
      const bit = 1 << (av >>> 8);
      if ((want & bit) === 0) continue;
      want &= ~bit;
      kept.push(index, av, this.parent.data[e - 1]!, this.accept.data[e - 1]!);
    }
  }
}

/** The (state, ending) parents a walk back may ask for, appended as states are expanded, so in
 * increasing state number: found by binary search. */
class KeptEndings {
  private readonly index = new GrowableUint32(64);
  private readonly actorVia = new GrowableUint32(64);
  private readonly parent = new GrowableUint32(64);
  private readonly accept = new GrowableUint32(64);

  get bytes(): number {
    return this.index.bytes + this.actorVia.bytes + this.parent.bytes + this.accept.bytes;
  }

  push(index: number, actorVia: number, parent: number, accept: number): void {
    this.index.push(index);
    this.actorVia.push(actorVia);
    this.parent.push(parent);
    this.accept.push(accept);
  }

  /** The entry of (index, actor), or -1. */
  find(index: number, actor: number): number {
    const ix = this.index.data;
    let lo = 0;
    let hi = this.index.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ix[mid]! < index) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.index.length && ix[i] === index; i++) if (this.actorVia.data[i]! >>> 8 === actor) return i;
    return -1;
  }
  viaAt(i: number): number {
    return this.actorVia.data[i]! & 0xff;
  }
  parentAt(i: number): number {
    return this.parent.data[i]!;
  }
  acceptAt(i: number): number {
    return this.accept.data[i]!;
  }
}

/** `to`, a longer array, with `from`'s contents at its start. */
function grown<T extends Uint8Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** One step of a rebuilt chain: state number, the action's index among its parent's expanded
 * actions (an initial state's: its number among the initial states), and the actor that took it
 * as the state's representative names it. */
export interface ChainStep {
  readonly index: number;
  readonly via: number;
  readonly actor: number;
}

/** The breadth-first search's bookkeeping of m(s) and A(s) (see the top of this file). */
export class PreemptionTracker {
  private cost = new Uint8Array(16);
  private ends = new Uint32Array(16);
  /** The ending of the first path found with the fewest: rebuilt paths prefer it, so that of
   * equal paths the one the search met first (the lower CPUs first) is shown. */
  private firstEnd = new Uint8Array(16);
  /** For the first ending, the parent's endings that give its cost (its parent is the search's link). */
  private firstAccept = new Uint32Array(16);
  /** A first ending found again at a lower cost (MOVED set): the state may never be expanded. */
  private readonly moved = new EndingParents();
  /** The other (state, ending) pairs a walk back may need. */
  private readonly kept = new KeptEndings();
  /** Endings of the level being expanded, and of the level being found, until their state is expanded. */
  private staged = new LevelEndings(16);
  private staging = new LevelEndings(16);
  private level = -1;
  /** Set for the state being expanded: its cost and which exits are free. */
  private fromCost = 0;
  private fromEnds = 0;
  private fromFree = false;
  private fromIdle = 0;
  /** The exit being taken: its cost and the parent's endings that give it. */
  exitCost = 0;
  exitAccept = 0;

  get bytes(): number {
    return this.cost.byteLength + this.ends.byteLength + this.firstEnd.byteLength + this.firstAccept.byteLength + this.moved.bytes + this.kept.bytes + this.staged.bytes + this.staging.bytes;
  }

  private room(index: number): void {
    if (index < this.cost.length) return;
    const n = Math.max(index + 1, Math.ceil(this.cost.length * 1.25));
    this.cost = grown(this.cost, new Uint8Array(n));
    this.ends = grown(this.ends, new Uint32Array(n));
    this.firstEnd = grown(this.firstEnd, new Uint8Array(n));
    this.firstAccept = grown(this.firstAccept, new Uint32Array(n));
  }

  /** An initial state, numbered `index`. */
  initial(index: number): void {
    this.room(index);
    this.cost[index] = 0;
    this.ends[index] = 1 << NO_LAST;
    this.firstEnd[index] = NO_LAST;
    this.firstAccept[index] = 0;
  }

  /** State `index`, at `depth`, is expanded; `enabled` has a bit for every actor that can move in it. */
  expanding(index: number, enabled: number, depth: number): void {
    if (depth !== this.level) {
      this.level = depth;
      // Sized as the last level's was, so that it seldom grows.
      const size = this.staging.states;
      this.staged = this.staging;
      this.staging = new LevelEndings(Math.ceil(size * 1.5));
    }
    this.keep(index, enabled);
    this.fromCost = this.cost[index]!;
    this.fromEnds = this.ends[index]!;
    this.fromIdle = this.fromEnds & ~enabled;
    this.fromFree = this.fromIdle !== 0;
  }

  /** Its exit by `actor`: sets exitCost and exitAccept. */
  exit(actor: number): void {
    const bit = 1 << actor;
    if (this.fromFree || (this.fromEnds & bit) !== 0) {
      this.exitCost = this.fromCost;
      this.exitAccept = this.fromIdle | (this.fromEnds & bit);
    } else {
      this.exitCost = Math.min(255, this.fromCost + 1);
      this.exitAccept = this.fromEnds;
    }
  }

  /** A new state `index`, reached by the exit just taken (its parent link is the search's), by `actor` (the new state's name for it). */
  reached(index: number, actor: number): void {
    this.room(index);
    this.cost[index] = this.exitCost;
    this.ends[index] = 1 << actor;
    this.firstEnd[index] = actor;
    this.firstAccept[index] = this.exitAccept;
    this.staging.reached(index);
  }

  /** State `index`, of the layer being found, reached again by another shortest path. */
  again(index: number, parent: number, via: number, actor: number): void {
    const c = this.cost[index]!;
    const bit = 1 << actor;
    if (this.exitCost < c) {
      this.cost[index] = this.exitCost;
      this.ends[index] = bit;
      this.firstEnd[index] = actor | MOVED;
      this.moved.set(index, actor, parent, via, this.exitAccept);
      return;
    }
    if (this.exitCost > c || (this.ends[index]! & bit) !== 0) return;
    this.ends[index] = this.ends[index]! | bit;
    this.staging.add(index, actor, parent, via, this.exitAccept);
  }

  /** Moves the endings of state `index` a walk back may ask for (see the top) from its level's table. */
  private keep(index: number, enabled: number): void {
    const first = 1 << (this.firstEnd[index]! & ~MOVED);
    const others = this.ends[index]! & ~first;
    if (others === 0 || (first & enabled) === 0) return;
    const idle = others & ~enabled;
    // A walk asks for an ending among those it accepts and takes the lowest: an idle one only if it is the lowest idle.
    this.staged.keepInto(this.kept, index, (others & enabled) | (idle & -idle));
  }

  costOf(index: number): number {
    return this.cost[index]!;
  }

  /** A path of cost m(index) back to an initial state, first step first; `links`: the search's own parent links. */
  chain(index: number, links: { parentOf(i: number): number; viaOf(i: number): number }): ChainStep[] {
    const out: ChainStep[] = [];
    let accept = this.ends[index]!;
    for (let i = index; i !== 0xffffffff; ) {
      const ends = this.ends[i]! & accept;
      if (ends === 0) throw new Error(`preemption links broken at state ${i}`);
      const first = this.firstEnd[i]! & ~MOVED;
      const actor = (ends >>> first) & 1 ? first : 31 - Math.clz32(ends & -ends);
      if (actor === first && !(this.firstEnd[i]! & MOVED)) {
        // Found first by this ending: the search's own link.
        out.push({ index: i, via: links.viaOf(i), actor });
        accept = this.firstAccept[i]!;
        i = links.parentOf(i);
        continue;
      }
      const table = actor === first ? this.moved : this.kept;
      const slot = table.find(i, actor);
      if (slot < 0) throw new Error(`no parent kept for state ${i} ending with actor ${actor}`);
      out.push({ index: i, via: table.viaAt(slot), actor });
      accept = table.acceptAt(slot);
      i = table.parentAt(slot);
    }
    return out.reverse();
  }
}
