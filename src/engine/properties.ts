/**
 * Several properties checked in one search. Invariants are read on every
 * state, terminal properties on states with no enabled action; each class
 * found is keyed by its property, so two properties may name classes alike.
 */
import type { Property } from "./model.js";

/** One or several properties, as the search functions take them. */
export type Properties<S> = Property<S> | readonly Property<S>[];

export class PropertySet<S> {
  readonly all: readonly Property<S>[];
  private readonly invariants: readonly Property<S>[];
  private readonly terminals: readonly Property<S>[];

  constructor(p: Properties<S>) {
    this.all = Array.isArray(p) ? [...(p as readonly Property<S>[])] : [p as Property<S>];
    if (this.all.length === 0) throw new Error("a search needs at least one property");
    if (new Set(this.all.map((q) => q.name)).size !== this.all.length) throw new Error("a property is given twice");
    this.invariants = this.all.filter((q) => q.kind === "invariant");
    this.terminals = this.all.filter((q) => q.kind === "terminal");
  }

  get names(): string[] {
    return this.all.map((q) => q.name);
  }

  get hasInvariants(): boolean {
    return this.invariants.length > 0;
  }

  /** Calls `found` for each class an invariant shows in `s`. */
  onState(s: S, found: (property: string, name: string) => void): void {
    for (const q of this.invariants) for (const n of q.violations(s)) found(q.name, n);
  }

  /** Calls `found` for each class a terminal property shows in `s` (a state with no enabled action). */
  onTerminal(s: S, found: (property: string, name: string) => void): void {
    for (const q of this.terminals) for (const n of q.violations(s)) found(q.name, n);
  }

  /** Whether some invariant is broken in `s`. */
  invariantBroken(s: S): boolean {
    for (const q of this.invariants) if (q.violations(s).length > 0) return true;
    return false;
  }

  /** Every class `s` shows, terminal ones included when `terminal`. */
  classesOf(s: S, terminal: boolean): { property: string; name: string }[] {
    const out: { property: string; name: string }[] = [];
    const add = (property: string, name: string): void => void out.push({ property, name });
    this.onState(s, add);
    if (terminal) this.onTerminal(s, add);
    return out;
  }
}

/** The key a class is counted under: its property and its name. */
export const classKey = (property: string, name: string): string => `${property}\u0000${name}`;

/** A class as a search counts it. */
export interface CountedClass {
  readonly property: string;
  readonly name: string;
  states: number;
  first: number;
  depth: number;
  /** Every other state of the class found at `depth`, so that the one with the fewest
   * preemptions can be picked once the search knows them (at most CANDIDATES). */
  readonly others: number[];
  /** Found on a terminal state (read when expanded) rather than on reaching one. */
  readonly terminal: boolean;
  /** More states of the class were found at `depth` than `others` keeps. */
  cut: boolean;
}

/** How many states of one class at its shallowest depth are kept to choose a counterexample from. */
const CANDIDATES = 1 << 16;

/** Counts the classes the states of a search show: `at(index, depth)` names the
 * state, then `note` (the callback PropertySet.onState/onTerminal takes) counts. */
export class ClassCounter {
  /** In order of discovery. */
  readonly classes: CountedClass[] = [];
  /** When the first class was found (performance.now()), if one was. */
  firstAt: number | undefined;
  /** With stopAtFirst, the depth of the first state not to expand: every state of the first class's
   * depth is then found (and, for a terminal class, read), so its fewest preemptions are known. */
  stopDepth = Infinity;
  private index = 0;
  private depth = 0;
  private terminal = false;

  /** `terminal`: the notes that follow are a terminal property's, read as the state is expanded. */
  at(index: number, depth: number, terminal = false): void {
    this.index = index;
    this.depth = depth;
    this.terminal = terminal;
  }

  /** The classes by property, then name: `note` runs for every violating state, and building a string
   * key there (`classKey`) costs more than two lookups. */
  private readonly byProperty = new Map<string, Map<string, CountedClass>>();

  readonly note = (property: string, name: string): void => {
    let named = this.byProperty.get(property);
    if (!named) this.byProperty.set(property, (named = new Map()));
    const c = named.get(name);
    if (c) {
      c.states++;
      if (this.depth === c.depth) {
        if (c.others.length < CANDIDATES) c.others.push(this.index);
        else c.cut = true;
      }
    } else {
      if (this.classes.length === 0) {
        this.firstAt = performance.now();
        this.stopDepth = this.depth + (this.terminal ? 1 : 0);
      }
      const added: CountedClass = { property, name, states: 1, first: this.index, depth: this.depth, others: [], terminal: this.terminal, cut: false };
      named.set(name, added);
      this.classes.push(added);
    }
  };
}
