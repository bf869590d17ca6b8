/**
 * Kernel release strings as `uname -r` prints them on distributions, mapped to the upstream version the model has
 * (docs/sre.md, "Which kernel is modelled"). Ubuntu's and Debian's third number is always 0 and their trailing number
 * is an ABI counter, not a stable release; RHEL keeps the version of its base for the whole major release while it
 * backports years of fixes. So each maps to its base release, and the answer says the backports are not known and
 * where the node itself tells them (Ubuntu's /proc/version_signature, Debian's /proc/version).
 */
import { formatVersion, parseVersion, type Version } from "./versions.js";

export interface DistroKernel {
  /** The string as given. */
  readonly text: string;
  /** "Ubuntu", "Debian", "RHEL 8", "Amazon Linux 2", or "a vendor" for an unknown suffix. */
  readonly distro: string;
  /** The upstream version the model uses: the base release, or the stable release where the string names one. */
  readonly version: Version;
  /** Why the backports are uncertain and how to learn them, one sentence. */
  readonly uncertain: string;
}

const num = "(0|[1-9]\\d{0,3})";
const UBUNTU = new RegExp(`^${num}\\.${num}\\.0-(\\d+)-([a-z][a-z0-9-]*)$`);
const DEBIAN_FLAVOURS = /^(amd64|arm64|armmp(-lpae)?|686(-pae)?|cloud-(amd64|arm64)|rt-(amd64|arm64|686-pae)|powerpc64le|s390x|marvell|rpi|mips.*|loong64|riscv64)$/;
/** Debian's backports: 6.1.0-0.deb11.17-amd64 is bookworm's 6.1 built for bullseye. */
const DEBIAN_BPO = new RegExp(`^${num}\\.${num}\\.0-0\\.deb(\\d+)\\.(\\d+)-([a-z][a-z0-9-]*)$`);
const UEK = new RegExp(`^${num}\\.${num}\\.${num}-[0-9][0-9.]*\\.el(\\d+)uek(\\.[a-z0-9_]+)?$`);
const RHEL = new RegExp(`^${num}\\.${num}\\.${num}-[0-9][0-9._]*\\.el(\\d+)(_\\d+)?(\\.[a-z0-9_.]+)?$`);
const AMAZON = new RegExp(`^${num}\\.${num}\\.${num}-[0-9.]+\\.amzn(\\d+)(\\.[a-z0-9_]+)?$`);
// A fourth number (Azure Linux 5.15.153.1-2.cm2, WSL2) is the vendor's own.
const VENDOR = new RegExp(`^${num}\\.${num}(?:\\.${num})?(?:\\.\\d+)?[-+~_][A-Za-z0-9._+~-]*$`);

const LIVE = "`conntrack-mc live` on the node measures the running kernel itself";

/** A distribution's kernel string, or undefined for one that is not (an upstream name parseVersion reads, or junk). */
export function parseDistroKernel(text: string): DistroKernel | undefined {
  const t = text.trim();
  if (parseVersion(t)) return undefined;
  const bpo = DEBIAN_BPO.exec(t);
  if (bpo) {
    const version = { major: Number(bpo[1]), minor: Number(bpo[2]) };
    return { text: t, distro: "Debian", version, uncertain: `a Debian backport of ${bpo[1]}.${bpo[2]}: /proc/version names the stable release the package carries; ${LIVE}` };
  }
  const uek = UEK.exec(t);
  if (uek) return { text: t, distro: "Oracle UEK", version: { major: Number(uek[1]), minor: Number(uek[2]) }, uncertain: `Oracle's Unbreakable Enterprise Kernel carries its own backports, which its version does not show; ${LIVE}` };
  const u = UBUNTU.exec(t);
  if (u) {
    const version = { major: Number(u[1]), minor: Number(u[2]) };
    if (DEBIAN_FLAVOURS.test(u[4]!)) {
      return { text: t, distro: "Debian", version, uncertain: `Debian's ABI number ${u[3]} is not a stable release: /proc/version names the stable release the package carries ("Debian ${formatVersion(version).slice(1)}.N-..."); ${LIVE}` };
    }
    return { text: t, distro: "Ubuntu", version, uncertain: `Ubuntu's ABI number ${u[3]} is not a stable release: /proc/version_signature names the stable release it is built on, and Ubuntu adds its own backports; ${LIVE}` };
  }
  const r = RHEL.exec(t);
  if (r) {
    return { text: t, distro: `RHEL ${r[4]}`, version: { major: Number(r[1]), minor: Number(r[2]) }, uncertain: `RHEL keeps ${r[1]}.${r[2]} in its version for the whole major release and backports fixes from far newer kernels, which the version does not show: search the package changelog (rpm -q --changelog kernel) for the subjects of the commits named here (conntrack-mc list prints them); ${LIVE}` };
  }
  const a = AMAZON.exec(t);
  if (a) return { text: t, distro: `Amazon Linux ${a[4]}`, version: stableOf(a), uncertain: `Amazon Linux builds stable ${a[1]}.${a[2]}.${a[3]} with patches of its own, which are not known here; ${LIVE}` };
  const v = VENDOR.exec(t);
  if (v) return { text: t, distro: "a vendor", version: stableOf(v), uncertain: `the suffix after ${v[1]}.${v[2]}${v[3] !== undefined ? `.${v[3]}` : ""} names a build with patches of its own, which are not known here; ${LIVE}` };
  return undefined;
}

/** "5.10.205" read from a match's three numbers (a third of 0 is the release itself). */
function stableOf(m: RegExpExecArray): Version {
  const stable = m[3] !== undefined ? Number(m[3]) : 0;
  return { major: Number(m[1]), minor: Number(m[2]), ...(stable > 0 ? { stable } : {}) };
}

/** The stable release a node says it carries: Ubuntu's /proc/version_signature ("Ubuntu 5.15.0-91.101-generic
 * 5.15.131") or Debian's /proc/version ("... Debian 6.1.76-1 (2024-02-01)"); undefined when neither says. */
export function stableFromNode(versionSignature: string | undefined, procVersion: string | undefined): Version | undefined {
  const sig = versionSignature?.trim().split(/\s+/).at(-1);
  const fromSig = sig !== undefined ? parseVersion(sig) : undefined;
  if (fromSig?.stable !== undefined) return { major: fromSig.major, minor: fromSig.minor, stable: fromSig.stable };
  const deb = procVersion !== undefined ? /\bDebian (\d+\.\d+\.\d+)-\S+/.exec(procVersion) : null;
  const fromDeb = deb ? parseVersion(deb[1]!) : undefined;
  return fromDeb?.stable !== undefined ? { major: fromDeb.major, minor: fromDeb.minor, stable: fromDeb.stable } : undefined;
}
