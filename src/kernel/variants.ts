/**
 * Kernel variants: a named release or a base, followed by patches, as in
 * "v4.18+937963+1032812". A release is itself a base plus patches.
 */
import { InputError } from "../errors.js";
import { baseV46 } from "./base-v4.6.js";
import type { Kernel, KernelBehaviour } from "./kernel.js";
import { PATCH_LIB, type Patch } from "./patch.js";
import { BACKPORTS } from "./stable.js";
import { parseDistroKernel, type DistroKernel } from "./distro.js";
import { CANDIDATE, compareVersions, formatVersion, knownVersion, mainlineOf, NEWEST, OLDEST, parseVersion, type Version } from "./versions.js";
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
import { lookupKeepsDying } from "./patches/87e389b4c200.js";
import { allowGreClash } from "./patches/d671fd82eaa9.js";
import { reverseDirNoRealloc } from "./patches/d8f84a9bc7c4.js";
import { reverseTupleLookup } from "./patches/50d9ce9679dd.js";
import { noDirectionCheck } from "./patches/5ec8ca26fe93.js";
import { allowGenericClash } from "./patches/8a49fc8d8a3e.js";
import { allowIcmpClash } from "./patches/f7becf0dad8f.js";
import { iterateReplyNodes } from "./patches/54ab49fde956.js";
import { iterateDestroy } from "./patches/2843fb69980b.js";
import { extGenid } from "./patches/c56716c69ce1.js";
import { revertExtGenid } from "./patches/35e21a4dccc5.js";
import { timeoutRefcount } from "./patches/7d6a9cdb8d3a.js";
import { iterateConfirmedOnly } from "./patches/iterate-confirmed-only.js";
import { nfqueueUpdate } from "./patches/368982cd7d1b.js";
import { nfqueueNoClashLogic } from "./patches/8af79d3edb5f.js";
import { confirmRefetch } from "./patches/56b14ecec97f.js";
import { bridgeConfirm } from "./patches/62e7151ae3eb.js";
import { promiscSkip } from "./patches/751de2012eaf.js";
import { dropSharedUnconfirmed } from "./patches/7d8dc1c7be8d.js";
import { sharedCheckBeforeGso } from "./patches/207b3ebacb61.js";
import { noLocalInAssert } from "./patches/479a54ab9208.js";
import { relativeTimeoutChange } from "./patches/73db1b8f2bb6.js";

export const PATCHES: readonly Patch[] = [
  noTimer,
  gcWorker,
  clashResolution,
  natDoneTest,
  earlyDropList,
  iterateDestroy,
  iterateConfirmedOnly,
  patch937963,
  patch1032812,
  udpStreamAfter2s,
  lookupKeepsDying,
  clashInsertion,
  iterateReplyNodes,
  noAutoDelete,
  clashResolveCounter,
  skipSameZoneOnly,
  chainTooLong,
  assuredOnStream,
  confirmedEarly,
  extGenid,
  allowGreClash,
  reverseClash,
  reverseDirNoRealloc,
  confirmedAfterInsert,
  reverseTupleLookup,
  noDirectionCheck,
  allowGenericClash,
  allowIcmpClash,
  revertExtGenid,
  timeoutRefcount,
  nfqueueUpdate,
  confirmRefetch,
  bridgeConfirm,
  promiscSkip,
  dropSharedUnconfirmed,
  nfqueueNoClashLogic,
  noLocalInAssert,
  sharedCheckBeforeGso,
  relativeTimeoutChange,
];

export interface Release {
  readonly name: string;
  /** Every patch it applies on the v4.6 base, in order (derived: the release before's and its own). */
  readonly patches: readonly string[];
  /** What it adds to the release before it. */
  readonly adds: readonly string[];
  readonly note: string;
}

/** Patch `id`'s first mainline release, from its file's `mainline`. */
const mainlineOfPatch = (p: Patch): Version => parseVersion(p.mainline)!;

/** The built-in patches in the order a kernel applies them: by first mainline release, then as PATCHES lists them. */
const ORDERED: readonly Patch[] = PATCHES.map((p, i) => [p, i] as const)
  .sort(([a, i], [b, j]) => compareVersions(mainlineOfPatch(a), mainlineOfPatch(b)) || i - j)
  .map(([p]) => p);

/** Each mainline release that adds a modelled commit, the base first: the release before it plus what it adds
 * (every other release from v4.6 to v7.2 is the same kernel as the newest of these not newer than it). */
export const RELEASES: readonly Release[] = [OLDEST, ...new Set(ORDERED.map((p) => p.mainline))].reduce<Release[]>((out, name) => {
  const added = ORDERED.filter((p) => p.mainline === name);
  const adds = added.map((p) => p.id);
  const note = added.length ? added.map((p) => p.title).join("; ") : "the base: before clash resolution, every clash drops";
  return [...out, { name, adds, note, patches: [...(out.at(-1)?.patches ?? []), ...adds] }];
}, []);

/** The patches (ids) version `v` carries: every modelled commit merged by its mainline release, and for a stable
 * release the backports its line had by then (stable.ts), in the order a kernel applies them. */
