/**
 * Where a trace's kernel functions can be read (the HTML page links each step to it): the source at
 * the release's tag, or, when a user's patch of the variant replaced or wrapped the function, that
 * patch's file. (A built-in patch's change is in the release's source already.)
 */
import type { Kernel, KernelBehaviour } from "../kernel/kernel.js";
import { baseV46 } from "../kernel/base-v4.6.js";
import { PATCH_LIB, type Patch } from "../kernel/patch.js";
import { findPatch, PATCHES } from "../kernel/variants.js";
import { pathToFileURL } from "node:url";

/** A step's function as traces name it -> the kernel behaviour that runs it, and the kernel identifier to look up. */
const STEP_HOOK: Readonly<Record<string, readonly [keyof KernelBehaviour, string]>> = {
  __nf_conntrack_find_get: ["__nf_conntrack_find_get", "__nf_conntrack_find_get"],
  init_conntrack: ["init_conntrack", "init_conntrack"],
  nf_nat_setup_info: ["nf_nat_setup_info", "nf_nat_setup_info"],
  __nf_conntrack_confirm: ["__nf_conntrack_confirm", "__nf_conntrack_confirm"],
  reply: ["nf_conntrack_in_reply", "nf_conntrack_in"],
  nf_ct_delete: ["nf_ct_delete", "nf_ct_delete"],
  gc_worker: ["gc_worker", "gc_worker"],
  death_by_timeout: ["death_by_timeout", "death_by_timeout"],
};

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
    const hook = STEP_HOOK[f];
    if (!hook) continue;
    // The last user's patch of the variant that overrides it is the code the step ran.
    const by = [...kernel.parts.slice(1)].reverse().map((id) => findPatch(id, patches)).find((p) => p?.file !== undefined && overrides(p).includes(hook[0]));
    out[f] = by?.file ? pathToFileURL(by.file).href : `https://elixir.bootlin.com/linux/${release}/A/ident/${hook[1]}`;
  }
  return out;
}
