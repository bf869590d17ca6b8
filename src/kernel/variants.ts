/**
 * Kernel variants: a named release or a base, followed by patches, as in
 * "v4.18+937963+1032812". A release is itself a base plus patches.
 */
import { InputError } from "../errors.js";
import { baseV46 } from "./base-v4.6.js";
import type { Kernel, KernelBehaviour } from "./kernel.js";
import { PATCH_LIB, type Patch } from "./patch.js";
import { clashResolution } from "./patches/71d8c47fc653.js";
import { natDoneTest } from "./patches/590b52e10d41.js";
import { patch937963 } from "./patches/937963.js";
import { patch1032812 } from "./patches/1032812.js";
import { clashInsertion } from "./patches/6a757c07e51f.js";
import { noAutoDelete } from "./patches/c46172147ebb.js";
import { clashResolveCounter } from "./patches/bc92470413f3.js";
import { reverseClash } from "./patches/a4e6a1031e77.js";
import { skipSameZoneOnly } from "./patches/07998281c268.js";
import { assuredOnStream } from "./patches/b7b1d02fc439.js";
import { earlyDropList } from "./patches/early-drop-list.js";
import { noTimer } from "./patches/f330a7fdbe16.js";
import { gcWorker } from "./patches/b87a2f9199ea.js";
import { udpStreamAfter2s } from "./patches/d535c8a69c19.js";
import { chainTooLong } from "./patches/d7e7747ac5c2.js";
import { confirmedEarly } from "./patches/1397af5bfd7d.js";
import { confirmedAfterInsert } from "./patches/2d72afb34065.js";

export const PATCHES: readonly Patch[] = [
  noTimer,
  gcWorker,
  clashResolution,
  natDoneTest,
  earlyDropList,
  patch937963,
  patch1032812,
  udpStreamAfter2s,
  clashInsertion,
  noAutoDelete,
  clashResolveCounter,
  skipSameZoneOnly,
  chainTooLong,
  assuredOnStream,
  confirmedEarly,
  reverseClash,
  confirmedAfterInsert,
];

export interface Release {
  readonly name: string;
  /** Every patch it applies on the v4.6 base, in order (derived: the release before's and its own). */
  readonly patches: readonly string[];
  /** What it adds to the release before it. */
  readonly adds: readonly string[];
  readonly note: string;
}

/** Each release is the one before it plus the commits it adds, in the order they apply; the first is the base. */
const DELTAS: readonly { readonly name: string; readonly adds: readonly string[]; readonly note: string }[] = [
  { name: "v4.6", adds: [], note: "before clash resolution: every clash drops" },
  { name: "v4.18", adds: ["f330a7fdbe16", "b87a2f9199ea", "71d8c47fc653", "590b52e10d41", "early-drop-list"], note: "the unpatched kernel: clash resolution, refused for entries with NAT" },
  { name: "v4.19", adds: ["937963"], note: "v4.18 + 937963" },
  { name: "v5.0", adds: ["1032812", "d535c8a69c19"], note: "v4.19 + 1032812 + UDP stream mode only after 2 s (d535c8a69c19)" },
  { name: "v5.6", adds: ["6a757c07e51f"], note: "v5.0 + clash insertion (NAT_CLASH entries)" },
  { name: "v5.9", adds: ["c46172147ebb"], note: "v5.6 + NAT_CLASH entries no longer deleted on reply" },
  { name: "v5.10", adds: ["bc92470413f3"], note: "v5.9 + clash_resolve counter" },
  {
    name: "v5.19",
    // 07998281c268 is in mainline from v5.11 (no v5.11 here): v5.10 mainline lacks it, stable 5.10.17 has it.
    adds: ["07998281c268", "d7e7747ac5c2", "b7b1d02fc439", "1397af5bfd7d"],
    note: "v5.10 + same-origin skip in the same zone only (v5.11) + a chain length limit at confirm (v5.15) + UDP ASSURED only in stream state (v5.16) + CONFIRMED at the start of confirm (v5.19)",
  },
  { name: "v6.12", adds: ["a4e6a1031e77"], note: "v5.19 + merge on tuples equal or swapped, no NAT_DONE shortcut; as v6.15 here (2d72afb34065 came in 6.12.40)" },
  { name: "v6.16", adds: ["2d72afb34065"], note: "v6.12 + CONFIRMED only once inserted, nf_ct_should_gc tests it first (2d72afb34065)" },
];

