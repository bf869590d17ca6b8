/**
 * An actor: something that moves on its own in the kernel's world (a CPU in softirq, ctnetlink, a reaper, the
 * clock). The model (model.ts) is built from the table of actor kinds in actors/index.ts: the engine's actions
 * are each actor's moves in a state, its steps are the actor's, and a trace names them as the actor does. A new
 * actor is a file in actors/, its state (words it claims in KState.ext, or fields of kernel/net/state.ts the
 * kernel's functions read), and one line in that table (docs/architecture.md has a worked example).
 */
import type { Ctx, Kernel } from "../kernel/kernel.js";
import type { KState } from "../kernel/net/state.js";
import type { StepNote } from "../kernel/note.js";
import type { Scenario } from "../scenario/scenario.js";
import type { FunctionName } from "../kernel/function-table.js";
import type { Features } from "./features.js";

/** What a move does, for traces and explanations: the packet (or the entry, by its packet) it works on, -1 for
 * none; its kind, in the actor's own word ("query", "reply", "delete", "reap", "tick"); the kernel function it runs,
 * as traces name it. */
export interface Move {
  readonly packet: number;
  readonly kind: string;
  readonly function: string;
}

/** One actor of a model. Its moves in a state are numbered 0 .. moves(s) - 1: the alternatives of what it does
 * next (a waiting packet, a DNAT endpoint, an entry to delete); the search explores each. */
export interface Actor {
  /** Its lane in traces: "cpu0", "ctnetlink", "gc", "clock". */
  readonly name: string;
  /** The most moves it has in any state (sizes the model's table of actions). */
  readonly maxMoves: number;
  /** How many moves it may make in `s`; 0 when it cannot move. */
  moves(s: KState): number;
  /** What move `choice` in `s` does. */
  move(s: KState, choice: number): Move;
  /** Makes move `choice` on `st` in place: the kernel's function for it (ctx.k.<name>, which patches override);
   * the step's note for traces: a Note (kernel/note.ts) or a one-line string; "" when ctx.explain is false. */
  step(ctx: Ctx, st: KState, choice: number): StepNote;
  /** Partial-order reduction: move `choice` touches only this actor's private data, so it commutes with every
   * other actor's moves and changes no property. Absent: never. Asked only when features.noPor is empty. */
  isLocal?(s: KState, choice: number): boolean;
}

/** What an actor kind is built from. */
export interface ActorEnv {
  readonly sc: Scenario;
  readonly k: Kernel;
  readonly features: Features;
  /** A context without words, for what an actor works out about a state (the search's). */
  readonly quiet: Ctx;
  /** Claims `words` words of KState.ext for the actor's own state (0 at the start) and returns where they begin:
   * the actor reads and writes st.ext[at .. at+words), and the codec, clones and traces carry them. Symmetry does
   * not rename them, so a model with such an actor is not reduced by symmetry (features.ts). */
  claim(words: number): number;
}

/** A line of the table: the actors of this kind a model has (none where the scenario or kernel has none). */
export interface ActorKind {
  /** What it models, for docs/architecture.md's list. */
  readonly what: string;
  /** The kernel function each of its moves runs, by the name traces give the move (Move.function, without a
   * "(DST)"-like suffix): the source links of traces follow it. */
  readonly labels: Readonly<Record<string, FunctionName>>;
  make(env: ActorEnv): readonly Actor[];
}
