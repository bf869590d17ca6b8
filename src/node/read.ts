/**
 * What `diagnose` reads of the node it runs on, when not given it: the kernel release (uname -r) and what the
 * distribution says it is built on, conntrack's counters (`conntrack -S`, else /proc/net/stat/nf_conntrack), and
 * /etc/resolv.conf. Nothing here writes or changes the node.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";

export interface NodeKernelText {
  readonly release: string;
  /** Ubuntu's /proc/version_signature, when the node has it. */
  readonly versionSignature?: string;
  readonly procVersion?: string;
}

const readIf = (path: string): string | undefined => {
  try {
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
};

export function nodeKernel(): NodeKernelText {
  const sig = readIf("/proc/version_signature");
  const ver = readIf("/proc/version");
  return { release: release(), ...(sig !== undefined ? { versionSignature: sig } : {}), ...(ver !== undefined ? { procVersion: ver } : {}) };
}

export const PROC_STATS = "/proc/net/stat/nf_conntrack";

/** The counters' text and where it came from; undefined when neither source can be read (no conntrack module,
 * or conntrack -S without CAP_NET_ADMIN and no /proc file). */
export function nodeStatsText(): { readonly text: string; readonly source: string } | undefined {
  const r = spawnSync("conntrack", ["-S"], { encoding: "utf8", timeout: 10_000 });
  const proc = readIf(PROC_STATS);
  // The per-CPU table first: /proc has every CPU, while conntrack -S without CAP_NET_ADMIN prints CPU 0 only.
  if (proc !== undefined) return { text: proc, source: PROC_STATS };
  return r.status === 0 && /cpu=\d+/.test(r.stdout) ? { text: r.stdout, source: "conntrack -S" } : undefined;
}

/** NodeLocal DNSCache's dummy interface (its DaemonSet creates `nodelocaldns` on every node it runs on). */
export const nodeLocalDnsInterface = (): boolean => existsSync("/sys/class/net/nodelocaldns");

export const RESOLV_CONF = "/etc/resolv.conf";

export const nodeResolvConf = (): string | undefined => readIf(RESOLV_CONF);
