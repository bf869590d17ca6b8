/**
 * Kernel version numbers: which mainline releases exist (v4.6, the model's base, to v7.1, and v7.2 in release
 * candidates), how a name a user types ("v6.1", "6.1", "v6.1.147", "v7.2-rc3") reads, and how two compare.
 * Which commits a version carries is variants.ts's business (patches' `mainline`, stable.ts's backports).
 */
import { InputError } from "../errors.js";

export interface Version {
  readonly major: number;
  readonly minor: number;
  /** The stable release's third number (v6.1.147), absent for a mainline release. */
  readonly stable?: number;
}

/** Releases per major line, last minor of each: v4.20 then v5.0, v5.19 then v6.0, v6.19 then v7.0. */
const LAST_MINOR: Readonly<Record<number, number>> = { 4: 20, 5: 19, 6: 19, 7: 1 };

/** The oldest release the model has: its base (kernel/base-v4.6.ts). */
export const OLDEST = "v4.6";
/** The newest mainline release (docs/versions.md says what its date is). */
export const NEWEST = "v7.1";
/** The release in release candidates: what its merge window brought is known, the release is not out. */
export const CANDIDATE = "v7.2";

/** Every mainline release from the base to the candidate, oldest first. */
export const MAINLINE: readonly string[] = Object.entries(LAST_MINOR).flatMap(([major, last]) =>
  Array.from({ length: last + 1 }, (_, minor) => `v${major}.${minor}`).filter((v) => compareVersions(parseVersion(v)!, parseVersion(OLDEST)!) >= 0),
).concat(CANDIDATE);

/** "v6.1", "6.1", "v6.1.147", "6.1.147", "6.1.0" (as uname has it: the release itself), "v7.2-rc3" -> the version;
 * else undefined. Numbers have no leading zeros; an -rc suffix is kept in `rc` (knownVersion accepts it for the
 * candidate only). */
export function parseVersion(text: string): (Version & { readonly rc?: boolean }) | undefined {
  const n = "(0|[1-9]\\d{0,3})";
  const m = new RegExp(`^v?${n}\\.${n}(?:\\.${n})?(-rc[1-9]\\d?)?$`).exec(text.trim());
  if (!m) return undefined;
  const v = { major: Number(m[1]), minor: Number(m[2]), ...(m[4] ? { rc: true } : {}) };
  return m[3] !== undefined && m[3] !== "0" ? { ...v, stable: Number(m[3]) } : v;
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || (a.stable ?? 0) - (b.stable ?? 0);
}

/** "v6.1" or "v6.1.147". */
export const formatVersion = (v: Version): string => `v${v.major}.${v.minor}${v.stable !== undefined ? `.${v.stable}` : ""}`;

/** The mainline release of a version ("v6.1.147" -> "v6.1"). */
export const mainlineOf = (v: Version): string => `v${v.major}.${v.minor}`;

/**
 * A version a user named, checked against the releases that exist: a mainline release from the base to the candidate,
 * or a stable release of one (not of the candidate, which has none yet). `field` names the input for the message, `rest`
 * is added to the message for a name that is no version at all (what else a variant may hold).
 */
export function knownVersion(text: string, field: string, rest = ""): Version {
  const v = parseVersion(text);
  // The name as given, cut to one readable line.
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  const unknown = `${field}: unknown kernel variant '${shown}'`;
  if (!v) throw new InputError(`${unknown}: expected a release such as v6.1 or 6.12, or a stable release such as v6.1.147, from ${OLDEST} to ${NEWEST} (${CANDIDATE} in release candidates)${rest}`);
  const main = mainlineOf(v);
  if (compareVersions(v, parseVersion(OLDEST)!) < 0) throw new InputError(`${unknown}: it is older than ${OLDEST}, the oldest release modelled`);
  if (!MAINLINE.includes(main)) {
    const newer = compareVersions({ major: v.major, minor: v.minor }, parseVersion(CANDIDATE)!) > 0;
    throw new InputError(
      newer
        ? `${unknown}: the newest known is ${NEWEST} (${CANDIDATE} in release candidates)`
        : `${unknown}: no such mainline release: expected ${OLDEST} … ${NEWEST} or ${CANDIDATE} (after v4.20 comes v5.0, after v5.19 v6.0, after v6.19 v7.0)`,
    );
  }
  if (main === CANDIDATE && v.stable !== undefined) throw new InputError(`${unknown}: ${CANDIDATE} is in release candidates and has no stable releases yet`);
  if (v.rc && (main !== CANDIDATE || v.stable !== undefined)) throw new InputError(`${unknown}: -rc names a release candidate of ${CANDIDATE} only; ${main} is released: write ${formatVersion(v)}`);
  return v.stable !== undefined ? { major: v.major, minor: v.minor, stable: v.stable } : { major: v.major, minor: v.minor };
}
