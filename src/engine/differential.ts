/**
 * Differential search: two models over the same actors run in lockstep under
 * one schedule, to find a run that violates a class on A while B, given the
 * very same choices, does not; or to show there is none. The product is an
 * ordinary model, searched by the ordinary `search`.
 *
 * The product steps as A does: each of A's actions is a product action, and B
 * takes the action with the same actor and choice when B has it enabled,
 * otherwise B stays (a skip). A choice is compared as both models share it
 * (Model.sharedChoice): where one side has alternatives of its own beyond it (a
 * user patch's lib.choose answers), B takes its first with the same shared
 * choice, or the one with the same index when that is one of them. Once A has no action left, B finishes on its own,
 * deterministically (lowest actor, then lowest choice), so a product run ends
 * when both have.
 *
 * No symmetry or partial-order reduction on the product: symmetry would have to
 * permute both components by one permutation, and canonicalising each on its
 * own can pick different ones, which breaks the coupling of A's and B's
 * choices; an action local (commuting, invisible) on A need not be on B, where
 * the same (actor, choice) may be a different step or a skip, so A's ample sets
 * are not ample for the product. Neither is proved sound here, so neither is used.
 */
import type { Action, Model, Property } from "./model.js";
import { rebuildPath, type Path } from "./path.js";
import { countPreemptions, rebuildPreferred } from "./preemption.js";
import { preemptionsSettled, search, type SearchOptions, type SearchResult } from "./search.js";

export interface Pair<SA, SB> {
  readonly a: SA;
  readonly b: SB;
  /** The step into this state was one of A's that B did not have enabled, so B
   * stayed. Not encoded: nothing that follows depends on it (actions, successors
   * and the target read `a` and `b` only), and a replay recomputes it. */
  readonly bSkipped: boolean;
}

const NONE: readonly string[] = Object.freeze([]);

/** B's action that mirrors A's `act` (see the module comment), if B has one enabled. */
function mirrorOf<SA, SB>(a: Model<SA>, sa: SA, b: Model<SB>, sb: SB, act: Action): Action | undefined {
  const acts = b.actions(sb);
  if (!a.sharedChoice && !b.sharedChoice) {
    for (const x of acts) if (x.actor === act.actor && x.choice === act.choice) return x;
    return undefined;
  }
  const key = a.sharedChoice ? a.sharedChoice(sa, act) : act.choice;
  let first: Action | undefined;
  for (const x of acts) {
    if (x.actor !== act.actor || (b.sharedChoice ? b.sharedChoice(sb, x) : x.choice) !== key) continue;
    if (x.choice === act.choice) return x;
    if (!first || x.choice < first.choice) first = x;
  }
  return first;
}

/** B's lowest actor's lowest choice: how B finishes once A has stopped. */
function firstAction(acts: readonly Action[]): Action | undefined {
  let best: Action | undefined;
  for (const x of acts) if (!best || x.actor < best.actor || (x.actor === best.actor && x.choice < best.choice)) best = x;
  return best;
}

export function productModel<SA, SB>(a: Model<SA>, b: Model<SB>): Model<Pair<SA, SB>> {
  if (a.actorNames.length !== b.actorNames.length || a.actorNames.some((n, i) => n !== b.actorNames[i])) {
    throw new Error(`a differential search needs the same actors: ${a.actorNames.join(",")} against ${b.actorNames.join(",")}`);
  }
  const initA = a.initialStates();
  const initB = b.initialStates();
  if (initA.length !== initB.length) throw new Error(`a differential search needs as many initial states on both sides: ${initA.length} against ${initB.length}`);
  return {
    actorNames: a.actorNames,
    // A's length first, so that two pairs cannot share words by splitting them differently.
    encodedWords: 1 + a.encodedWords + b.encodedWords,
    // The i-th initial state of each: choosing an initial state is a choice too.
    initialStates: () => initA.map((s, i) => ({ a: s, b: initB[i]!, bSkipped: false })),
    actions(p) {
      const acts = a.actions(p.a);
      if (acts.length > 0) return acts;
      const alone = firstAction(b.actions(p.b));
      return alone ? [alone] : [];
    },
    next(p, act) {
      if (a.actions(p.a).length === 0) return { a: p.a, b: b.next(p.b, act), bSkipped: false };
      const mirror = mirrorOf(a, p.a, b, p.b, act);
      return { a: a.next(p.a, act), b: mirror ? b.next(p.b, mirror) : p.b, bSkipped: !mirror };
    },
    encode(p, out) {
      const la = a.encode(p.a, out.subarray(1));
      out[0] = la;
      return 1 + la + b.encode(p.b, out.subarray(1 + la));
    },
    describe(p, act) {
      if (a.actions(p.a).length === 0) return `B alone: ${b.describe(p.b, act)}`;
      const mirror = mirrorOf(a, p.a, b, p.b, act);
      return `${a.describe(p.a, act)}${mirror ? "" : " (B skips)"}`;
    },
  };
}

/** The class to separate, and each side's property that names it (a property of
 * the same name and kind, read on that side's states). */
export interface DifferentialTarget<SA, SB> {
  readonly name: string;
  readonly a: Property<SA>;
  readonly b: Property<SB>;
}

