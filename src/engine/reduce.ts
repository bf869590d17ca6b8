/**
 * State-space reductions, applied the same way by the search and by replay.
 * - symmetry: every stored state is the model's canonical representative;
 * - partial-order (ample sets): when some actor's enabled actions are all
 *   local (private, invisible), only that actor moves. Sound here because a
 *   local action commutes with every other action and changes no property
 *   (conditions C0-C2); the state graphs of these models are acyclic, so the
 *   cycle proviso C3 holds trivially. Reachable terminal states, and whether
 *   each property's violation classes are reachable, are preserved.
 */
import type { Action, Model } from "./model.js";

export interface Reductions {
  readonly symmetry: boolean;
  readonly por: boolean;
}

export const NO_REDUCTION: Reductions = { symmetry: false, por: false };

/** The reductions that apply to `model`: symmetry needs its canonical form, POR its isLocal.
 * What a search reports, so that a model that cannot reduce says so instead of naming what was asked. */
export function effectiveReductions<S>(model: Model<S>, r: Reductions): Reductions {
  const symmetry = r.symmetry && (model.canonical !== undefined || model.inPlace?.canonicalize !== undefined);
  const por = r.por && model.isLocal !== undefined;
  return symmetry === r.symmetry && por === r.por ? r : { symmetry, por };
}

/** The actions the search expands from `s`. */
export function expand<S>(model: Model<S>, s: S, r: Reductions): readonly Action[] {
  return expandFrom(model, s, model.actions(s), r);
}

/** The same, given `acts`, every action enabled in `s`. */
export function expandFrom<S>(model: Model<S>, s: S, acts: readonly Action[], r: Reductions): readonly Action[] {
  if (!r.por || !model.isLocal || acts.length < 2) return acts;
  let i = 0;
  while (i < acts.length) {
    const actor = acts[i]!.actor;
    let j = i;
    let local = true;
    for (; j < acts.length && acts[j]!.actor === actor; j++) local &&= model.isLocal(s, acts[j]!);
    if (local && j - i < acts.length) return acts.slice(i, j);
    i = j;
  }
  return acts;
}

/** The state the search stores for `s`. */
export function represent<S>(model: Model<S>, s: S, r: Reductions): S {
  return r.symmetry && model.canonical ? model.canonical(s) : s;
}