export function versionPatches(v: Version): string[] {
  const main = parseVersion(mainlineOf(v))!;
  const line = `${v.major}.${v.minor}`;
  const backported = (id: string): boolean => v.stable !== undefined && BACKPORTS.some((b) => b.id === id && b.line === line && b.from <= v.stable!);
  return ORDERED.filter((p) => compareVersions(mainlineOfPatch(p), main) <= 0 || backported(p.id)).map((p) => p.id);
}

/** The release (of RELEASES) whose kernel mainline version `v` is: the newest not newer than it. */
export function releaseOf(v: Version): Release {
  const main = parseVersion(mainlineOf(v))!;
  return RELEASES.filter((r) => compareVersions(parseVersion(r.name)!, main) <= 0).at(-1)!;
}

/** The patch a variant's `+token` names: its id, or 7 or more leading characters of its commit. */
export function findPatch(token: string, patches: readonly Patch[]): Patch | undefined {
  const t = token.toLowerCase();
  return patches.find((p) => p.id.toLowerCase() === t || (t.length >= 7 && p.commit.toLowerCase().startsWith(t)));
}

const expected = (patches: readonly Patch[]): string =>
  `expected a release (${OLDEST} … ${NEWEST}, ${CANDIDATE} in release candidates, or a stable one such as v6.1.147) followed by optional +patch (${patches.map((p) => p.id).join(", ")})`;

/** Parses and builds a variant; `field` names the input for error messages.
 * `patches` replaces the patch set (a user's patch, or a mutant in tests). */
export function resolveKernel(name: string, field = "kernel", patches: readonly Patch[] = PATCHES): Kernel {
  // uname -r's one trailing '+' (CONFIG_LOCALVERSION_AUTO on a tree past its tag: COS's 6.1.58+) names no patch.
  const bare = name.trim().slice(0, -1);
  if (/^\d[^+]*[^+\s]\+$/.test(name.trim()) && (parseVersion(bare) !== undefined || parseDistroKernel(bare) !== undefined)) name = bare;
  const [head, ...rest] = name.trim().split("+");
  const shown = name.length > 60 ? `${name.slice(0, 57)}...` : name;
  if (head === "") throw new InputError(`${field}: '${shown}': expected a kernel version before any +patch, such as v6.1 or v6.1+50d9ce9679dd`);
  if (rest.some((t) => t.trim() === "")) throw new InputError(`${field}: '${shown}': expected a patch name after each '+' (a built-in patch's id, or your own loaded with --patch FILE)`);
  // A distribution's string (5.15.0-91-generic) is its base release: distro.ts says why, and the CLI says so.
  const distro = parseDistroKernel(head!);
  const version = distro ? distroVersion(distro, field) : knownVersion(head!, field, " followed by optional +patch (`conntrack-mc list` names them), or a distribution's uname -r such as 5.15.0-91-generic");
  const release = formatVersion(version);
  name = [release, ...rest].join("+");
  const applied: Patch[] = versionPatches(version).map((id) => findPatch(id, patches)!);
  for (const token of rest) {
    const patch = findPatch(token, patches);
    if (!patch) {
      const hint = PATCHES.some((p) => p.id === token || p.commit === token) ? "" : " (a patch of your own? load its file with --patch FILE)";
      throw new InputError(`${field}: unknown patch '${token}' in '${name}'${hint}: ${expected(patches)}`);
    }
    if (applied.includes(patch)) {
      throw new InputError(`${field}: '${name}' applies ${patch.id} twice (${release} already has it)`);
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

/** A distribution's string checked as the release it maps to; a refusal names the string as given. */
function distroVersion(d: DistroKernel, field: string): Version {
  const base = formatVersion(d.version);
  try {
    return knownVersion(base, field);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(e.message.replace(`'${base}'`, `'${d.text}' (${d.distro}'s build of ${base})`));
  }
}

/** "v4.6 + 71d8c47fc653 + 937963"; a kernel of the release in release candidates says so. */
export function describeKernel(k: Kernel): string {
  const rc = k.name.split("+")[0] === CANDIDATE ? ` (${CANDIDATE} is in release candidates: its merge window as known, no release yet)` : "";
  return k.parts.join(" + ") + rc;
}

/** The variant `name` was built from: the same name without its last patch ("v6.12+p" -> "v6.12"); for a stable
 * release its mainline release ("v6.1.147" -> "v6.1"); for a mainline release the release before the one it is the
 * kernel of ("v6.12" -> "v6.5", "v6.1" -> v5.19's base); undefined for the base. */
export function ownBase(name: string): string | undefined {
  const t = name.trim();
  const cut = t.lastIndexOf("+");
  if (cut > 0) return t.slice(0, cut);
  const v = parseVersion(t);
  if (!v) return undefined;
  if (v.stable !== undefined) return mainlineOf(v);
  const i = RELEASES.indexOf(releaseOf(v));
  return i > 0 ? RELEASES[i - 1]!.name : undefined;
}

/** Two variants are the same kernel when they apply the same patches in the same order ("v4.19" is "v4.18+937963"). */
export const sameKernel = (a: Kernel, b: Kernel): boolean => a.parts.length === b.parts.length && a.parts.every((p, i) => p === b.parts[i]);
