/**
 * What a user's hook may return, and what it may leave in the state it is
 * given, checked where the result enters the model: a wrong type, an entry
 * that does not exist or a counter past what the packed state holds would
 * otherwise change the verdict silently, or fail later as our own bug.
 * A guard wraps a hook, returns what the model uses (a fresh copy where the
 * hook's object could change under it) or throws a HookFault: "<hook> <text>".
 */
import type { Conn } from "../kernel/net/conn.js";
import type { CpuStats, KState } from "../kernel/net/state.js";
import type { Tuple } from "../kernel/net/tuple.js";
import { Fate, Pc, Reply } from "../kernel/net/state.js";
import { IPS_TRACKED } from "../kernel/net/conn.js";
import { FUNCTIONS, type FunctionName, type Returns } from "../kernel/function-table.js";
import { choicePosition, rewindChoices, sameChoicesAgain } from "../kernel/choose.js";
import { isNote } from "../kernel/note.js";

export class HookFault {
  constructor(readonly text: string) {}
}

const fault = (text: string): never => {
  throw new HookFault(text);
};

/** The packed state holds each `conntrack -S` counter in 5 bits (packed.ts). */
const COUNTER_MAX = 31;

/** A value, briefly, for a one-line message. */
export function show(v: unknown, depth = 0): string {
  try {
    if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "function") return "a function";
    if (typeof v === "symbol") return "a symbol";
    if (v === null || typeof v !== "object") return String(v);
    if (depth > 0) return Array.isArray(v) ? "[...]" : "{...}";
    if (Array.isArray(v)) return `[${v.slice(0, 6).map((x) => show(x, 1)).join(", ")}${v.length > 6 ? ", ..." : ""}]`;
    const keys = Object.keys(v);
    const shown = keys.slice(0, 4).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${show((v as Record<string, unknown>)[k], 1)}`);
    return `{ ${shown.join(", ")}${keys.length > 4 ? ", ..." : ""} }`.replace("{  }", "{}");
  } catch {
    return "a value that cannot be shown";
  }
}

const isThenable = (r: unknown): boolean => {
  if (r === null || (typeof r !== "object" && typeof r !== "function")) return false;
  const then = (r as { then?: unknown }).then;
  if (typeof then !== "function") return false;
  // An async hook that throws leaves a rejected promise: handled here, so it cannot end the process later.
  try {
    (then as (ok: unknown, no: unknown) => unknown).call(r, undefined, () => undefined);
  } catch {
    // its own then threw: the refusal below says enough
  }
  return true;
};

function returned(r: unknown, expected: string): never {
  if (isThenable(r)) return fault("returned a Promise: hooks are synchronous (an async function or a top-level await in a hook returns one)");
  return fault(`returned ${show(r)}: expected ${expected}`);
}

/** An integer in lo..hi (int32 ranges only: `v | 0` is exact there, and fast). */
const int = (v: unknown, lo: number, hi: number): v is number => typeof v === "number" && (v | 0) === v && v >= lo && v <= hi;

function checkCounters(stats: CpuStats, where: string): void {
  if (int(stats.insertFailed, 0, COUNTER_MAX) && int(stats.drop, 0, COUNTER_MAX) && int(stats.clashResolve, 0, COUNTER_MAX) && int(stats.earlyDrop, 0, COUNTER_MAX) && int(stats.chainTooLong, 0, COUNTER_MAX)) return;
  for (const k of ["insertFailed", "drop", "clashResolve", "earlyDrop", "chainTooLong"] as const) {
    const v = stats[k];
    if (!int(v, 0, COUNTER_MAX)) fault(`left ${where}${k} at ${show(v)}: expected an integer 0 to ${COUNTER_MAX} (the model holds each conntrack -S counter up to ${COUNTER_MAX} per CPU)`);
  }
}

function checkChain(st: KState, key: "table" | "bysource"): void {
  const ids: unknown = st[key];
  const n = st.pkts.length;
  let ok = Array.isArray(ids) && ids.length <= n;
  if (ok) {
    let seen = 0;
    for (let k = 0; k < (ids as unknown[]).length; k++) {
      const id = (ids as unknown[])[k];
      if (!int(id, 0, n - 1) || st.pkts[id]!.ct === null || seen & (1 << id)) {
        ok = false;
        break;
      }
      seen |= 1 << id;
    }
  }
  if (!ok) fault(`left st.${key} ${show(ids)}: expected the indices of distinct packets that have an entry (0 to ${n - 1})`);
}

const PACKET_FIELDS: readonly [keyof KState["pkts"][number], (v: unknown, n: number) => boolean, string][] = [
  ["pc", (v) => int(v, Pc.LOOKUP, Pc.DONE), `an integer ${Pc.LOOKUP} to ${Pc.DONE}`],
  ["fate", (v) => int(v, Fate.PENDING, Fate.DROPPED), `an integer ${Fate.PENDING} to ${Fate.DROPPED}`],
  ["reply", (v) => int(v, Reply.NONE, Reply.EXPIRED), `an integer ${Reply.NONE} to ${Reply.EXPIRED}`],
  ["freed", (v) => typeof v === "boolean", "a boolean"],
  ["replyOnly", (v) => typeof v === "boolean", "a boolean"],
  ["evicted", (v) => typeof v === "boolean", "a boolean"],
  ["expired", (v) => typeof v === "boolean", "a boolean"],
  ["reaping", (v, n) => int(v, -1, n - 1), "an entry index or -1"],
  ["uses", (v, n) => int(v, -1, n - 1), "an entry index or -1"],
  ["clashWith", (v, n) => int(v, -1, n - 1), "an entry index or -1"],
];

const isTuple = (t: Tuple | null | undefined): boolean =>
  typeof t === "object" && t !== null && int(t.src, 0, 0xffff) && int(t.dst, 0, 0xffff) && int(t.sport, 0, 0xffff) && int(t.dport, 0, 0xffff);

/** Which field of packet i is wrong (out of line: only on failure). */
function packetFault(st: KState, i: number): never {
  const p = st.pkts[i]!;
  for (const [k, ok, what] of PACKET_FIELDS) if (!ok(p[k], st.pkts.length)) fault(`left st.pkts[${i}].${k} at ${show(p[k])}: expected ${what}`);
  return fault(`left st.pkts[${i}].ct ${show(p.ct)}: expected null or an entry { orig, reply, status }`);
}

/** What the packed encoding cannot hold, or would hold as something else. */
function checkState(st: KState, pkts: unknown, stats: unknown, packets: number, cpus: number): void {
  if (st.pkts !== pkts || st.stats !== stats || st.pkts.length !== packets || st.stats.length !== cpus) {
    fault("replaced or resized st.pkts or st.stats: expected them changed in place, one per packet and CPU");
  }
  if (!int(st.rover, 0, 0xffff)) fault(`left st.rover at ${show(st.rover)}: expected an integer 0 to 65535`);
  if (!int(st.gc, -1, packets - 1) || !int(st.now, 0, 0x7fffffff)) fault(`left st.gc at ${show(st.gc)} or st.now at ${show(st.now)}: expected the gc worker's entry (-1 for none) and the clock, which only the model moves`);
  const last = packets - 1;
  for (let i = 0; i < packets; i++) {
    const p = st.pkts[i]!;
    const ct = p.ct as Conn | null;
    const ok =
      int(p.pc, Pc.LOOKUP, Pc.DONE) &&
      int(p.fate, Fate.PENDING, Fate.DROPPED) &&
      int(p.reply, Reply.NONE, Reply.EXPIRED) &&
      typeof p.freed === "boolean" &&
      typeof p.replyOnly === "boolean" &&
      typeof p.evicted === "boolean" &&
      typeof p.expired === "boolean" &&
      int(p.reaping, -1, last) &&
      int(p.uses, -1, last) &&
      int(p.clashWith, -1, last) &&
      (ct === null || (typeof ct === "object" && typeof ct.status === "number" && isTuple(ct.orig) && isTuple(ct.reply) && int(ct.timeout, 0, 0x7fffffff) && int(ct.streamTs, 0, (1 << 26) - 1)));
    if (!ok) packetFault(st, i);
  }
  checkChain(st, "table");
  checkChain(st, "bysource");
  for (let c = 0; c < cpus; c++) checkCounters(st.stats[c]!, `cpu${c}'s `);
}

