/**
 * Counterexample reconstruction: walk the parent links back to an initial
 * state, then replay the recorded action choices forward through the model,
 * checking at every step that the replayed state has the stored fingerprint
 * (Stateright and TLC rebuild paths the same way).
 */
import type { Action, Model } from "./model.js";
import type { ParentLinks } from "./search.js";
import { fingerprint } from "./fingerprint.js";

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
  const check = (s: S, expected: number): void => {
    const len = model.encode(s, words);
    fingerprint(words, len, fp);
    if (links.table.get(fp[0]!, fp[1]!) !== expected) {
      throw new ReplayError(`replay diverged at state ${expected}: the model is not deterministic`);
    }
  };
  const inits = model.initialStates();
  let s: S = inits[links.via.data[chain[0]!]!]!;
  check(s, chain[0]!);
  const states: S[] = [s];
  const actions: Action[] = [];
  for (let j = 1; j < chain.length; j++) {
    const a = model.actions(s)[links.via.data[chain[j]!]!];
    if (!a) throw new ReplayError(`replay diverged at state ${chain[j]}: recorded action is not enabled`);
    s = model.next(s, a);
    check(s, chain[j]!);
    states.push(s);
    actions.push(a);
  }
  return { states, actions };
}
