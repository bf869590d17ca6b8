/**
 * The boundary between the generic search engine and a model. The engine knows
 * states only through this interface: it never looks inside a state.
 */

/** One enabled step. `actor` is the process (CPU) that moves; when one actor has
 * several actions in a state they are the alternatives of a nondeterministic
 * choice it makes (`choice` numbers them). */
export interface Action {
  readonly actor: number;
  readonly choice: number;
}

/** A property is checked on every reachable state (`invariant`) or on every
 * state with no enabled action (`terminal`). `violations` names the classes of
 * violation a state shows; an empty list means the state is fine. */
export interface Property<S> {
  readonly name: string;
  readonly kind: "invariant" | "terminal";
  readonly description: string;
  /** The classes `violations` may name, each with what it means (for reports). */
  readonly classes?: Readonly<Record<string, string>>;
  violations(s: S): readonly string[];
}

export interface Model<S> {
  /** Names of the actors, for traces ("cpu0", "cpu1", ...). */
  readonly actorNames: readonly string[];
  /** Upper bound on the number of int32 words `encode` writes. */
  readonly encodedWords: number;
  initialStates(): readonly S[];
  /** Enabled actions of `s`, in a fixed order (replay relies on it). */
  actions(s: S): readonly Action[];
  /** The successor of `s` by `a`; must not modify `s`. */
  next(s: S, a: Action): S;
  /** Writes a canonical encoding of `s` into `out` and returns its length:
   * equal states must give equal words. The engine fingerprints these words. */
  encode(s: S, out: Int32Array): number;
  /** A short human label for the step `a` taken from `s`. */
  describe(s: S, a: Action): string;
  /** Symmetry reduction: a representative of `s`'s class under the model's
   * symmetries (e.g. a permutation of interchangeable actors). It must be a
   * state the model treats exactly like `s`, with the same property values. */
  canonical?(s: S): S;
  /** With symmetry: after the last `canonical` (or `inPlace.canonicalize`) call, the actor that
   * actor `actor` of the state before is in its representative. Without it, actors keep their
   * numbers; a model whose symmetry renames actors must give it. */
  canonicalActor?(actor: number): number;
  /** Partial-order reduction: `a` touches only its actor's private data, so it
   * commutes with every other actor's actions and changes no property. */
  isLocal?(s: S, a: Action): boolean;
  /** The choice of action `a` (enabled in `s`) as another model of the same actors numbers it: a
   * model with alternatives of its own beyond the shared ones (a user patch's choices) maps each to
   * the shared choice it refines. A differential search couples two models by it. Default: a.choice. */
  sharedChoice?(s: S, a: Action): number;
  /** The search's fast path: states kept as their encoding and stepped in
   * place, so exploring allocates nothing per state. */
  readonly inPlace?: InPlace<S>;
}

/** Decoding and in-place stepping. `encode` must then be a complete encoding:
 * decode(encode(s)) is a state the model treats exactly like `s`. */
export interface InPlace<S> {
  /** A mutable state for `decode` to fill; the engine owns it. */
  scratch(): S;
  /** Fills `into` from `words[off .. off+len)` written by `encode`; returns it. */
  decode(words: Int32Array, off: number, len: number, into: S): S;
  /** Applies `a` to `s`, a scratch state, in place. */
  apply(s: S, a: Action): void;
  /** Symmetry reduction on the encoding: rewrites `words[0..len)` into the
   * encoding of `canonical(s)` (which the model must then also have). */
  canonicalize?(words: Int32Array, len: number): void;
  /** Undoes a step cheaply: `s` encodes to `now`; make it the state `base`
   * encodes, decoding only what differs. Without it every successor starts
   * from a full decode. */
  restore?(s: S, base: Int32Array, now: Int32Array, len: number): void;
  /** A progress measure on the encoding: a small non-negative integer that
   * every transition strictly increases. With it a breadth-first search keeps
   * only the fingerprints it may still meet (the sweep-line method, visited.ts);
   * the search checks it and does without when it does not increase. */
  progress?(words: Int32Array, len: number): number;
}
