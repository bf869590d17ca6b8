/**
 * The whole reachable state graph of a small scenario as Graphviz dot (`trace --format dot`): a node per
 * state (each packet's next step or fate, and its answer), an edge per transition (the actor and the
 * kernel function), states that violate a property filled (a drop red, a lost answer orange, a kernel
 * error purple), the traced counterexample's edges bold; states symmetry makes one are one node. Refused past MAX_DOT_STATES: a picture of
 * more states is not read by anybody.
 */
import { InputError } from "../errors.js";
import type { Property } from "../engine/model.js";
import type { ConntrackModel } from "../model/model.js";
import { stepFunction } from "../model/model.js";
import { Fate, Pc, Reply, type KState } from "../kernel/net/state.js";
import type { Counterexample } from "../app/check.js";

export const MAX_DOT_STATES = 2000;

const COLOUR: Record<string, string> = { "no-drop": "#ffb3b3", "all-replied": "#ffd59e", "no-crash": "#d9b3ff", "no-lost-entry": "#e6ccff" };
const REPLY = ["", "reply pending", "answered", "reply lost", "misrouted", "unanswered", "reply evicted", "reply expired"] as const;

/** A state's label: per packet its next step, or its fate and its answer. */
function label(model: ConntrackModel, s: KState): string {
  const sc = model.ctx.sc;
  const parts = s.pkts.map((p, i) => {
    const name = sc.packets[i]!.name;
    if (p.pc !== Pc.DONE) return `${name}: ${stepFunction(p.pc)}`;
    const fate = p.fate === Fate.DROPPED ? "dropped" : "accepted";
    return `${name}: ${fate}${p.reply !== Reply.NONE ? `, ${REPLY[p.reply]}` : ""}`;
  });
  if (sc.timed) parts.push(`clock ${s.now / 1000} s`);
  return parts.join("\\n");
}

const quote = (s: string): string => `"${s.replace(/"/g, '\\"')}"`;

export function renderDot(model: ConntrackModel, properties: readonly Property<KState>[], cx: Counterexample | undefined, title: string): string {
  const words = new Int32Array(model.encodedWords);
  // States the search counts as one (symmetry) are one node, as in check's count.
  const key = (s: KState): string => {
    const n = model.encode(model.canonical ? model.canonical(s) : s, words);
    return Array.from(words.subarray(0, n)).join(",");
  };
  const ids = new Map<string, number>();
  const states: KState[] = [];
  const edges: string[] = [];
  const visit = (s: KState): number => {
    const k = key(s);
    let id = ids.get(k);
    if (id === undefined) {
      id = states.length;
      if (id >= MAX_DOT_STATES) throw new InputError(`--format dot: the scenario has more than ${MAX_DOT_STATES} reachable states on ${model.ctx.k.name}: expected a small one (dns-a-aaaa has 25)`);
      ids.set(k, id);
      states.push(s);
    }
    return id;
  };
  const path = new Set<string>();
  if (cx) for (let i = 0; i < cx.path.actions.length; i++) path.add(`${key(cx.path.states[i]!)}>${key(cx.path.states[i + 1]!)}`);
  for (const s of model.initialStates()) visit(s);
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    for (const a of model.actions(s)) {
      const t = model.next(s, a);
      const j = visit(t);
      // One edge a step of the trace (parallel edges between the same two nodes are other actions).
      const pair = `${key(s)}>${key(t)}`;
      const bold = path.delete(pair) ? ", penwidth=3" : "";
      edges.push(`  s${i} -> s${j} [label=${quote(`${model.actorNames[a.actor]}: ${model.describe(s, a)}`)}${bold}];`);
    }
  }
  const nodes = states.map((s, i) => {
    const bad = properties.find((p) => (p.kind === "invariant" || model.actions(s).length === 0) && p.violations(s).length > 0);
    const fill = bad ? `, style=filled, fillcolor=${quote(COLOUR[bad.name] ?? "#ffb3b3")}` : "";
    const cls = bad ? `\\n${bad.violations(s).join(", ")}` : "";
    return `  s${i} [label=${quote(label(model, s) + cls)}${fill}${i === 0 ? ", peripheries=2" : ""}];`;
  });
  const note = model.canonical ? " (states that differ only in which CPU runs which packet are one node)" : "";
  return `digraph conntrack {\n  label=${quote(title + note)};\n  labelloc=t;\n  node [shape=box, fontname="monospace", fontsize=10];\n  edge [fontsize=9];\n${nodes.join("\n")}\n${edges.join("\n")}\n}\n`;
}
