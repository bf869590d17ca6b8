/**
 * Where a trace's kernel functions can be read (the HTML page links each step to it): the source at
 * the release's tag, or, when a user's patch of the variant replaced or wrapped the function, that
 * patch's file. (A built-in patch's change is in the release's source already.)
 */
import type { Kernel } from "../kernel/kernel.js";
import { FUNCTIONS } from "../kernel/function-table.js";
import { STEP_LABELS } from "../model/actors/index.js";
import { baseV46 } from "../kernel/base-v4.6.js";
import { PATCH_LIB, type Patch } from "../kernel/patch.js";
import { findPatch, PATCHES } from "../kernel/variants.js";
import { pathToFileURL } from "node:url";


/** The behaviours patch `p` overrides (what its apply returns); none if it cannot be asked. */
function overrides(p: Patch): string[] {
  try {
    return Object.keys(p.apply(baseV46, PATCH_LIB));
  } catch {
    return [];
  }
}

/** Function name (as a step names it, without "(DST)") -> a link, for each of `functions` the model knows. */
export function sourceLinks(kernel: Kernel, functions: readonly string[], patches: readonly Patch[] = PATCHES): Record<string, string> {
  const release = kernel.name.split("+")[0]!.trim();
  const out: Record<string, string> = {};
  for (const f of new Set(functions.map((x) => x.replace(/\(.*\)$/, "")))) {
    const fn = Object.hasOwn(STEP_LABELS, f) ? STEP_LABELS[f]! : undefined;
    if (!fn) continue;
    const hook = [fn, FUNCTIONS[fn].kernel] as const;
    // The last user's patch of the variant that overrides it is the code the step ran.
    const by = [...kernel.parts.slice(1)].reverse().map((id) => findPatch(id, patches)).find((p) => p?.file !== undefined && overrides(p).includes(hook[0]));
    out[f] = by?.file ? pathToFileURL(by.file).href : `https://elixir.bootlin.com/linux/${release}/A/ident/${hook[1]}`;
  }
  return out;
}
