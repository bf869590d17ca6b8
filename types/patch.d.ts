/**
 * Types for a patch written in TypeScript (docs/patch-api.md):
 *
 *   import type { Patch } from "conntrack-mc/patch";
 *   export default { id: "my-fix", title: "...", requires: [], apply: (base, lib) => ({ ... }) } satisfies Patch;
 *
 * Everything but `Patch` is re-exported from the declarations `npm run build`
 * emits from src/kernel (tsconfig.types.json), so they are the model's own
 * types and cannot drift from it.
 */
import type { Patch as KernelPatch } from "../dist/kernel/patch.js";

export type { PatchLib } from "../dist/kernel/patch.js";
export type { Ctx, KernelBehaviour, Manip, NatRange, Note, PortRange, Resolution, StepNote, TrackerNote } from "../dist/kernel/kernel.js";
export type { CpuStats, Fate, KState, PacketState, Pc, Reply } from "../dist/kernel/net/state.js";
export type { Conn } from "../dist/kernel/net/conn.js";
export type { Tuple } from "../dist/kernel/net/tuple.js";
export type { Dir, Hit } from "../dist/kernel/net/table.js";
export type { HostPort, PacketSpec, Scenario } from "../dist/scenario/scenario.js";

/** What a patch file's default export is: the loader (src/user-patch/load.ts)
 * requires id, title, requires and apply; commit defaults to the id, mainline to "-". */
export interface Patch extends Pick<KernelPatch, "id" | "title" | "requires" | "apply">, Partial<Pick<KernelPatch, "commit" | "mainline">> {}
