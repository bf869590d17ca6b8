/** A counterexample as steps a person (or a script) can read. */
import type { Action } from "../engine/model.js";
import type { Path } from "../engine/path.js";
import type { KState } from "../kernel/state.js";
import type { ConntrackModel } from "../kernel/model.js";
import { Fate } from "../kernel/state.js";
import { describeChanges, diffStep } from "./changes.js";

export interface TraceStep {
  readonly step: number;
  /** The actor's index: a CPU, or (after the CPUs) ctnetlink. */
  readonly cpu: number;
  readonly actor: string;
  readonly packet: string;
  readonly function: string;
  readonly note: string;
  readonly changes: readonly string[];
  /** The step where a packet was dropped. */
  readonly decisive: boolean;
}

export function traceSteps(model: ConntrackModel, path: Path<KState>): TraceStep[] {
  const sc = model.ctx.sc;
  return path.actions.map((a: Action, i) => {
    const before = path.states[i]!;
    const m = model.move(before, a);
    const p = m.packet;
    const { next, note, patches } = diffStep(model, before, a);
    assertSame(model, next, path.states[i + 1]!, i + 1);
    return {
      step: i + 1,
      cpu: a.actor,
      actor: model.actorNames[a.actor]!,
      packet: sc.packets[p]!.name,
      function: m.function,
      note,
      changes: describeChanges(model, before, next, patches),
      decisive: before.pkts[p]!.fate !== Fate.DROPPED && next.pkts[p]!.fate === Fate.DROPPED,
    };
  });
}

/** The immer run and the exploration run of a step must agree. */
function assertSame(model: ConntrackModel, a: KState, b: KState, step: number): void {
  const wa = new Int32Array(model.encodedWords);
  const wb = new Int32Array(model.encodedWords);
  const na = model.encode(a, wa);
  const nb = model.encode(b, wb);
  if (na !== nb || wa.some((v, i) => v !== wb[i])) throw new Error(`trace step ${step}: the step is not deterministic`);
}
