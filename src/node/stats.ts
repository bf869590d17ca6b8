/**
 * conntrack's per-CPU counters as a node shows them: `conntrack -S` (one `cpu=N key=value ...` line per CPU) or
 * /proc/net/stat/nf_conntrack (a header line, then one row of hexadecimal numbers per CPU). Both are summed over
 * CPUs, as the model's counters are (kernel/properties/outcomes.ts). The names differ between the two and across
 * kernels: /proc says `clashres` for clash_resolve and `chainlength` for chaintoolong.
 */
import { InputError } from "../errors.js";

/** The counters diagnose reads, summed over CPUs; a counter the text does not show is absent (the kernel lacks it). */
export type NodeCounters = Partial<Record<CounterName, number>>;

export const COUNTER_NAMES = ["insert_failed", "drop", "clash_resolve", "early_drop", "chaintoolong"] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

const PROC_NAMES: Readonly<Record<string, CounterName>> = { clashres: "clash_resolve", chainlength: "chaintoolong" };

/** Reads either format; `source` names the file for the one-line error. */
export function parseStats(text: string, source: string): NodeCounters {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (lines.length === 0) throw new InputError(`${source}: empty: expected the output of conntrack -S or the contents of /proc/net/stat/nf_conntrack`);
  if (/^entries\s+\S+\s+\S/.test(lines[0]!)) return parseProc(lines, source);
  // conntrack -S without CAP_NET_ADMIN prints the /proc file turned, one "name value" line a counter (CPU 0's).
  if (lines.every((l) => /^[a-z_]+\s+\d+$/.test(l))) return parseNamed(lines);
  return parseConntrackS(lines, source);
}

function parseNamed(lines: readonly string[]): NodeCounters {
  const sums: NodeCounters = {};
  for (const l of lines) {
    const [name, value] = l.split(/\s+/);
    add(sums, name!, Number(value));
  }
  return sums;
}

function parseConntrackS(lines: readonly string[], source: string): NodeCounters {
  const sums: NodeCounters = {};
  lines.forEach((line, i) => {
    if (!/^cpu=\d+\s/.test(line)) throw new InputError(`${source}: line ${i + 1}: expected 'cpu=N key=value ...' (conntrack -S) or a /proc/net/stat/nf_conntrack header, got '${cut(line)}'`);
    for (const pair of line.split(/\s+/).slice(1)) {
      // Tools older than the kernel print a counter they do not know as unknownN=V: read, and left out.
      const m = /^([a-z_][a-z0-9_]*)=(\d+)$/.exec(pair);
      if (!m) throw new InputError(`${source}: line ${i + 1}: expected key=value with a whole number, got '${cut(pair)}'`);
      add(sums, m[1]!, Number(m[2]));
    }
  });
  return sums;
}

function parseProc(lines: readonly string[], source: string): NodeCounters {
  const names = lines[0]!.split(/\s+/);
  const sums: NodeCounters = {};
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(/\s+/);
    if (cells.length !== names.length || !cells.every((c) => /^[0-9a-f]+$/i.test(c))) {
      throw new InputError(`${source}: line ${i + 2}: expected ${names.length} hexadecimal numbers under the header, got '${cut(line)}'`);
    }
    cells.forEach((c, j) => add(sums, names[j]!, parseInt(c, 16)));
  });
  if (lines.length < 2) throw new InputError(`${source}: expected a row per CPU under the header, got none`);
  return sums;
}

const isCounter = (name: string): name is CounterName => (COUNTER_NAMES as readonly string[]).includes(name);

function add(sums: NodeCounters, raw: string, value: number): void {
  const name = PROC_NAMES[raw] ?? raw;
  if (isCounter(name)) sums[name] = (sums[name] ?? 0) + value;
}

const cut = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/** What rose: with two readings the difference, with one the totals since boot (a counter never read stays absent). */
export function risen(before: NodeCounters | undefined, after: NodeCounters): NodeCounters {
  const out: NodeCounters = {};
  for (const n of COUNTER_NAMES) {
    const a = after[n];
    if (a === undefined) continue;
    const d = a - (before?.[n] ?? 0);
    if (before && d < 0) throw new InputError(`--conntrack-stats: ${n} went down from ${before[n]} to ${a}: expected the earlier reading first (the counters reset only at boot)`);
    out[n] = d;
  }
  return out;
}
