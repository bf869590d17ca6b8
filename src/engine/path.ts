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
  const chain: number[] = [];
  for (let i = index; ; ) {
    chain.push(i);
    const p = links.parentOf(i);
    if (p === NO_PARENT) break;
    i = p;
  }
  chain.reverse();
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
  let s: S = model.initialStates()[links.viaOf(chain[0]!)]!;
  // The representative the search expanded, and the concrete state it stands for.
  let rep: S = represent(model, s, links.reduce);
  known(rep, chain[0]!);
  const states: S[] = [s];
  const actions: Action[] = [];
  for (let j = 1; j < chain.length; j++) {
    const recorded = expand(model, rep, links.reduce)[links.viaOf(chain[j]!)];
    if (!recorded) throw new ReplayError(`replay diverged at state ${chain[j]}: recorded action is not enabled`);
    const nextRep = represent(model, model.next(rep, recorded), links.reduce);
    known(nextRep, chain[j]!);
    let a: Action | undefined = recorded;
    let t: S | undefined = links.reduce.symmetry ? undefined : model.next(s, recorded);
    if (links.reduce.symmetry) {
      // Which of the concrete state's actions leads to the stored representative.
      a = undefined;
      for (const b of model.actions(s)) {
        const u = model.next(s, b);
        if (same(represent(model, u, links.reduce), nextRep)) {
          a = b;
          t = u;
          break;
        }
      }
      if (!a || !t) throw new ReplayError(`replay diverged at state ${chain[j]}: no action reaches the stored state`);
    }
    s = t!;
    rep = nextRep;
    states.push(s);
    actions.push(a);
  }
  return { states, actions };
}
