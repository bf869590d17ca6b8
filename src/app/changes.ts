/**
 * What one step changed, as data (report/changes.ts words it). The step is run again under
 * immer's produceWithPatches, so the diff is exactly what the step wrote; the
 * patches say which fields changed, and the old and new states give the values.
 */
import { Immer, current, enablePatches, isDraft, type Patch as ImmerPatch } from "immer";
import { IPS, type Conn } from "../kernel/net/conn.js";
import { refcount } from "../kernel/functions/recycle.js";
import type { ConntrackModel } from "../model/model.js";
import type { KState } from "../kernel/net/state.js";
import type { Fate } from "../kernel/net/state.js";
import type { Tuple } from "../kernel/net/tuple.js";
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

/** A per-CPU counter a step may change (KState.stats' fields). */
export type StatName = "insertFailed" | "drop" | "clashResolve" | "earlyDrop" | "chainTooLong";

/** One thing a step changed, as data (report/changes.ts words it): packets and entries by index (an entry is named
 * by the packet that allocated it), tuples, times in ms, status bits. */
export type Change =
  /** Packet `packet` got a new, unconfirmed entry with these tuples. */
  | { readonly kind: "ct-new"; readonly packet: number; readonly orig: Tuple; readonly reply: Tuple }
  /** A timed scenario: the new entry's timeout (`confirmed` false: a duration from confirm) and stream_ts (0: none). */
  | { readonly kind: "ct-new-timeout"; readonly packet: number; readonly timeout: number; readonly confirmed: boolean; readonly streamTs: number }
  /** ct->timeout, with whether the entry was CONFIRMED before and after (unconfirmed: a duration from confirm). */
  | { readonly kind: "ct-timeout"; readonly packet: number; readonly from: number; readonly fromConfirmed: boolean; readonly to: number; readonly toConfirmed: boolean }
  | { readonly kind: "ct-stream-ts"; readonly packet: number; readonly from: number; readonly to: number }
  /** A tuple of the entry changed (NAT). */
  | { readonly kind: "ct-tuple"; readonly packet: number; readonly dir: "ORIGINAL" | "REPLY"; readonly from: Tuple; readonly to: Tuple }
  /** Status bits set (`added`) and cleared (`removed`). */
  | { readonly kind: "ct-status"; readonly packet: number; readonly added: number; readonly removed: number }
  | { readonly kind: "fate"; readonly packet: number; readonly fate: Fate }
  /** The packet goes on with entry `uses` (another packet's). */
  | { readonly kind: "uses"; readonly packet: number; readonly uses: number; readonly made?: boolean }
  /** The packet's entry was freed; with recycled entries (`refs` not null), a reference put, `refs` left. */
  | { readonly kind: "freed"; readonly packet: number; readonly refs: number | null }
  | { readonly kind: "reaped"; readonly packet: number }
  | { readonly kind: "table-add"; readonly id: number; readonly replyOnly: boolean }
  | { readonly kind: "table-remove"; readonly id: number }
  | { readonly kind: "bysource-add"; readonly id: number }
  | { readonly kind: "bysource-remove"; readonly id: number }
  | { readonly kind: "clock"; readonly from: number; readonly to: number }
  | { readonly kind: "rover"; readonly from: number; readonly to: number }
  | { readonly kind: "stat"; readonly cpu: number; readonly stat: StatName; readonly from: number; readonly to: number };

/** The changes between `before` and `after`, for the fields the patches touched, as data. */
export function describeChanges(model: ConntrackModel, before: KState, after: KState, patches: readonly ImmerPatch[]): Change[] {
  const sc = model.ctx.sc;
  const keys = new Set(patches.map((p) => p.path.slice(0, p.path[0] === "pkts" ? (p.path[2] === "ct" ? 4 : 3) : p.path[0] === "stats" ? 3 : 1).join(".")));
  const out: Change[] = [];
  // Packets first, then the shared table, NAT's bysource chain, the rover, counters.
  const rank = (k: string): number => ["now", "pkts", "table", "bysource", "rover", "stats", "gc"].indexOf(k.split(".")[0]!);
  const confirmed = (c: Conn): boolean => (c.status & IPS.CONFIRMED) !== 0;
  for (const key of [...keys].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))) {
    const path = key.split(".");
    if (path[0] === "pkts") {
      const i = Number(path[1]);
      const b = before.pkts[i]!;
      const n = after.pkts[i]!;
      switch (path[2]) {
        case "ct":
          if (path.length === 3 || !b.ct) {
            out.push({ kind: "ct-new", packet: i, orig: n.ct!.orig, reply: n.ct!.reply });
            if (sc.timed && n.ct) out.push({ kind: "ct-new-timeout", packet: i, timeout: n.ct.timeout, confirmed: confirmed(n.ct), streamTs: n.ct.streamTs });
          } else if (path[3] === "timeout") out.push({ kind: "ct-timeout", packet: i, from: b.ct.timeout, fromConfirmed: confirmed(b.ct), to: n.ct!.timeout, toConfirmed: confirmed(n.ct!) });
          else if (path[3] === "streamTs") out.push({ kind: "ct-stream-ts", packet: i, from: b.ct.streamTs, to: n.ct!.streamTs });
          else if (path[3] === "reply") out.push({ kind: "ct-tuple", packet: i, dir: "REPLY", from: b.ct.reply, to: n.ct!.reply });
          else if (path[3] === "orig") out.push({ kind: "ct-tuple", packet: i, dir: "ORIGINAL", from: b.ct.orig, to: n.ct!.orig });
          else if (path[3] === "status") out.push({ kind: "ct-status", packet: i, added: n.ct!.status & ~b.ct.status, removed: b.ct.status & ~n.ct!.status });
          break;
        case "fate":
          out.push({ kind: "fate", packet: i, fate: n.fate });
          break;
        case "uses":
          // A copy (a segment, a clone) is made pointing at its packet's entry.
          if (n.uses !== i) out.push({ kind: "uses", packet: i, uses: n.uses, ...(b.uses < 0 && sc.packets[i]!.cloneOf !== undefined ? { made: true } : {}) });
          break;
        case "freed":
          // With recycled entries a reference may outlive the packet's: the entry is freed only at none.
          if (n.freed) out.push({ kind: "freed", packet: i, refs: sc.recycle ? refcount(after, i) : null });
          break;
        case "expired":
          if (n.expired) out.push({ kind: "reaped", packet: i });
          break;
        default:
          break; // pc and clashWith: the step and its note say it
      }
    } else if (path[0] === "table") {
      for (const id of after.table) if (!before.table.includes(id)) out.push({ kind: "table-add", id, replyOnly: after.pkts[id]!.replyOnly });
      for (const id of before.table) if (!after.table.includes(id)) out.push({ kind: "table-remove", id });
    } else if (path[0] === "bysource") {
      for (const id of after.bysource) if (!before.bysource.includes(id)) out.push({ kind: "bysource-add", id });
      for (const id of before.bysource) if (!after.bysource.includes(id)) out.push({ kind: "bysource-remove", id });
    } else if (path[0] === "now") {
      out.push({ kind: "clock", from: before.now, to: after.now });
    } else if (path[0] === "rover") {
      out.push({ kind: "rover", from: before.rover, to: after.rover });
    } else if (path[0] === "stats") {
      const c = Number(path[1]);
      const f = path[2] as StatName;
      out.push({ kind: "stat", cpu: c, stat: f, from: before.stats[c]![f], to: after.stats[c]![f] });
    }
  }
  return out;
}