/** Every release, its whole list of patches derived from the deltas. */
export const RELEASES: readonly Release[] = DELTAS.reduce<Release[]>((out, d) => [...out, { ...d, patches: [...(out.at(-1)?.patches ?? []), ...d.adds] }], []);

/** The patch a variant's `+token` names: its id, or 7 or more leading characters of its commit. */
export function findPatch(token: string, patches: readonly Patch[]): Patch | undefined {
  const t = token.toLowerCase();
  return patches.find((p) => p.id.toLowerCase() === t || (t.length >= 7 && p.commit.toLowerCase().startsWith(t)));
}

const expected = (patches: readonly Patch[]): string =>
  `expected a release (${RELEASES.map((r) => r.name).join(", ")}) followed by optional +patch (${patches.map((p) => p.id).join(", ")})`;

/** Parses and builds a variant; `field` names the input for error messages.
 * `patches` replaces the patch set (a user's patch, or a mutant in tests). */
export function resolveKernel(name: string, field = "kernel", patches: readonly Patch[] = PATCHES): Kernel {
  const [head, ...rest] = name.trim().split("+");
  const release = RELEASES.find((r) => r.name === head);
  if (!release) throw new InputError(`${field}: unknown kernel variant '${name}': ${expected(patches)}`);
  const applied: Patch[] = release.patches.map((id) => findPatch(id, patches)!);
  for (const token of rest) {
    const patch = findPatch(token, patches);
    if (!patch) {
      const hint = PATCHES.some((p) => p.id === token || p.commit === token) ? "" : " (a patch of your own? load its file with --patch FILE)";
      throw new InputError(`${field}: unknown patch '${token}' in '${name}'${hint}: ${expected(patches)}`);
    }
    if (applied.includes(patch)) {
      throw new InputError(`${field}: '${name}' applies ${patch.id} twice (${release.name} already has it)`);
    }
    for (const req of patch.requires) {
      if (!applied.some((p) => p.id === req)) {
        throw new InputError(`${field}: patch ${patch.id} applies on top of ${req}, which '${name}' lacks`);
      }
    }
    applied.push(patch);
  }
  let behaviour: KernelBehaviour = baseV46;
  for (const p of applied) behaviour = { ...behaviour, ...p.apply(behaviour, PATCH_LIB) };
  const rebuildable = applied.every((p) => p.file !== undefined || PATCHES.includes(p));
  const patchFiles = applied.flatMap((p) => (p.file !== undefined ? [p.file] : []));
  return { ...behaviour, name, parts: ["v4.6", ...applied.map((p) => p.id)], ...(rebuildable ? { rebuild: { name, patchFiles } } : {}) };
}

/** "v4.6 + 71d8c47fc653 + 937963" */
export function describeKernel(k: Kernel): string {
  return k.parts.join(" + ");
}

/** The variant `name` was built from: the same name without its last patch
 * ("v6.12+p" -> "v6.12"), or for a release the release before it; undefined for the first release. */
export function ownBase(name: string): string | undefined {
  const t = name.trim();
  const cut = t.lastIndexOf("+");
  if (cut > 0) return t.slice(0, cut);
  const i = RELEASES.findIndex((r) => r.name === t);
  return i > 0 ? RELEASES[i - 1]!.name : undefined;
}

/** Two variants are the same kernel when they apply the same patches in the same order ("v4.19" is "v4.18+937963"). */
export const sameKernel = (a: Kernel, b: Kernel): boolean => a.parts.length === b.parts.length && a.parts.every((p, i) => p === b.parts[i]);
