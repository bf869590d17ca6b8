/**
 * A property of the conntrack model: the engine's Property, with its class meanings, and the gate that says
 * which scenarios it applies to. A new property is a file here and a line in properties.ts's table.
 */
import type { Property } from "../../engine/model.js";
import type { KState } from "../net/state.js";
import type { Scenario } from "../../scenario/scenario.js";

export interface KernelProperty extends Property<KState> {
  readonly classes: Readonly<Record<string, string>>;
  /** Why scenario `sc` cannot be checked against it (one clause: "needs a scenario with replies: true"), or
   * undefined when it can. */
  gate(sc: Scenario): string | undefined;
}

/** No violation: one shared empty list, since properties run for every state. */
export const NONE: readonly string[] = Object.freeze([]);

/** The classes of a per-packet code in state `s` (`code` reads it; 0 is none), named by `classes[code]`, each once. */
export function codeClasses(s: KState, code: (p: KState["pkts"][number]) => number, classes: readonly string[]): readonly string[] {
  let out: string[] | undefined;
  for (const p of s.pkts) {
    const c = code(p);
    if (!c) continue;
    const cls = classes[c]!;
    if (!out) out = [cls];
    else if (!out.includes(cls)) out.push(cls);
  }
  return out ?? NONE;
}
