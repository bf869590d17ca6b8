/**
 * The table of actor kinds a model is built from, in the order the model numbers their actors (traces draw
 * their lanes in this order, and the search tries moves in it: changing it changes which shortest trace is
 * found first). A new actor is its file and a line here.
 */
import type { ActorKind } from "../actor.js";
import type { FunctionName } from "../../kernel/function-table.js";
import { cpus } from "./cpu.js";
import { ctnetlink } from "./ctnetlink.js";
import { control } from "./control.js";
import { reaper } from "./reaper.js";
import { clock } from "./clock.js";
import { nfqueue } from "./nfqueue.js";
import { clones } from "./clone.js";

export const ACTORS: readonly ActorKind[] = [cpus, nfqueue, clones, ctnetlink, control, reaper, clock];

/** The kernel function a move runs, by the name traces give it, over every actor of the table. */
export const STEP_LABELS: Readonly<Record<string, FunctionName>> = Object.assign({}, ...ACTORS.map((k) => k.labels));
