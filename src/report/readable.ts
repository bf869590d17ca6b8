/** A model state in plain, named values: for JSON and ITF traces. */
import { statusNames, type Conn } from "../kernel/net/conn.js";
import type { ConntrackModel } from "../model/model.js";
import { stepFunction } from "../model/model.js";
import { Fate, Pc, Reply, type KState } from "../kernel/net/state.js";
import { crashClasses, refcount } from "../kernel/functions/recycle.js";

const REPLY_NAMES: Record<Reply, string> = {
  [Reply.NONE]: "none",
  [Reply.PENDING]: "pending",
  [Reply.DELIVERED]: "delivered",
  [Reply.LOST]: "lost",
  [Reply.MISROUTED]: "misrouted",
  [Reply.UNANSWERED]: "unanswered",
  [Reply.EVICTED]: "evicted",
  [Reply.EXPIRED]: "expired",
};
import type { Tuple } from "../kernel/net/tuple.js";

export interface ReadableTuple {
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

export interface ReadableConn {
  orig: ReadableTuple;
  reply: ReadableTuple;
  status: string[];
}

export interface ReadablePacket {
  cpu: number;
  /** The next step it will take, or "done". */
  next: string;
  fate: "pending" | "accepted" | "dropped";
  ct: ReadableConn | null;
  freed: boolean;
  /** Whose entry the packet continues with ("" for none). */
  uses: string;
  /** Whose entry confirm's clash check found ("" for none). */
  clashWith: string;
  /** What became of its answer (a scenario with replies). */
  reply?: string;
  /** Its entry's ct->timeout in ms (a duration until confirmed) and stream_ts; whether a reaper deleted it as expired (time). */
  timeout?: number;
  streamTs?: number;
  expired?: boolean;
  /** Recycled memory: its entry's slot and references, and whether its confirm holds the bucket locks. */
  slot?: number;
  refs?: number;
  locked?: boolean;
}

export interface ReadableState {
  packets: Record<string, ReadablePacket>;
  table: string[];
  bysource: string[];
  rover: number;
  /** early_drop only for a scenario with conntrack-max. */
  stats: Record<string, { insert_failed: number; drop: number; clash_resolve: number; early_drop?: number; chaintoolong?: number }>;
  /** The clock (ms), a scenario with time. */
  now?: number;
  /** What the kernel did wrong so far (recycled memory): the no-crash and no-lost-entry classes. */
  crash?: string[];
}

export function readableState(model: ConntrackModel, s: KState): ReadableState {
  const sc = model.ctx.sc;
  const name = (id: number): string => (id >= 0 ? sc.packets[id]!.name : "");
  const tup = (t: Tuple): ReadableTuple => ({ src: sc.addrs[t.src]!, sport: t.sport, dst: sc.addrs[t.dst]!, dport: t.dport });
  const conn = (c: Conn): ReadableConn => ({ orig: tup(c.orig), reply: tup(c.reply), status: statusNames(c.status) });
  const packets: Record<string, ReadablePacket> = {};
  s.pkts.forEach((p, i) => {
    packets[name(i)] = {
      cpu: sc.packets[i]!.cpu,
      next: p.pc === Pc.DONE ? "done" : stepFunction(p.pc),
      fate: p.fate === Fate.DROPPED ? "dropped" : p.fate === Fate.ACCEPTED ? "accepted" : "pending",
      ct: p.ct ? conn(p.ct) : null,
      freed: p.freed,
      uses: name(p.uses),
      clashWith: name(p.clashWith),
      ...(sc.replies ? { reply: REPLY_NAMES[p.reply] } : {}),
      ...(sc.timed ? { timeout: p.ct?.timeout ?? 0, streamTs: p.ct?.streamTs ?? 0, expired: p.expired } : {}),
      ...(sc.recycle ? { slot: p.slot, refs: p.ct ? refcount(s, i) : 0, locked: p.locked } : {}),
    };
  });
  const stats: ReadableState["stats"] = {};
  s.stats.forEach((c, i) => {
    stats[`cpu${i}`] = { insert_failed: c.insertFailed, drop: c.drop, clash_resolve: c.clashResolve, ...(sc.conntrackMax > 0 ? { early_drop: c.earlyDrop } : {}), ...(sc.chains ? { chaintoolong: c.chainTooLong } : {}) };
  });
  return {
    packets,
    table: s.table.map(name),
    bysource: s.bysource.map(name),
    rover: s.rover,
    stats,
    ...(sc.timed ? { now: s.now } : {}),
    ...(sc.recycle ? { crash: crashClasses(s.crash) } : {}),
  };
}
