/**
 * What a step changed, in words: app/changes.ts returns the changes as data (Change), and this is the one place
 * that words them, for every renderer (text, swimlanes, Mermaid, HTML, JSON).
 */
import type { Change, StatName } from "../app/changes.js";
import { statusNames } from "../kernel/net/conn.js";
import { Fate } from "../kernel/net/state.js";
import { formatTuple, type Tuple } from "../kernel/net/tuple.js";
import { formatMs } from "../kernel/functions/time.js";
import type { Scenario } from "../scenario/scenario.js";

const STAT_NAMES: Record<StatName, string> = { insertFailed: "insert_failed", drop: "drop", clashResolve: "clash_resolve", earlyDrop: "early_drop", chainTooLong: "chaintoolong" };

/** ct->timeout is a duration until confirm adds the clock, a time after. */
const timeout = (ms: number, confirmed: boolean): string => `${formatMs(ms)}${confirmed ? "" : " from confirm"}`;

/** A change in one line, as traces print it. */
export function wordChange(c: Change, sc: Scenario): string {
  const name = (p: number): string => sc.packets[p]!.name;
  const fmt = (t: Tuple): string => formatTuple(t, sc.addrs);
  switch (c.kind) {
    case "ct-new":
      return `${name(c.packet)}.ct = ORIGINAL ${fmt(c.orig)}, REPLY ${fmt(c.reply)} (unconfirmed)`;
    case "ct-new-timeout":
      return `${name(c.packet)}.ct timeout ${timeout(c.timeout, c.confirmed)}${c.streamTs ? `, stream_ts ${formatMs(c.streamTs)}` : ""}`;
    case "ct-timeout":
      return `${name(c.packet)}.ct timeout ${timeout(c.from, c.fromConfirmed)}  =>  ${timeout(c.to, c.toConfirmed)}`;
    case "ct-stream-ts":
      return `${name(c.packet)}.ct stream_ts ${formatMs(c.from)}  =>  ${formatMs(c.to)}`;
    case "ct-tuple":
      return `${name(c.packet)}.ct ${c.dir} ${fmt(c.from)}  =>  ${fmt(c.to)}`;
    case "ct-status":
      return `${name(c.packet)}.ct status ${[...statusNames(c.added).map((s) => `+${s}`), ...statusNames(c.removed).map((s) => `-${s}`)].join(" ")}`;
    case "fate":
      return `${name(c.packet)} ${c.fate === Fate.DROPPED ? "DROPPED" : c.fate === Fate.ACCEPTED ? "accepted" : "pending"}`;
    case "uses":
      return c.made ? `${name(c.packet)} made, pointing at ${name(c.uses)}'s entry` : `${name(c.packet)} continues with ${name(c.uses)}'s entry`;
    case "freed":
      return c.refs !== null ? `${name(c.packet)} puts its entry (references left: ${c.refs})` : `${name(c.packet)}'s entry freed`;
    case "reaped":
      return `${name(c.packet)}'s entry reaped: it had timed out`;
    case "table-add":
      return `hash table += ${name(c.id)}'s entry (${c.replyOnly ? "REPLY node only" : "ORIGINAL and REPLY nodes"})`;
    case "table-remove":
      return `hash table -= ${name(c.id)}'s entry`;
    case "bysource-add":
      return `nf_nat_bysource += ${name(c.id)}'s entry`;
    case "bysource-remove":
      return `nf_nat_bysource -= ${name(c.id)}'s entry`;
    case "clock":
      return `clock ${formatMs(c.from)}  =>  ${formatMs(c.to)}`;
    case "rover":
      return `udp port rover ${c.from}  =>  ${c.to}`;
    case "stat":
      return `cpu${c.cpu} ${STAT_NAMES[c.stat]} ${c.from}  =>  ${c.to}`;
    default: {
      const never: never = c;
      throw new Error(`unknown change ${JSON.stringify(never)}`);
    }
  }
}

/** A step's changes, each in one line. */
export function wordChanges(changes: readonly Change[], sc: Scenario): string[] {
  return changes.map((c) => wordChange(c, sc));
}
