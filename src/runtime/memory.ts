/**
 * The one memory bound every search runs under: the smallest of the V8 heap
 * limit, the cgroup's memory limit and the user's --max-memory, measured
 * against the whole process's resident size, so that no input ends in a V8
 * out-of-memory crash or the kernel's OOM killer.
 */
import { readFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";

export interface MemoryBound {
  readonly bytes: number;
  /** What set it, for the message: "--max-memory", "the cgroup limit" or "the V8 heap limit". */
  readonly source: string;
}

const readNumber = (file: string): number | undefined => {
  try {
    const t = readFileSync(file, "utf8").trim();
    if (!/^\d+$/.test(t)) return undefined; // cgroup v2 says "max" for none
    const n = Number(t);
    // cgroup v1 writes "no limit" as a page-rounded 2^63.
    return n > 0 && n < 2 ** 62 ? n : undefined;
  } catch {
    return undefined;
  }
};

/** The memory limit of this process's cgroup and every cgroup above it (v2 or v1), if any. */
export function cgroupLimit(): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync("/proc/self/cgroup", "utf8").split("\n");
  } catch {
    return undefined;
  }
  let least: number | undefined;
  const consider = (n: number | undefined): void => {
    if (n !== undefined && (least === undefined || n < least)) least = n;
  };
  for (const line of lines) {
    const [, controllers, path] = line.split(":");
    if (path === undefined) continue;
    const v2 = controllers === "";
    if (!v2 && !controllers!.split(",").includes("memory")) continue;
    const root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
    const file = v2 ? "memory.max" : "memory.limit_in_bytes";
    // The limit that applies is the least of this cgroup's and its ancestors'.
    const parts = path.split("/").filter((p) => p !== "");
    for (let i = parts.length; i >= 0; i--) consider(readNumber(`${root}/${parts.slice(0, i).join("/")}${i ? "/" : ""}${file}`));
  }
  return least;
}

export function memoryBound(userMiB?: number): MemoryBound {
  const candidates: MemoryBound[] = [{ bytes: getHeapStatistics().heap_size_limit, source: "the V8 heap limit" }];
  const cg = cgroupLimit();
  if (cg !== undefined) candidates.push({ bytes: cg, source: "the cgroup limit" });
  if (userMiB !== undefined) candidates.push({ bytes: userMiB * 2 ** 20, source: "--max-memory" });
  return candidates.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}

/** A search's bound: the one its options give, or the default. */
export function boundOf(opts: { maxMemoryBytes?: number; maxMemorySource?: string }): MemoryBound {
  return opts.maxMemoryBytes !== undefined ? { bytes: opts.maxMemoryBytes, source: opts.maxMemorySource ?? "--max-memory" } : memoryBound();
}

/** A search stops once the process holds this share of the bound (the rest is
 * for what follows: the counterexample, the report), or when an allocation it
 * is about to make would take it past the larger share. */
export const STOP_SHARE = 0.85;
export const GROWTH_SHARE = 0.95;

/** Samples the process's resident size at most every `everyMs` (a read costs
 * microseconds) and remembers the peak. */
export class MemoryWatch {
  peak = 0;
  /** What the process held, and was about to allocate, when `over` first said yes. */
  stoppedAt: { rss: number; extra: number } | undefined;
  private last = -Infinity;
  private rss = 0;
  constructor(
    readonly bound: number,
    private readonly everyMs = 20,
  ) {}
  /** Whether the process, with `extra` bytes it is about to allocate, passes the stop share of the bound. */
  over(now: number, extra = 0): boolean {
    if (now - this.last >= this.everyMs) {
      this.last = now;
      this.rss = process.memoryUsage.rss();
      if (this.rss > this.peak) this.peak = this.rss;
    }
    const over = this.rss > this.bound * STOP_SHARE || this.rss + extra > this.bound * GROWTH_SHARE;
    if (over && !this.stoppedAt) this.stoppedAt = { rss: this.rss, extra };
    return over;
  }
  /** Reads it now (for a final figure). */
  sample(): number {
    this.rss = process.memoryUsage.rss();
    if (this.rss > this.peak) this.peak = this.rss;
    return this.rss;
  }
}
