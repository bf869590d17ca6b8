/**
 * Among the shortest paths to a target state, the one with the fewest
 * preemptions: a switch from actor x to another actor while x could still
 * move (the measure CHESS bounds). Searched layer by layer over (state, last
 * actor) pairs, so length comes first and preemptions second.
 */
import type { Action, Model } from "./model.js";
import type { Path } from "./path.js";
import { fingerprint } from "./fingerprint.js";

interface Node<S> {
  readonly state: S;
  readonly last: number;
  readonly preemptions: number;
  readonly parent: Node<S> | undefined;
  readonly action: Action | undefined;
}

export interface PreferredPath<S> extends Path<S> {
  readonly preemptions: number;
}

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

/** Undefined when no target is within `maxDepth`, or when more than `maxNodes`
 * (state, last actor) pairs would have to be kept (the caller falls back). */
export function preferredPath<S>(model: Model<S>, isTarget: (s: S) => boolean, maxDepth = Infinity, maxNodes = Infinity): PreferredPath<S> | undefined {
  const words = new Int32Array(model.encodedWords);
  const fp = new Uint32Array(2);
  const keyOf = (s: S, last: number): string => {
    const len = model.encode(s, words);
    fingerprint(words, len, fp);
    return `${fp[0]}:${fp[1]}:${last}`;
  };
  const seen = new Set<string>();
  let layer = new Map<string, Node<S>>();
  for (const s of model.initialStates()) {
    const k = keyOf(s, -1);
    if (!layer.has(k)) layer.set(k, { state: s, last: -1, preemptions: 0, parent: undefined, action: undefined });
  }
  for (let depth = 0; layer.size > 0 && depth <= maxDepth; depth++) {
    let best: Node<S> | undefined;
    for (const n of layer.values()) {
      if (isTarget(n.state) && (!best || n.preemptions < best.preemptions)) best = n;
    }
    if (best) return unwind(best);
    for (const k of layer.keys()) seen.add(k);
    const next = new Map<string, Node<S>>();
    for (const n of layer.values()) {
      const acts = model.actions(n.state);
      const lastCanMove = n.last >= 0 && acts.some((a) => a.actor === n.last);
      for (const a of acts) {
        const t = model.next(n.state, a);
        const k = keyOf(t, a.actor);
        if (seen.has(k)) continue;
        const preemptions = n.preemptions + (lastCanMove && a.actor !== n.last ? 1 : 0);
        const old = next.get(k);
        if (old && old.preemptions <= preemptions) continue;
        next.set(k, { state: t, last: a.actor, preemptions, parent: n, action: a });
      }
    }
    if (seen.size + next.size > maxNodes) return undefined;
    layer = next;
  }
  return undefined;
}

function unwind<S>(n: Node<S>): PreferredPath<S> {
  const states: S[] = [];
  const actions: Action[] = [];
  const preemptions = n.preemptions;
  for (let c: Node<S> | undefined = n; c; c = c.parent) {
    states.push(c.state);
    if (c.action) actions.push(c.action);
  }
  return { states: states.reverse(), actions: actions.reverse(), preemptions };
}
