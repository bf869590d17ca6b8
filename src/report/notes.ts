/**
 * A step's note in words: the kernel's steps return what happened as data (kernel/note.ts), and this is the one
 * place that words it, for every renderer (text, swimlanes, Mermaid, HTML, JSON). A user's step may return its own
 * one-line words, which are given as they are.
 */
import type { TraceStep } from "../app/trace.js";
import type { Note, PortChoice, StepNote } from "../kernel/note.js";
import { formatTuple } from "../kernel/net/tuple.js";
import { formatMs } from "../kernel/functions/time.js";
import { formatHostPort, type Scenario } from "../scenario/scenario.js";
import { wordChanges } from "./changes.js";
import { wordExplanation, type WordedExplanation } from "./explanation.js";

/** Packet `p`'s entry's owner, as traces name it. */
const name = (sc: Scenario, p: number): string => sc.packets[p]!.name;

/** Entries by their owners' names: "A's, B's". */
const names = (sc: Scenario, ids: readonly number[]): string => ids.map((id) => `${name(sc, id)}'s`).join(", ");

/** A stage of a helper's unregistration (kernel/functions/nf_ct_iterate.ts), and the entries it marked. */
function helperStage(sc: Scenario, stage: string, entries: readonly number[]): string {
  const which = entries.length ? names(sc, entries) : "none";
  switch (stage) {
    case "unconfirmed-destroy":
      return `helper${sc.helper ? ` ${sc.helper}` : ""} unregistered: nf_ct_iterate_destroy marks the unconfirmed entries DYING (${which})`;
    case "synchronize_net":
      return "synchronize_net: no packet is in its softirq pass any more";
    case "bump-genid":
      return `nf_ct_ext_bump_genid: the unconfirmed entries' extensions are now stale (${which})`;
    default:
      return `nf_ct_iterate_cleanup with unhelp: the linked entries drop their helper`;
  }
}

/** A stage of a timeout policy's removal (kernel/functions/nf_ct_iterate.ts). */
function timeoutStage(sc: Scenario, stage: string, entries: readonly number[], freed: boolean): string {
  const policy = `timeout policy ${sc.timeoutPolicy ?? ""}`;
  if (stage === "rule-removed") return `the rule that attaches ${policy} is removed: new entries no longer get it`;
  const which = `${names(sc, entries)} ${entries.length === 1 ? "entry" : "entries"}`;
  if (stage === "untimeout") return `nf_ct_untimeout walks the table: ${entries.length ? `it clears the pointer of ${which}` : "no linked entry points at it"}; unconfirmed entries are in no bucket`;
  if (!freed) return `${policy} is deleted and detached; ${which} still ${entries.length === 1 ? "holds a reference" : "hold references"}, so it lives until ${entries.length === 1 ? "that entry is" : "they are"} freed`;
  return entries.length ? `${policy} is freed while ${which} still ${entries.length === 1 ? "points" : "point"} at it` : `${policy} is freed`;
}

/** How get_unique_tuple chose the tuple, as the SNAT note gives it; an ICMP flow's key is its echo id, a generic
 * flow has none (kernel/net/proto.ts). */
function portChoice(how: PortChoice, sc: Scenario): string {
  const key = sc.protocol === "icmp" ? "echo id" : sc.protocol === "gre" ? "key" : "port";
  const own = sc.protocol === "icmp" ? "echo id" : sc.protocol === "gre" ? "key" : sc.protocol === "generic" ? "tuple" : "source port";
  switch (how.why) {
    case "free":
      return `tuple free: keeps its ${own}`;
    case "reuse":
      return "reuses the mapping of an entry with the same source (find_appropriate_src)";
    case "keeps-dport":
      return sc.protocol === "udp" || sc.protocol === "tcp" ? "keeps its destination port" : `keeps its ${own}`;
    case "random":
      return `--random-fully: search from random offset ${how.offset} picks ${how.port}`;
    case "taken":
      return `REPLY tuple taken by ${name(sc, how.by)}'s confirmed entry: ${key} search picks ${how.port}`;
    case "out-of-range":
      return `${key} out of range: ${key} search picks ${how.port}`;
    case "free-new":
      return `REPLY tuple held by ${name(sc, how.by)}'s entry, but nf_nat_used_tuple_new calls it free (no clash it must avoid): keeps its ${own}`;
    case "not-remapped":
      return `tuple taken, but a ${sc.protocol} flow's tuple is not remapped (nf_nat_l4proto_unique_tuple returns): kept`;
    case "given":
      return `get_unique_tuple gives ${own} ${how.port}`;
    default: {
      const never: never = how;
      throw new Error(`unknown port choice ${JSON.stringify(never)}`);
    }
  }
}

