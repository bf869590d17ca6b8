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
import type { ParentLinks } from "./search.js";
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
    const p = links.parent.data[i]!;
    if (p === 0xffffffff) break;
    i = p;
  }
  chain.reverse();
  const words = new Int32Array(model.encodedWords);
  const fp = new Uint32Array(2);
  const stored = (s: S): number => {
    const len = model.encode(represent(model, s, links.reduce), words);
    fingerprint(words, len, fp);
    return links.table.get(fp[0]!, fp[1]!);
  };
  const inits = model.initialStates();
  let s: S = inits[links.via.data[chain[0]!]!]!;
  if (stored(s) !== chain[0]) throw new ReplayError(`replay diverged at state ${chain[0]}: the model is not deterministic`);
  // The representative the search expanded, and the concrete state it stands for.
  let rep: S = represent(model, s, links.reduce);
  const states: S[] = [s];
  const actions: Action[] = [];
  for (let j = 1; j < chain.length; j++) {
    const want = chain[j]!;
    const recorded = expand(model, rep, links.reduce)[links.via.data[want]!];
    if (!recorded) throw new ReplayError(`replay diverged at state ${want}: recorded action is not enabled`);
    let a: Action | undefined;
    let t: S | undefined;
    if (!links.reduce.symmetry) {
      a = recorded;
      t = model.next(s, a);
      if (stored(t) !== want) throw new ReplayError(`replay diverged at state ${want}: the model is not deterministic`);
    } else {
      // Which of the concrete state's actions leads to the stored representative.
      for (const b of model.actions(s)) {
        const u = model.next(s, b);
        if (stored(u) === want) {
          a = b;
          t = u;
          break;
        }
      }
      if (!a || !t) throw new ReplayError(`replay diverged at state ${want}: no action reaches the stored state`);
    }
    s = t;
    rep = represent(model, s, links.reduce);
    states.push(s);
    actions.push(a);
  }
  return { states, actions };
}
