/**
 * Why a counterexample violates its property, in words: app/explain.ts finds the decisive step and its cause and
 * returns what it found as data (Why), and this is the one place that words it, for every renderer (check's and
 * review's "why:", swimlanes, Mermaid, HTML, JSON).
 */
import type { EntryRef, Explanation, StepRef, Why } from "../app/explain.js";
import { formatTuple, type Tuple } from "../kernel/net/tuple.js";
import { formatMs } from "../kernel/functions/time.js";
import type { Scenario } from "../scenario/scenario.js";

/** An explanation with its sentences in words: what the JSON outputs carry (a string "text", where `why` was). */
export type WordedExplanation = Omit<Explanation, "why"> & { readonly text: string };

/** The sentences of `why`, in scenario `sc`. */
export function wordWhy(why: Why, sc: Scenario): string {
  const name = (p: number): string => sc.packets[p]!.name;
  const fmt = (t: Tuple): string => formatTuple(t, sc.addrs);
  // "step 6 (A's __nf_conntrack_confirm)", "step 8 (nf_ct_delete, conntrack -D)"
  const ref = (r: StepRef): string => {
    switch (r.by) {
      case "clock":
        return `step ${r.step} (the clock, to ${formatMs(r.now)})`;
      case "reaper":
        return `step ${r.step} (${r.function} on ${name(r.packet)}'s entry)`;
      case "delete":
        return `step ${r.step} (nf_ct_delete, conntrack -D)`;
      case "control":
        return `step ${r.step} (the control plane's ${r.function})`;
      case "packet":
        return `step ${r.step} (${name(r.packet)}'s ${r.function})`;
      default: {
        const never: never = r;
        throw new Error(`unknown step ${JSON.stringify(never)}`);
      }
    }
  };
  // An entry's REPLY source: where its flow's packets go.
  const formatHostPortOf = (t: Tuple): string => `${sc.addrs[t.src]}:${t.sport}`;
  const entry = (e: EntryRef): string => `${name(e.id)}'s ${e.natClash ? "NAT_CLASH " : ""}entry`;
  switch (why.kind) {
    case "no-entry":
      return `${name(why.packet)} was dropped at step ${why.step} (no-entry) before it had an entry: the scenario sets no conntrack-max, so a patch's step dropped it`;
    case "table-full":
      return `${name(why.packet)} was dropped at step ${why.step} (table-full): init_conntrack found ${why.max} entr${why.max === 1 ? "y" : "ies"} (nf_conntrack_max ${why.max}) and early_drop evicted nothing (the kernel's early_drop evicts only entries neither ASSURED nor DYING, and the chains it walked held none it could; an expired one it reaps on the way makes no room for this packet)`;
    case "dying-loser": {
      // A control plane's kill is a helper's removal marking the unconfirmed entries; any other, a reaper's.
      const who = why.kill?.by === "control" ? "nf_ct_iterate_destroy marks every unconfirmed entry DYING when a helper is removed" : "a reaper whose walk reached its recycled memory";
      const by = why.kill ? `, which ${ref(why.kill)} had killed (${who})` : "";
      return `${name(why.packet)} was dropped at step ${why.step} (${why.cls}) by __nf_conntrack_confirm's test of its own entry: DYING${by}; insert_failed, not inserted`;
    }
    case "stale-survivor": {
      const nat = why.nat ? ` at ${ref(why.nat)}` : "";
      return `${name(why.packet)}'s entry, NATed to ${formatHostPortOf(why.endpoint)}${nat}, was linked at step ${why.step}, after ${ref(why.dump)} had listed the table without it (unconfirmed, it was in no bucket): no delete saw it, and the flow's later packets go to the removed endpoint`;
    }
    case "genid-drop": {
      const by = why.bump ? `before ${ref(why.bump)} bumped the genid` : "before a helper's removal bumped the genid";
      return `${name(why.packet)} was dropped at step ${why.step} (genid-drop) by __nf_conntrack_confirm's nf_ct_ext_valid_pre: its extensions were stamped ${by} (c56716c69ce1); insert_failed, not inserted`;
    }
    case "skb-drop": {
      const how =
        why.cls === "queued-shared"
          ? "nfqnl_enqueue_packet refused its unconfirmed entry, which had more than one reference (7d8dc1c7be8d: the segments of one packet share it, and the aggregate still held one)"
          : why.cls === "reinjected-shared"
            ? "nf_reinject refused a later segment whose entry was still unconfirmed and shared with a segment still queued (207b3ebacb61)"
            : `__nf_conntrack_confirm found ${name(why.entry)}'s entry CONFIRMED${why.linked ? ` by ${ref(why.linked)}` : ""}, another skb sharing it, once it held the locks: WARN_ON_ONCE`;
      return `${name(why.packet)} was dropped at step ${why.step} (${why.cls}): ${how}`;
    }
    case "warn": {
      const what =
        why.cls === "confirmed-clone-warn"
          ? `__nf_conntrack_confirm found ${name(why.entry)}'s entry CONFIRMED${why.linked ? ` by ${ref(why.linked)}` : ""} once it held the locks: another skb sharing the entry passed nf_conntrack_confirm's test with it and won`
          : why.cls === "local-in-shared-warn"
            ? `br_nf_local_in met ${name(why.entry)}'s unconfirmed entry with more than one reference, and reset the frame's entry`
            : `br_nf_local_in's confirm merged the frame into the entry linked${why.linked ? ` at ${ref(why.linked)}` : " before"}, and its check read ${name(why.entry)}'s entry, the released loser, not CONFIRMED`;
      return `a WARN_ON fired at step ${why.step} (${why.cls}): ${what}${why.dropped ? "; the packet is dropped" : ""}`;
    }
    case "stale-ct": {
      const who = why.cls === "confirm-events" ? "nf_conntrack_confirm delivered its cached events on" : "br_nf_local_in read the CONFIRMED bit of";
      return `at step ${why.step} ${who} ${name(why.entry)}'s entry as read before confirm, which the merge into ${name(why.into)}'s entry${why.linked ? ` (linked at ${ref(why.linked)})` : ""} had released (${why.cls})`;
    }
    case "lifetime-off": {
      const at = why.verdict ? ` at ${ref(why.verdict)}` : "";
      return `${name(why.packet)}'s entry was confirmed at step ${why.step} to live ${formatMs(why.lifetime)}, not the ${formatMs(why.set)} its queue verdict set${at}: ctnetlink_change_timeout stored now + t in the unconfirmed entry, and confirm added the clock again (fixed by 73db1b8f2bb6, v6.4)`;
    }
    case "misrouted-query": {
      const dnat = why.dnat ? ` at ${ref(why.dnat)}` : "";
      const linked = why.linked ? `, linked at ${ref(why.linked)}` : "";
      return `${name(why.packet)} was routed towards ${formatHostPortOf(why.route)}${dnat}; at step ${why.step} nf_conntrack_update attached it to ${name(why.into)}'s entry${linked}, and rewrote it to ${formatHostPortOf(why.to)}: the route stayed (POSTROUTING), the packet left the wrong way and no answer came`;
    }
    case "confirm-drop": {
      const c = why.chains;
      const how = c ? `its ORIGINAL chain held ${c.otherNodes} nodes of other flows, past max_chainlen ${c.maxChainlen} + 1 (d7e7747ac5c2)` : "with no clash (a patch's confirm dropped it)";
      return `${name(why.packet)} was dropped at step ${why.step} (${why.cls}) by __nf_conntrack_confirm: ${how}`;
    }
    case "clash":
      return (
        `${name(why.packet)} was dropped at step ${why.step} (${why.cls}): __nf_conntrack_confirm found its ${why.which} tuple ` +
        `${fmt(why.tuple)} in ${entry(why.entry)}${why.linked ? `, linked at ${ref(why.linked)}` : ""}${why.dying ? `, which ${ref(why.dying)} had marked DYING` : ""}`
      );
    case "lost-removed": {
      const what = entry(why.entry);
      const how =
        why.how === "dying"
          ? `${ref(why.at)} marked ${what} DYING (test_and_set_bit(IPS_DYING_BIT)), which lookups skip`
          : why.how === "unlinked"
            ? `${ref(why.at)} unlinked ${what}`
            : why.how === "tracker-kill"
              ? `step ${why.at.step} deleted ${what} (nf_ct_kill, as the ${why.protocol.toUpperCase()} tracker saw ${name(why.replier)}'s reply)`
              : `${ref(why.at)} removed ${what} from the table`;
      return `${name(why.packet)}'s reply was lost: it was sent to ${fmt(why.sent)}, which no entry held after ${how}`;
    }
    case "lost-merged":
      return (
        `${name(why.packet)}'s reply was lost: it was sent to ${fmt(why.sent)}, its own entry's REPLY tuple, but ${ref(why.at)} merged ${name(why.packet)} into ${name(why.into)}'s entry, whose tuples ` +
        `(ORIGINAL ${fmt(why.orig)}, REPLY ${fmt(why.reply)}) do not carry it${why.freed ? `, and freed its own entry${why.everLinked ? "" : ", which was never linked"}` : ""}`
      );
    case "lost-none":
      return `${name(why.packet)}'s reply was lost: it was sent to ${fmt(why.sent)}, which no entry held at step ${why.step}`;
    case "misrouted": {
      const who = name(why.packet);
      const text =
        `${who}'s reply was misrouted: sent to ${fmt(why.sent)}, it matched ${name(why.hit)}'s entry (${why.dir}), which translated it to ` +
        `${fmt(why.delivered)}, not back to ${fmt(why.expected)} where ${who}'s socket waits`;
      if (why.merged) return `${text}; ${ref(why.merged.at)} merged ${who} into ${name(why.merged.into)}'s entry`;
      if (why.linked) return `${text}; ${name(why.hit)}'s entry was linked at ${ref(why.linked)}`;
      return text;
    }
    case "unanswered": {
      const by = why.own ? "its own entry" : `${name(why.uses)}'s entry`;
      return (
        `${name(why.packet)}'s query went unanswered: it left ${why.left ? `at ${ref(why.left)} ` : ""}with ${by}, whose REPLY tuple ` +
        `${fmt(why.sent)} still has the service address as its source (no DNAT): it went to the virtual service address, where no host answers`
      );
    }
    case "evicted":
      return `${name(why.packet)}'s reply was lost: it was sent to ${fmt(why.sent)}, which ${entry(why.entry)} held until ${ref(why.at)}: ${name(why.by)}'s init_conntrack found the table full and early_drop evicted it (not ASSURED)`;
    case "evicted-none":
      return `${name(why.packet)}'s reply was lost: the entry that held ${fmt(why.sent)} had been evicted`;
    case "expired-none":
      return `${name(why.packet)}'s reply was lost: the entry that held ${fmt(why.sent)} had timed out`;
    case "expired": {
      const who = name(why.packet);
      const fixed = why.fixed ? " (IPS_FIXED_TIMEOUT: no packet refreshes it)" : "";
      const head = `${who}'s reply was lost: it was sent to ${fmt(why.sent)}, which ${entry(why.entry)} held until it timed out at ${formatMs(why.timeout)}${fixed}`;
      if (why.merge) return `${head}; ${ref(why.merge.at)} had merged ${who} into it after that (at ${formatMs(why.merge.now)})`;
      return `${head}; the reply came at ${formatMs(why.replyAt)}${why.tick ? `, after ${ref(why.tick)}` : ""}`;
    }
    case "crash-none":
      return `the kernel went wrong at step ${why.step} (${why.cls})`;
    case "crash": {
      const what = entry(why.entry);
      const story = [
        why.reached ? `${ref(why.reached.at)} reached ${name(why.reached.saw)}'s node and kept the pointer` : "",
        why.made ? `${ref(why.made.at)} gave that memory (slot ${why.made.slot}) to ${what}` : "",
        why.confirmed ? `${ref(why.confirmed)} set IPS_CONFIRMED on it before deciding to insert` : "",
        why.kill ? `${ref(why.kill)} read it as nf_ct_should_gc wants (expired, CONFIRMED, not DYING, over two reads) and killed it` : "",
      ].filter(Boolean);
      const head =
        why.cls === "unlink-unlinked"
          ? `step ${why.step} unlinked ${what}, which is not in the table (confirm never inserted it): the kernel crashes in hlist_nulls_del_rcu`
          : `step ${why.step} unlinked ${what}, a valid entry (not expired): the new incarnation of the entry the reaper's walk had reached`;
      return `${head}${story.length ? `; ${story.join("; ")}` : ""}`;
    }
    default: {
      const never: never = why;
      throw new Error(`unknown explanation ${JSON.stringify(never)}`);
    }
  }
}

/** `x` with its sentences in words, every other field as it is and in its place (`text` last, where `why` is). */
export function wordExplanation(x: Explanation, sc: Scenario): WordedExplanation {
  const { why, ...rest } = x;
  return { ...rest, text: wordWhy(why, sc) };
}
