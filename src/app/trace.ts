/** A counterexample as steps a person (or a script) can read, its decisive steps and their causes marked. */
import type { Action } from "../engine/model.js";
import type { Path } from "../engine/path.js";
import type { KState } from "../kernel/net/state.js";
import type { StepNote } from "../kernel/note.js";
import type { ConntrackModel } from "../model/model.js";
import { describeChanges, diffStep, type Change } from "./changes.js";
import { explainPath, type Explanation } from "./explain.js";

export interface TraceStep {
  readonly step: number;
  /** The actor's index: a CPU, or (after the CPUs) ctnetlink, then a timed scenario's reaper and clock. */
  readonly cpu: number;
  /** Which of the actor's alternatives it took (0 when it had one): with `cpu`, enough to replay the schedule. */
  readonly choice: number;
  readonly actor: string;
  readonly packet: string;
  readonly function: string;
  /** What the step did, as data: a Note (kernel/note.ts) or a user's one-line words; report/notes.ts words it. */
  readonly note: StepNote;
  /** What the step changed, as data (app/changes.ts); report/changes.ts words it. */
  readonly changes: readonly Change[];
  /** The step where a packet was dropped, or its reply became lost, misrouted or unanswered. */
  readonly decisive: boolean;
  /** On a decisive step: the violation class it shows (race2, reply-lost, ...); else null. */
  readonly violation: string | null;
  /** On a decisive step: what went wrong, which step caused it and why (src/app/explain.ts); else null. */
  readonly explanation: Explanation | null;
  /** The step that caused a decisive step's violation. */
  readonly cause: boolean;
  /** The decisive steps this step caused (step numbers; empty unless `cause`). */
  readonly causeOf: readonly number[];
}

export function traceSteps(model: ConntrackModel, path: Path<KState>): TraceStep[] {
  const sc = model.ctx.sc;
  const explained = explainPath(model, path);
  const causeOf = new Map<number, number[]>();
  for (const x of explained.values()) if (x.causeStep !== null) causeOf.set(x.causeStep, [...(causeOf.get(x.causeStep) ?? []), x.decisiveStep]);
  return path.actions.map((a: Action, i) => {
    const before = path.states[i]!;
    const m = model.move(before, a);
    const p = m.packet;
    const { next, note, patches } = diffStep(model, before, a);
    assertSame(model, next, path.states[i + 1]!, i + 1);
    return {
      step: i + 1,
      cpu: a.actor,
      choice: a.choice,
      actor: model.actorNames[a.actor]!,
      // The clock moves no packet; a reaper's step is named by the entry's packet.
      packet: p >= 0 ? sc.packets[p]!.name : "-",
      function: m.function,
      note,
      changes: describeChanges(model, before, next, patches),
      decisive: explained.has(i),
      violation: explained.get(i)?.class ?? null,
      explanation: explained.get(i) ?? null,
      cause: causeOf.has(i + 1),
      causeOf: causeOf.get(i + 1) ?? [],
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

/** The explanation of a counterexample of class `cls`: its first decisive step of that class
 * (a drop whose class changed after the fact, e.g. to dying-winner, falls back to the last decisive step of the property). */
export function explanationOf(steps: readonly TraceStep[], cls: string, property: string): Explanation | null {
  const marked = steps.flatMap((s) => (s.explanation ? [s.explanation] : []));
  return marked.find((x) => x.class === cls || x.also?.class === cls) ?? marked.filter((x) => x.property === property || x.also?.property === property).at(-1) ?? null;
}