/** The product property: A shows the class and B, at the same point, does not.
 * For a terminal property that point is the product's end: both have finished. */
export function differentialProperty<SA, SB>(t: DifferentialTarget<SA, SB>): Property<Pair<SA, SB>> {
  if (t.a.name !== t.b.name || t.a.kind !== t.b.kind) {
    throw new Error(`a differential target needs one property on both sides: ${t.a.name} (${t.a.kind}) against ${t.b.name} (${t.b.kind})`);
  }
  const one: readonly string[] = Object.freeze([t.name]);
  return {
    name: t.a.name,
    kind: t.a.kind,
    description: `${t.name} (${t.a.name}) on A and not on B with the same choices`,
    violations: (p) => (t.a.violations(p.a).includes(t.name) && !t.b.violations(p.b).includes(t.name) ? one : NONE),
  };
}

/** A product run split into each side's own run. */
export interface DifferentialPath<SA, SB> {
  readonly pair: Path<Pair<SA, SB>>;
  /** A's run: the product's steps while A moves. */
  readonly a: Path<SA>;
  /** B's run: the steps of A's it could take, then its own to finish. */
  readonly b: Path<SB>;
  /** For each of B's steps, the number (from 1) of A's step it mirrors, or null for a step B took alone after A ended. */
  readonly mirrors: readonly (number | null)[];
  /** The numbers of A's steps B did not have enabled. */
  readonly skipped: readonly number[];
}

export function splitPath<SA, SB>(a: Model<SA>, b: Model<SB>, pair: Path<Pair<SA, SB>>): DifferentialPath<SA, SB> {
  const first = pair.states[0]!;
  const pa: Path<SA> = { states: [first.a], actions: [] };
  const pb: Path<SB> = { states: [first.b], actions: [] };
  const mirrors: (number | null)[] = [];
  const skipped: number[] = [];
  pair.actions.forEach((act, i) => {
    const before = pair.states[i]!;
    const after = pair.states[i + 1]!;
    if (a.actions(before.a).length > 0) {
      pa.states.push(after.a);
      pa.actions.push(act);
      if (after.bSkipped) skipped.push(pa.actions.length);
      else {
        pb.states.push(after.b);
        pb.actions.push(mirrorOf(a, before.a, b, before.b, act)!);
        mirrors.push(pa.actions.length);
      }
    } else {
      pb.states.push(after.b);
      pb.actions.push(act);
      mirrors.push(null);
    }
  });
  return { pair, a: pa, b: pb, mirrors, skipped };
}

export type DifferentialResult<SA, SB> =
  | {
      readonly kind: "found";
      readonly path: DifferentialPath<SA, SB>;
      /** A's preemptions (the product counts the same: once A stops, B's lone step is the only one enabled). */
      readonly preemptions: number;
      /** The shortest run with the fewest preemptions; false: the search's own shortest run. */
      readonly minimal: boolean;
      readonly search: SearchResult;
    }
  /** The search was complete: every run that shows the class on A shows it on B with the same choices. */
  | { readonly kind: "none"; readonly search: SearchResult }
  /** A budget stopped the search before it found a run. */
  | { readonly kind: "incomplete"; readonly search: SearchResult };

export interface DifferentialOptions<S> {
  /** Budgets and progress, as for `search` (order, reductions and `visit` do not apply). */
  readonly search?: Pick<SearchOptions<S>, "maxStates" | "maxSeconds" | "maxMemoryBytes" | "maxMemorySource" | "onProgress">;
}

/** Breadth-first over the product, stopping at the first target state, which is a shortest one. */
export function differentialSearch<SA, SB>(a: Model<SA>, b: Model<SB>, target: DifferentialTarget<SA, SB>, opts: DifferentialOptions<Pair<SA, SB>> = {}): DifferentialResult<SA, SB> {
  const product = productModel(a, b);
  const property = differentialProperty(target);
  const { maxStates, maxSeconds, maxMemoryBytes, maxMemorySource, onProgress } = opts.search ?? {};
  const result = search(product, property, {
    order: "bfs",
    stopAtFirst: true,
    ...(maxStates !== undefined ? { maxStates } : {}),
    ...(maxSeconds !== undefined ? { maxSeconds } : {}),
    ...(maxMemoryBytes !== undefined ? { maxMemoryBytes } : {}),
    ...(maxMemorySource !== undefined ? { maxMemorySource } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  const v = result.violations[0];
  if (!v) return { kind: result.complete ? "none" : "incomplete", search: result };
  // The search finished the first run's layer, so its fewest preemptions are known (preemption.ts).
  const best = result.preferred && v.preferred !== undefined ? rebuildPreferred(product, result.links, result.preferred, v.preferred) : undefined;
  const pair = best ?? rebuildPath(product, result.links, v.first);
  const path = splitPath(a, b, pair);
  // A budget that stopped the search before the run's level was all found: the fewest among those found.
  return { kind: "found", path, preemptions: best ? best.preemptions : countPreemptions(a, path.a), minimal: best !== undefined && preemptionsSettled(result, v), search: result };
}
