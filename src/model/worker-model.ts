/**
 * How a worker thread of a parallel search builds the model the main thread
 * searches (engine/parallel.ts loads this module by URL): the scenario as
 * data, the kernel by name and patch files, the properties by name. Models are
 * portable (tuples encoded by value), so every thread encodes a state alike.
 */
import type { Model, Property } from "../engine/model.js";
import type { ModelSource } from "../engine/protocol.js";
import { conntrackModel } from "./model.js";
import { PROPERTIES, propertyIn } from "../kernel/properties/properties.js";
import type { KState } from "../kernel/net/state.js";
import { PATCHES, resolveKernel } from "../kernel/variants.js";
import { loadPatchFile } from "../user-patch/load.js";
import type { Scenario } from "../scenario/scenario.js";

export interface WorkerModelArgs {
  readonly scenario: Scenario;
  readonly kernel: string;
  readonly patchFiles: readonly string[];
  readonly properties: readonly string[];
}

export function workerModelSource(args: WorkerModelArgs): ModelSource {
  const here = import.meta.url;
  return { module: new URL(here.endsWith(".ts") ? "./worker-model.ts" : "./worker-model.js", here).href, args };
}

export async function createSearchModel(args: WorkerModelArgs): Promise<{ model: Model<KState>; properties: Property<KState>[] }> {
  const user = await Promise.all(args.patchFiles.map((f) => loadPatchFile(f)));
  const kernel = resolveKernel(args.kernel, "kernel", [...PATCHES, ...user]);
  const properties = args.properties.map((name) => {
    const p = PROPERTIES.find((q) => q.name === name);
    if (!p) throw new Error(`unknown property ${name}`);
    return propertyIn(p, args.scenario);
  });
  return { model: conntrackModel(args.scenario, kernel, { portable: true }), properties };
}