type Fn = (...args: never[]) => unknown;
/** A hook as the model calls it, with its result and what it changed checked (throws a HookFault). */
type Guard = (hook: Fn) => Fn;

const TUPLE_FAULT = "replaced an entry's tuple: expected tuples left as they are (only NAT's steps set them)";

/** Status bits the model tracks. */
const TRACKED = IPS_TRACKED;
const STATUS_FAULT = "left an entry's status with bits the model does not track: expected lib.IPS's (SEEN_REPLY, ASSURED, CONFIRMED to FIXED_TIMEOUT, NAT_CLASH: bits 1-5, 7-10, 12)";
const TWICE_FAULT = "gave two different answers for the same entries: a hook must be a function of what it is given (does it keep state between calls?)";

/** An entry's tuples, by value: a hook may neither replace nor edit them. */
const tuplesOf = (c: Conn): number[] => [c.orig.src, c.orig.sport, c.orig.dst, c.orig.dport, c.reply.src, c.reply.sport, c.reply.dst, c.reply.dport];
function entryKept(c: Conn, o: unknown, r: unknown, before: readonly number[]): void {
  if (c.orig !== o || c.reply !== r) fault(TUPLE_FAULT);
  const now = tuplesOf(c);
  for (let i = 0; i < 8; i++) if (now[i] !== before[i]) fault(TUPLE_FAULT);
  if (!Number.isInteger(c.status) || (c.status & ~TRACKED) !== 0) fault(STATUS_FAULT);
}

