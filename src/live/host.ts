/**
 * What the live harness needs from this machine, and running its commands.
 * Every failure is one line (LiveUnavailable: exit 2).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../paths.js";

export class LiveUnavailable extends Error {}

/** Runs a command; throws a one-line error naming it when it fails. */
export function sh(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new LiveUnavailable(`live: cannot run ${cmd}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
  if (r.status !== 0) {
    throw new LiveUnavailable(`live: '${cmd} ${args.join(" ")}' failed: ${(r.stderr || r.stdout).trim().split("\n")[0]}`);
  }
  return r.stdout;
}

const has = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** Root, network namespaces and the tools (`extra`: what a scenario needs besides, such as conntrack); throws saying
 * what is missing. */
export function checkHost(extra: readonly string[] = []): void {
  if (process.platform !== "linux") throw new LiveUnavailable("live: needs Linux (network namespaces, netfilter)");
  if (process.getuid?.() !== 0) throw new LiveUnavailable("live: needs root to create network namespaces and netfilter rules");
  for (const tool of ["ip", "iptables", "iptables-restore", "cc", ...extra]) {
    if (!has(tool)) throw new LiveUnavailable(`live: '${tool}' is not installed: run scripts/install-live-deps.sh`);
  }
  const probe = `ctmc-probe-${process.pid}`;
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (r.status !== 0) throw new LiveUnavailable(`live: network namespaces are unavailable: ${r.stderr.trim().split("\n")[0]}`);
  spawnSync("ip", ["netns", "del", probe]);
}

/** Compiles live/NAME.c once per source version into a cache folder (`tag` names it), with `flags` before the source
 * and `libs` after it. */
function compiled(name: string, tag: string, flags: readonly string[], libs: readonly string[] = []): string {
  const src = join(ROOT, "live", `${name}.c`);
  const hash = createHash("sha256").update(readFileSync(src)).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), `conntrack-mc-${tag}-${hash}`);
  const bin = join(dir, name);
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    sh("cc", ["-O2", "-Wall", ...flags, "-o", bin, src, ...libs]);
  }
  return bin;
}

/** Compiles live/ctmc-live.c once per source version into a cache folder. */
export const liveBinary = (): string => compiled("ctmc-live", "live", ["-pthread"]);

/** The NFQUEUE program (live/ctmc-nfq.c), compiled once per source version against libnetfilter_queue. */
export function nfqBinary(): string {
  if (!existsSync("/usr/include/libnetfilter_queue/libnetfilter_queue.h")) {
    throw new LiveUnavailable("live: libnetfilter-queue-dev is not installed (the NFQUEUE program needs it): run scripts/install-live-deps.sh");
  }
  return compiled("ctmc-nfq", "nfq", [], ["-lnetfilter_queue", "-lnfnetlink"]);
}

/** "6.18.44-fc-v669" -> 6, 18, 44 (a distro's "6.1.0-13-amd64" gives no stable number: 0). */
export function kernelVersion(): { text: string; major: number; minor: number; stable: number } {
  const text = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new LiveUnavailable(`live: cannot read the kernel version from '${text}'`);
  return { text, major: Number(m[1]), minor: Number(m[2]), stable: Number(m[3] ?? 0) };
}