/** A step's note in one line ("" for none). */
export function wordNote(note: StepNote, sc: Scenario): string {
  if (typeof note === "string") return note;
  return wordKind(note, sc);
}

/** `; <the tracker's note>` when the tracker said something. */
const tracked = (n: { readonly tracker?: StepNote }, sc: Scenario): string => (n.tracker ? `; ${wordNote(n.tracker, sc)}` : "");

/** The unlink a lookup owed before its walk, as a prefix. */
const reapedFirst = (n: { readonly reaped?: number }, sc: Scenario): string =>
  n.reaped !== undefined ? `nf_ct_delete_from_lists: ${name(sc, n.reaped)}'s expired entry unlinked; ` : "";

/** " (slot now X's entry)" when the slot a walker reached at `saw`'s node holds another entry, `now`. */
const slotNow = (sc: Scenario, now: number, saw: number): string => (now >= 0 && now !== saw ? ` (slot now ${name(sc, now)}'s entry)` : "");

const CRASH_UNLINK = "which is not linked: hlist_nulls_del_rcu follows a pprev that is no list link: CRASH";
const STILL_LINKED = "still linked until the bucket locks are taken";

function wordKind(n: Note, sc: Scenario): string {
  const fmt = (t: Parameters<typeof formatTuple>[0]): string => formatTuple(t, sc.addrs);
  // A switch with a `never` default: the compiler refuses a kind left unworded.
  switch (n.kind) {
    case "hit":
      return `${reapedFirst(n, sc)}hit: ${name(sc, n.id)}'s entry (${n.dir}); packet accepted${tracked(n, sc)}`;
    case "miss":
      return `${reapedFirst(n, sc)}miss`;
    case "expired-kill":
      return `${reapedFirst(n, sc)}${name(sc, n.id)}'s entry expired: nf_ct_gc_expired -> nf_ct_kill sets DYING, ${STILL_LINKED}`;
    case "notrack":
      return "raw table NOTRACK: untracked, no conntrack entry";
    case "walk-reaches":
      return `the walk reaches ${name(sc, n.id)}'s ${n.dir} node (slot ${n.slot}), no reference taken yet`;
    case "walk-unlinked":
      return `nf_ct_delete_from_lists: ${name(sc, n.id)}'s entry unlinked; the walk goes on`;
    case "walk-restart":
      return `the key changed${n.now >= 0 ? ` (slot now ${name(sc, n.now)}'s entry)` : ""}: put: the lookup walks again (goto begin)`;
    case "lockless-miss":
      switch (n.reason) {
        case "freed":
          return "refcount_inc_not_zero fails (freed): miss";
        case "dying":
          return `${name(sc, n.id)}'s entry is DYING: put: miss`;
        case "key-changed":
          return `the key changed${n.now >= 0 ? ` (slot now ${name(sc, n.now)}'s entry)` : ""}: put: miss`;
        default: {
          const never: never = n;
          throw new Error(`unknown lockless miss ${JSON.stringify(never)}`);
        }
      }
    case "unlink-crash":
      return `nf_ct_delete_from_lists on ${name(sc, n.id)}'s entry, ${CRASH_UNLINK}`;
    case "new-entry": {
      if (n.evicted.length > 0) {
        return `table full (nf_conntrack_max ${n.max}): early_drop evicted ${n.evicted.map((id) => `${name(sc, id)}'s`).join(" and ")} entry; new unconfirmed entry${tracked(n, sc)}`;
      }
      const s = n.slot;
      const slab = !s ? "" : s.reused ? ` in slot ${s.slot}, the memory of ${s.was >= 0 ? `${name(sc, s.was)}'s freed entry` : "a freed entry"}` : ` in a new slot ${s.slot}`;
      return `new unconfirmed entry${slab}${tracked(n, sc)}`;
    }
    case "table-full":
      return `table full (nf_conntrack_max ${n.max}): early_drop evicted nothing: NF_DROP`;
    case "dnat": {
      const ep = sc.dnat!.endpoints[n.endpoint]!;
      // After a rule change, the endpoint's place in the rule's set in force (Dnat.sets), not in every endpoint it had.
      const nth = n.set !== undefined ? sc.dnat!.sets[n.set]!.indexOf(n.endpoint) : n.endpoint;
      return `DNAT to ${formatHostPort(ep, sc.addrs)}${n.random && n.of > 1 ? ` (endpoint ${nth + 1} of ${n.of}, random)` : ""}`;
    }
    case "dnat-null":
      return "no DNAT rule: null binding";
    case "snat":
      return `${n.masquerade ? "MASQUERADE" : "null binding"}: ${portChoice(n.how, sc)}`;
    case "inserted":
      return "no clash: entry inserted, CONFIRMED";
    case "clash": {
      const found = `clash with ${name(sc, n.winner)}'s entry (${n.dir})`;
      const r = n.outcome;
      switch (r.kind) {
        case "merge":
          return `${found}: resolved, packet continues with ${name(sc, r.into)}'s entry`;
        case "insert":
          return `${found}: inserted as NAT_CLASH entry (REPLY node only)`;
        case "drop":
          return `${found}: NF_DROP`;
        default: {
          const never: never = r;
          throw new Error(`unknown resolution ${JSON.stringify(never)}`);
        }
      }
    }
    case "locks":
      return n.confirmedEarly ? "both bucket locks taken; IPS_CONFIRMED set before the checks (1397af5bfd7d)" : "both bucket locks taken";
    case "own-dying":
      return n.dying ? "its own entry is DYING: insert_failed, NF_DROP (not inserted); locks released" : "its own entry is not DYING: on to the chain walks";
    case "chaintoolong":
      return `the ORIGINAL chain holds more than max_chainlen + 1 (${n.limit}) other nodes: chaintoolong, NF_DROP`;
    case "reply-untracked":
      return `untracked reply ${fmt(n.tuple)} delivered`;
    case "reply-unanswered":
      return `the query left for ${fmt(n.to)} without DNAT: the service address is virtual, nobody answers`;
    case "reply-delivered":
      return `reply ${fmt(n.sent)} matches ${name(sc, n.id)}'s entry (${n.dir}) -> ${fmt(n.delivered)}: delivered${tracked(n, sc)}`;
    case "reply-misrouted":
      return `reply ${fmt(n.sent)} matches ${name(sc, n.id)}'s entry (${n.dir}) -> ${fmt(n.delivered)}: misrouted (the client expects ${fmt(n.expected)})${tracked(n, sc)}`;
    case "reply-lost":
      return `reply ${fmt(n.sent)}: no entry matches, not translated back: lost`;
    case "reply-evicted":
      return `reply ${fmt(n.sent)}: no entry matches (early drop evicted ${name(sc, n.id)}'s), not translated back: lost`;
    case "reply-expired":
      return `reply ${fmt(n.sent)}: no entry matches (${name(sc, n.id)}'s timed out at ${formatMs(n.at)}), not translated back: lost`;
    case "nat-clash-kill":
      return "nf_conntrack_udp_refresh_unreplied: first reply of a NAT_CLASH entry, nf_ct_kill deletes it";
    case "delete-mark":
      return `test_and_set_bit(IPS_DYING_BIT) on ${name(sc, n.id)}'s entry: ${STILL_LINKED}`;
    case "delete-unlink":
    case "reap-unlink":
      return `nf_ct_delete_from_lists: ${name(sc, n.id)}'s entry unlinked`;
    case "rules": {
      const eps = sc.dnat!.sets[n.set]!.map((e) => formatHostPort(sc.dnat!.endpoints[e]!, sc.addrs));
      return eps.length ? `the ruleset is swapped: the DNAT rule's endpoints are now ${eps.join(", ")}` : "the ruleset is swapped: the DNAT rule has no endpoints (packets to the service get the null binding)";
    }
    case "dump": {
      const hidden = n.hidden.length ? `; not listed (linked by their REPLY node only): ${names(sc, n.hidden)}` : "";
      return `the dump lists the linked entries (ORIGINAL nodes) that pass the filter: ${n.listed.length ? names(sc, n.listed) : "none"}${hidden}; unconfirmed entries are in no bucket`;
    }
    case "flush-walk": {
      const missed = n.missed.length ? `; not reached (linked by their REPLY node only, which get_next_corpse passes over): ${names(sc, n.missed)}` : "";
      const marked = n.unconfirmed.length ? `; the unconfirmed lists' entries marked DYING: ${names(sc, n.unconfirmed)}` : "";
      return `the walk of the buckets will delete ${n.reached.length ? names(sc, n.reached) : "nothing"}${missed}${marked}`;
    }
    case "delete-enoent":
      return `the delete for ${name(sc, n.id)}'s entry finds nothing to delete (ENOENT)`;
    case "helper-removal":
      return helperStage(sc, n.stage, n.entries);
    case "timeout-removal":
      return timeoutStage(sc, n.stage, n.entries, n.freed);
    case "genid-drop":
      return "nf_ct_ext_valid_pre: its extensions carry an older genid (a helper was removed since init_conntrack): insert_failed, NF_DROP";
    case "timer-fired":
      return `timer fired for ${name(sc, n.id)}'s entry: nf_ct_delete sets DYING, ${STILL_LINKED}`;
    case "gc-left":
      return `${name(sc, n.id)}'s entry expired, but nf_ct_should_gc no longer holds: left alone`;
    case "gc-walk-reaches":
      return `the walk reaches ${name(sc, n.id)}'s node (slot ${n.slot}), expired; no reference taken yet`;
    case "no-longer-expired":
      return `entry no longer expired${slotNow(sc, n.now, n.saw)}: the walk goes on`;
    case "expired-freed":
      return `${name(sc, n.saw)}'s entry read expired, but its memory is free: refcount_inc_not_zero fails, the walk goes on`;
    case "should-gc-first": {
      const first = n.confirmedFirst ? "CONFIRMED" : "expired";
      const read = `entry read expired${slotNow(sc, n.id, n.saw)}: nf_ct_gc_expired takes a reference`;
      return n.holds ? `${read} on ${name(sc, n.id)}'s entry; nf_ct_should_gc reads it ${first}` : `${read}; nf_ct_should_gc reads it not ${first}: put, the walk goes on`;
    }
    case "should-gc-rest": {
      const what = n.confirmedFirst ? "expired and not DYING" : "CONFIRMED and not DYING";
      return n.holds
        ? `nf_ct_should_gc reads ${name(sc, n.id)}'s entry ${what}: nf_ct_kill sets DYING, the unlink waits for its bucket locks`
        : `nf_ct_should_gc reads ${name(sc, n.id)}'s entry: not ${what}: put, the walk goes on`;
    }
    case "gc-patched":
      return n.killed
        ? `the patched nf_ct_gc_expired kills ${name(sc, n.id)}'s entry: DYING, the unlink waits for its bucket locks`
        : `the patched nf_ct_gc_expired leaves ${name(sc, n.id)}'s entry: put, the walk goes on`;
    case "tick":
      return `the clock reads ${formatMs(n.now)}`;
    case "confirm-test":
      if (n.id < 0) return "the skb has no entry (reset): nothing to confirm, the packet goes on";
      return n.confirmed
        ? `${name(sc, n.id)}'s entry is CONFIRMED already: no __nf_conntrack_confirm, the packet goes on`
        : `${name(sc, n.id)}'s entry is not CONFIRMED: __nf_conntrack_confirm next (another skb of the entry can come between)`;
    case "confirmed-clone":
      return `the bucket locks taken, ${name(sc, n.id)}'s entry is CONFIRMED: another skb sharing it won the race: WARN_ON_ONCE, NF_DROP`;
    case "enqueue": {
      const seg = n.segmented ? "segmented (the queue lacks F_GSO), " : "";
      const q = n.queued.length ? `queued: ${n.queued.map((id) => name(sc, id)).join(", ")}` : "";
      const d = n.dropped.length ? `dropped, their unconfirmed entry having more than one reference: ${n.dropped.map((id) => name(sc, id)).join(", ")}` : "";
      const leave = n.queued.length ? "; the queued leave softirq with their entry" : "";
      return `NF_QUEUE: ${seg}${[q, d].filter(Boolean).join("; ")}${leave}`;
    }
    case "reinject": {
      if (n.verdict === "drop") return "the program's verdict: NF_DROP (its own decision)";
      if (n.shared) return "the program's verdict: NF_ACCEPT; a later segment whose entry is still unconfirmed and shared: dropped";
      const u = n.update !== undefined && n.update !== "" ? `; ${wordNote(n.update, sc)}` : "";
      const t = n.timeout !== undefined ? ` with a timeout of ${formatMs(n.timeout)} (NFQA_CT: ctnetlink_change_timeout)` : "";
      return `the program's verdict: NF_ACCEPT${t}, nf_reinject resumes the hooks after the queue${u}`;
    }
    case "update":
      if (n.found < 0) return "nf_conntrack_update: the packet's tuple before NAT finds no entry";
      return `nf_conntrack_update: the packet's tuple before NAT finds ${name(sc, n.found)}'s entry: the packet drops its own, takes that one and is rewritten with its NAT${n.misrouted ? "; its route was chosen for its own endpoint and stays (POSTROUTING): it leaves the wrong way" : ""}`;
    case "forward":
      return `the bridge forwards the frame out of its ports: copies ${n.clones.map((id) => name(sc, id)).join(", ")}, each sent on its own CPU`;
    case "pass-up": {
      const made = n.clones.length ? `copied after the bridge's LOCAL_IN for a macvlan's broadcast worker: ${n.clones.map((id) => name(sc, id)).join(", ")}` : "no copies made";
      const hook = n.hook !== undefined && n.hook !== "" ? `; ${wordNote(n.hook, sc)}` : "; no br_nf_local_in (before v6.8)";
      return `the frame goes up through br0; ${made}${hook}`;
    }
    case "local-in": {
      if (n.did === "confirmed-already") return "br_nf_local_in: the entry is confirmed already";
      if (n.did === "reset-promisc") return "br_nf_local_in: a frame up only because br0 is promiscuous: nf_reset_ct, no confirm";
      if (n.did === "reset-shared") return "br_nf_local_in: the unconfirmed entry has more than one reference: WARN_ON_ONCE, nf_reset_ct";
      const c = n.confirm !== undefined ? wordNote(n.confirm, sc) : "";
      const after = n.warn ? "; after it, the entry read before is not CONFIRMED: WARN_ON_ONCE" : n.stale ? "; after it, the entry read before (released by the merge) is read CONFIRMED" : "";
      const before = n.shared ? "another skb still points at the unconfirmed entry: WARN_ON_ONCE; " : "";
      return `br_nf_local_in confirms ${name(sc, n.id)}'s entry before the frame goes up: ${before}${c}${after}`;
    }
    case "chose":
      return `${wordNote(n.note, sc)} (patch chose ${n.picks.map((x, i) => `${x + 1} of ${n.of[i]}`).join(", ")})`;
    default: {
      const never: never = n;
      throw new Error(`unknown note ${JSON.stringify(never)}`);
    }
  }
}

/** A trace step in words: what the JSON outputs carry (a string "note", "changes" as lines, the explanation's "text"). */
export type WordedStep = Omit<TraceStep, "note" | "changes" | "explanation"> & {
  readonly note: string;
  readonly changes: readonly string[];
  readonly explanation: WordedExplanation | null;
};

/** `steps` with their notes, changes and explanations worded, every other field as it is and in its place (the JSON outputs' steps). */
export function wordSteps(steps: readonly TraceStep[], sc: Scenario): WordedStep[] {
  return steps.map((s) => ({ ...s, note: wordNote(s.note, sc), changes: wordChanges(s.changes, sc), explanation: s.explanation ? wordExplanation(s.explanation, sc) : null }));
}