/** takenBy, clashMergeable: two entries in (and their zones, frozen), a boolean out. They may change
 * tracked status bits, never an entry's tuples; asked twice, they answer alike. */
const predicate2: Guard = (hook) => {
  const h = hook as (a: Conn, b: Conn, za?: unknown, zb?: unknown) => unknown;
  return (a: Conn, b: Conn, za?: unknown, zb?: unknown): boolean => {
    const ao = a.orig, ar = a.reply, bo = b.orig, br = b.reply;
    const at = tuplesOf(a), bt = tuplesOf(b);
    const from = choicePosition();
    const r = h(a, b, za, zb);
    if (typeof r !== "boolean") returned(r, "true or false");
    // Asked again, its lib.choose calls get the answers they got (choose.ts).
    const end = choicePosition();
    rewindChoices(from);
    if (h(a, b, za, zb) !== r || !sameChoicesAgain(end)) fault(TWICE_FAULT);
    entryKept(a, ao, ar, at);
    entryKept(b, bo, br, bt);
    return r as boolean;
  };
};

const predicate1: Guard = (hook) => {
  const h = hook as (a: Conn) => unknown;
  return (a: Conn): boolean => {
    const ao = a.orig, ar = a.reply;
    const at = tuplesOf(a);
    const from = choicePosition();
    const r = h(a);
    if (typeof r !== "boolean") returned(r, "true or false");
    const end = choicePosition();
    rewindChoices(from);
    if (h(a) !== r || !sameChoicesAgain(end)) fault(TWICE_FAULT);
    entryKept(a, ao, ar, at);
    return r as boolean;
  };
};

/** A hook given the state as its argument `at`: `result` checks what it returned (given the call's
 * arguments too), then the state is checked. */
const stateful =
  (at: number, result: (r: unknown, st: KState, args: readonly unknown[]) => unknown): Guard =>
  (hook) => {
    const h = hook as (...args: unknown[]) => unknown;
    return (...args: unknown[]): unknown => {
      const st = args[at] as KState;
      const pkts = st.pkts, stats = st.stats, packets = pkts.length, cpus = stats.length;
      const value = result(h(...args), st, args);
      checkState(st, pkts, stats, packets, cpus);
      return value;
    };
  };

const RESOLUTION = `{ kind: "drop" }, { kind: "insert" } or { kind: "merge", into } with into a linked entry's index`;
const DROP = Object.freeze({ kind: "drop" as const });
const INSERT = Object.freeze({ kind: "insert" as const });

/** The hook's object is not kept: the model reads a fresh one, which no getter can change. */
function resolution(r: unknown, st: KState): unknown {
  if (r === null || typeof r !== "object" || isThenable(r)) return returned(r, RESOLUTION);
  const o = r as Record<string, unknown>;
  let keys = 0;
  for (const k in o) if (k === "kind" || k === "into") keys++;
  const all = Object.keys(o).length;
  const kind = o["kind"];
  if (keys === 1 && all === 1 && kind === "drop") return DROP;
  if (keys === 1 && all === 1 && kind === "insert") return INSERT;
  if (keys === 2 && all === 2 && kind === "merge") {
    const into = o["into"];
    if (int(into, 0, st.pkts.length - 1) && st.table.includes(into)) return { kind, into };
    return fault(`returned ${show(r)}: expected into to be the index of an entry linked in the table (st.table is ${show(st.table)})`);
  }
  return returned(r, RESOLUTION);
}

const counters: Guard = (hook) => {
  const h = hook as (stats: CpuStats, x: unknown) => unknown;
  return (stats: CpuStats, x: unknown): void => {
    const r = h(stats, x);
    if (r !== undefined) returned(r, "nothing (it counts into the counters it is given)");
    checkCounters(stats, "");
  };
};

/** A string of one line: no control characters. */
const oneLine = (r: unknown): boolean => typeof r === "string" && !/[\u0000-\u001f\u007f-\u009f]/.test(r);

