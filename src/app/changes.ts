/**
 * What one step changed, in the model's own words. The step is run again under
 * immer's produceWithPatches, so the diff is exactly what the step wrote; the
 * patches say which fields changed, and the old and new states give the values.
 */
import { Immer, current, enablePatches, isDraft, type Patch as ImmerPatch } from "immer";
import { IPS, statusNames, type Conn } from "../kernel/net/conn.js";
import { formatMs } from "../kernel/functions/time.js";
import { refcount } from "../kernel/functions/recycle.js";
import type { ConntrackModel } from "../model/model.js";
import type { KState } from "../kernel/net/state.js";
import { Fate } from "../kernel/net/state.js";
import { formatTuple } from "../kernel/net/tuple.js";
import type { Action } from "../engine/model.js";
import type { StepNote } from "../kernel/note.js";

enablePatches();
const immer = new Immer({ autoFreeze: false });

export interface StepDiff {
  readonly next: KState;
  /** What the step did, as data (report/notes.ts words it). */
  readonly note: StepNote;
  readonly patches: readonly ImmerPatch[];
}

/** A note as plain data: a Note may hold what the step read from the state (a tuple), which under immer is a draft,
 * revoked once the step is done: copied out while it lives. */
function detach(v: unknown): unknown {
  if (isDraft(v)) return current(v);
  if (Array.isArray(v)) return v.map(detach);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, detach(x)]));
  return v;
}

export function diffStep(model: ConntrackModel, s: KState, a: Action): StepDiff {
  let note: StepNote = "";
  const [next, patches] = immer.produceWithPatches(s, (draft: KState) => {
    note = detach(model.apply(draft, a)) as StepNote;
  });
  return { next, note, patches };
}

const STAT_NAMES = { insertFailed: "insert_failed", drop: "drop", clashResolve: "clash_resolve", earlyDrop: "early_drop", chainTooLong: "chaintoolong" } as const;

function formatConn(ct: Conn, addrs: readonly string[]): string {
  return `ORIGINAL ${formatTuple(ct.orig, addrs)}, REPLY ${formatTuple(ct.reply, addrs)}`;
}

/** Human-readable changes between `before` and `after`, for the fields the patches touched. */
export function describeChanges(model: ConntrackModel, before: KState, after: KState, patches: readonly ImmerPatch[]): string[] {
  const sc = model.ctx.sc;
  const name = (id: number): string => sc.packets[id]!.name;
  const keys = new Set(patches.map((p) => p.path.slice(0, p.path[0] === "pkts" ? (p.path[2] === "ct" ? 4 : 3) : p.path[0] === "stats" ? 3 : 1).join(".")));
  const out: string[] = [];
  // Packets first, then the shared table, NAT's bysource chain, the rover, counters.
  const rank = (k: string): number => ["now", "pkts", "table", "bysource", "rover", "stats", "gc"].indexOf(k.split(".")[0]!);
  // ct->timeout is a duration until confirm adds the clock, a time after.
  const timeout = (c: Conn): string => `${formatMs(c.timeout)}${c.status & IPS.CONFIRMED ? "" : " from confirm"}`;
  for (const key of [...keys].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))) {
    const path = key.split(".");
    if (path[0] === "pkts") {
      const i = Number(path[1]);
      const b = before.pkts[i]!;
      const n = after.pkts[i]!;
      const who = name(i);
      switch (path[2]) {
        case "ct":
          if (path.length === 3 || !b.ct) {
            out.push(`${who}.ct = ${formatConn(n.ct!, sc.addrs)} (unconfirmed)`);
            if (sc.timed && n.ct) out.push(`${who}.ct timeout ${timeout(n.ct)}${n.ct.streamTs ? `, stream_ts ${formatMs(n.ct.streamTs)}` : ""}`);
          } else if (path[3] === "timeout") out.push(`${who}.ct timeout ${timeout(b.ct)}  =>  ${timeout(n.ct!)}`);
          else if (path[3] === "streamTs") out.push(`${who}.ct stream_ts ${formatMs(b.ct.streamTs)}  =>  ${formatMs(n.ct!.streamTs)}`);
          else if (path[3] === "reply") out.push(`${who}.ct REPLY ${formatTuple(b.ct.reply, sc.addrs)}  =>  ${formatTuple(n.ct!.reply, sc.addrs)}`);
          else if (path[3] === "orig") out.push(`${who}.ct ORIGINAL ${formatTuple(b.ct.orig, sc.addrs)}  =>  ${formatTuple(n.ct!.orig, sc.addrs)}`);
          else if (path[3] === "status") {
            const added = statusNames(n.ct!.status & ~b.ct.status);
            const removed = statusNames(b.ct.status & ~n.ct!.status);
            out.push(`${who}.ct status ${[...added.map((s) => `+${s}`), ...removed.map((s) => `-${s}`)].join(" ")}`);
          }
          break;
        case "fate":
          out.push(`${who} ${n.fate === Fate.DROPPED ? "DROPPED" : n.fate === Fate.ACCEPTED ? "accepted" : "pending"}`);
          break;
        case "uses":
          if (n.uses !== i) out.push(`${who} continues with ${name(n.uses)}'s entry`);
          break;
        case "freed":
          // With recycled entries a reference may outlive the packet's: the entry is freed only at none.
          if (n.freed) out.push(sc.recycle ? `${who} puts its entry (references left: ${refcount(after, i)})` : `${who}'s entry freed`);
          break;
        case "expired":
          if (n.expired) out.push(`${who}'s entry reaped: it had timed out`);
          break;
        default:
          break; // pc and clashWith: the step and its note say it
      }
    } else if (path[0] === "table") {
      for (const id of after.table) {
        if (!before.table.includes(id)) out.push(`hash table += ${name(id)}'s entry (${after.pkts[id]!.replyOnly ? "REPLY node only" : "ORIGINAL and REPLY nodes"})`);
      }
      for (const id of before.table) if (!after.table.includes(id)) out.push(`hash table -= ${name(id)}'s entry`);
    } else if (path[0] === "bysource") {
      for (const id of after.bysource) if (!before.bysource.includes(id)) out.push(`nf_nat_bysource += ${name(id)}'s entry`);
      for (const id of before.bysource) if (!after.bysource.includes(id)) out.push(`nf_nat_bysource -= ${name(id)}'s entry`);
    } else if (path[0] === "now") {
      out.push(`clock ${formatMs(before.now)}  =>  ${formatMs(after.now)}`);
    } else if (path[0] === "rover") {
      out.push(`udp port rover ${before.rover}  =>  ${after.rover}`);
    } else if (path[0] === "stats") {
      const c = Number(path[1]);
      const f = path[2] as keyof typeof STAT_NAMES;
      out.push(`cpu${c} ${STAT_NAMES[f]} ${before.stats[c]![f]}  =>  ${after.stats[c]![f]}`);
    }
  }
  return out;
}
