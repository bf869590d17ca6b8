/**
 * Counterexample reconstruction: walk the parent links back to an initial
 * state, then replay the recorded action choices forward through the model,
 * checking at every step that the replayed state has the stored fingerprint
 * (Stateright and TLC rebuild paths the same way). Under symmetry reduction
 * the stored states are representatives; the path is then re-threaded through
 * concrete states: at each step the action whose successor has the stored
 * representative.
 */
import type { Action, Model } from "./model.js";
import { NO_PARENT, type ParentLinks } from "./links.js";
import { fingerprint } from "./fingerprint.js";
import { expand, represent } from "./reduce.js";

export interface Path<S> {
  /** states[0] is initial; states[i+1] = next(states[i], actions[i]). */
  readonly states: S[];
  readonly actions: Action[];
}

export class ReplayError extends Error {}

export function rebuildPath<S>(model: Model<S>, links: ParentLinks, index: number): Path<S> {
  const chain: { index: number; via: number }[] = [];
  for (let i = index; ; ) {
    chain.push({ index: i, via: links.viaOf(i) });
    const p = links.parentOf(i);
    if (p === NO_PARENT) break;
    i = p;
  }
  return replayChain(model, links, chain.reverse());
}

/** A path with its preemptions counted (preemption.ts rebuilds the search's fewest-preemption one). */
export interface PreferredPath<S> extends Path<S> {
  readonly preemptions: number;
}

/** Replays a chain of (state number, action index), first step first, checking each state against the links. */
export function replayChain<S>(model: Model<S>, links: ParentLinks, chain: readonly { index: number; via: number }[]): Path<S> {
  const words = new Int32Array(model.encodedWords);
  const other = new Int32Array(model.encodedWords);
  const fp = new Uint32Array(2);
  /** The search stored `rep` as state number `at`: the links agree with its fingerprint. */
  const known = (rep: S, at: number): void => {
    const len = model.encode(rep, words);
    fingerprint(words, len, fp);
    if (!links.matches(at, fp[0]!, fp[1]!)) throw new ReplayError(`replay diverged at state ${at}: the model is not deterministic`);
  };
  const same = (a: S, b: S): boolean => {
    const n = model.encode(a, words);
    if (model.encode(b, other) !== n) return false;
    for (let i = 0; i < n; i++) if (words[i] !== other[i]) return false;
    return true;
  };
  const symmetry = links.reduce.symmetry;
  // Under symmetry, where each actor of the concrete state is in its representative (the search
  // named actors so): the concrete step is the recorded one with its actor renamed back.
  const rename = symmetry ? model.canonicalActor?.bind(model) : undefined;
  const actors = model.actorNames.length;
  let where = Array.from({ length: actors }, (_, x) => x);
  let s: S = model.initialStates()[chain[0]!.via]!;
  // The representative the search expanded, and the concrete state it stands for.
  let rep: S = represent(model, s, links.reduce);
  if (rename) where = where.map((x) => rename(x));
  known(rep, chain[0]!.index);
  const states: S[] = [s];
  const actions: Action[] = [];
  for (let j = 1; j < chain.length; j++) {
    const at = chain[j]!.index;
    const recorded = expand(model, rep, links.reduce)[chain[j]!.via];
    if (!recorded) throw new ReplayError(`replay diverged at state ${at}: recorded action is not enabled`);
    // With the actors tracked, the concrete actor the recorded one stands for; else any that reaches the representative.
    const wanted = rename ? where.indexOf(recorded.actor) : -1;
    const nextRep = represent(model, model.next(rep, recorded), links.reduce);
    if (rename) where = where.map((x) => rename(x));
    known(nextRep, at);
    let a: Action | undefined = recorded;
    let t: S | undefined = symmetry ? undefined : model.next(s, recorded);
    if (symmetry) {
      a = undefined;
      for (const b of model.actions(s)) {
        if (wanted >= 0 && (b.actor !== wanted || b.choice !== recorded.choice)) continue;
        const u = model.next(s, b);
        // With the actors tracked the concrete step is the recorded one renamed back, and its state the
        // stored one's image, whatever representative the canonicaliser would pick for it (where it
        // misses an equivalence it may pick another); without, the step whose state has the stored one.
        if (wanted >= 0 || same(represent(model, u, links.reduce), nextRep)) {
          a = b;
          t = u;
          break;
        }
      }
      if (!a || !t) throw new ReplayError(`replay diverged at state ${at}: no action reaches the stored state`);
    }
    s = t!;
    rep = nextRep;
    states.push(s);
    actions.push(a);
  }
  return { states, actions };
}