/** A Note a built-in step returned, which a wrapping patch passes on (recognised by its kind: kernel/note.ts). */
const passedOn = (r: unknown): boolean => {
  try {
    return isNote(r);
  } catch {
    return false; // a getter that throws: no note of ours
  }
};

/** What a step returns: its note for traces, one line of its own or a built-in step's note. */
const note = (r: unknown): unknown => (oneLine(r) || passedOn(r) ? r : returned(r, "a string of one line (what the step did, for traces; may be empty) or the note a built-in step returned"));
const step = stateful(1, note);

/** A tuple a hook returned, as a fresh copy: addresses the scenario's (0 to addrs - 1), ports 0 to 65535. */
function tupleResult(r: unknown, addrs: number, orUndefined: boolean): unknown {
  if (orUndefined && r === undefined) return r;
  const expected = `${orUndefined ? "undefined or " : ""}a tuple { src, sport, dst, dport } (addresses 0 to ${addrs - 1}, the scenario's; ports 0 to 65535)`;
  if (r === null || typeof r !== "object" || isThenable(r)) return returned(r, expected);
  const t = r as Record<string, unknown>;
  const src = t["src"], sport = t["sport"], dst = t["dst"], dport = t["dport"];
  if (!int(src, 0, addrs - 1) || !int(dst, 0, addrs - 1) || !int(sport, 0, 0xffff) || !int(dport, 0, 0xffff)) return returned(r, expected);
  return { src, sport, dst, dport };
}

/** A hook given (ctx, st, ...) that returns a tuple (or undefined). */
const tupleHook = (orUndefined: boolean): Guard => stateful(1, (r, _st, args) => tupleResult(r, (args[0] as { sc: { addrs: readonly string[] } }).sc.addrs.length, orUndefined));

const trackerNote = (r: unknown): unknown =>
  r === undefined || oneLine(r) || passedOn(r) ? r : returned(r, "undefined or a string of one line (what the tracker did, for traces) or the note a built-in tracker returned");

const evictedCount = (st: KState): number => st.pkts.reduce((n, p) => n + (p.evicted ? 1 : 0), 0);

/** early_drop: how many entries it evicted, which must be how many it marked `evicted` (the count decides the packet's fate). */
const evictions: Guard = (hook) => {
  const h = stateful(1, (r, st) => (int(r, 0, st.pkts.length) ? r : returned(r, `how many entries it evicted, an integer 0 to ${st.pkts.length}`)))(hook);
  return (...args: unknown[]): unknown => {
    const st = args[1] as KState;
    const before = evictedCount(st);
    const r = h(...(args as never[])) as number;
    const n = evictedCount(st) - before;
    if (n !== r) fault(`returned ${r} but set st.pkts[id].evicted on ${n} entr${n === 1 ? "y" : "ies"}: expected the number it evicted (each unlinked with lib.hashRemove and marked evicted)`);
    return r;
  };
};

/** A constant of the release (a point with no arguments, or a protocol's: allow_clash): a boolean, and asked twice, it answers alike. */
const constant: Guard = (hook) => {
  const h = hook as (...args: unknown[]) => unknown;
  return (...args: unknown[]): boolean => {
    const r = h(...args);
    if (typeof r !== "boolean") returned(r, "true or false");
    if (h(...args) !== r) fault(TWICE_FAULT);
    return r as boolean;
  };
};

/** The check of each kind of result a function returns (kernel/function-table.ts names the kind of each). */
const BY_RETURNS: Readonly<Record<Returns, Guard>> = {
  note: step,
  boolean: stateful(1, (r) => (typeof r === "boolean" ? r : returned(r, "true or false"))),
  killed: stateful(1, (r) => (typeof r === "boolean" ? r : returned(r, "true or false (whether it set DYING, so its caller unlinks the entry)"))),
  evictions,
  tuple: tupleHook(false),
  "tuple-or-none": tupleHook(true),
  port: stateful(0, (r) => (int(r, 1, 0xffff) ? r : returned(r, "an integer port 1 to 65535"))),
  "entry-or-none": stateful(1, (r, st) => (int(r, -1, st.pkts.length - 1) ? r : returned(r, `an entry index (0 to ${st.pkts.length - 1}) or -1 for free`))),
  resolution: stateful(1, resolution),
  "tracker-note": stateful(1, trackerNote),
  nothing: stateful(1, (r) => (r === undefined ? r : returned(r, "nothing (it sets the entry's timeout)"))),
  predicate2,
  predicate1,
  counters,
  constant,
};

/** The guard of kernel function `name`: the check of what it returns. */
export const guardOf = (name: FunctionName): Guard => BY_RETURNS[FUNCTIONS[name].returns];
