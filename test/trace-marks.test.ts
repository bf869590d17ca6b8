/**
 * Every format marks a counterexample's decisive step (a drop, a lost,
 * misrouted or unanswered reply) and the step that caused it, and states why.
 * Each case first checks, from the path's states alone, that the cause step
 * really did what its rule says; then parses each rendered format.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { JSDOM } from "jsdom";
import { checkReport, counterexample, describeKernel, reportExplanation, runCheck, type CheckRun, type Counterexample } from "../src/app/check.js";
import { renderCheck } from "../src/report/check.js";
import { renderSteps } from "../src/report/steps.js";
import { PLAIN } from "../src/report/text.js";
import { IPS } from "../src/kernel/net/conn.js";
import type { Kernel } from "../src/kernel/kernel.js";
import { Fate, Reply, type KState } from "../src/kernel/net/state.js";
import { skbEntry } from "../src/kernel/net/skb.js";
import { replySentTo } from "../src/kernel/functions/reply.js";
import { lookup } from "../src/kernel/net/table.js";
import { tupleEqual, type Tuple } from "../src/kernel/net/tuple.js";
import { loadPatchFile } from "../src/user-patch/load.js";
import { PATCHES, resolveKernel } from "../src/kernel/variants.js";
import { renderItf } from "../src/report/itf.js";
import { renderMermaid } from "../src/report/mermaid.js";
import { renderSwimlanes } from "../src/report/swimlane.js";
import { resolveScenario } from "../src/scenario/registry.js";
import { scenarioFromText } from "../src/scenario/load.js";
import type { Scenario } from "../src/scenario/scenario.js";
import { wordExplanation, wordWhy } from "../src/report/explanation.js";

/** A packet that passes before the nat table's hooks exist, in a DNAT scenario:
 * its query leaves for the virtual service address (class unanswered). */
const DNAT_HOOKS_MIDWAY = `
name: dnat-hooks-midway
description: A passes before the NAT hooks exist, AAAA after (DNAT to the service's endpoint); replies on
protocol: udp
cpus: 2
nat-table: true
client: 10.244.0.5:40000
service: 10.96.0.10:53
dnat: { endpoints: [10.244.1.7:53], choice: random }
snat: null-binding
replies: true
packets:
  - { name: A, cpu: 0, nat: false }
  - { name: AAAA, cpu: 1 }
kernels: [v6.12]
`;

interface Case {
  readonly name: string;
  readonly scenario: () => Scenario;
  readonly kernel: () => Kernel | string;
  readonly cls: string;
  readonly rule: string;
  /** The mark each format gives the decisive step. */
  readonly check: string;
  readonly lane: string;
  readonly mermaid: string;
}

let mergeOnSameReply: Kernel;
beforeAll(async () => {
  const patch = await loadPatchFile(resolve("examples/patches/merge-on-same-reply.mjs"));
  mergeOnSameReply = resolveKernel("v6.12+merge-on-same-reply", "kernel", [...PATCHES, patch]);
});

const CASES: Case[] = [
  { name: "dns-3-packets on v5.6", scenario: () => resolveScenario("dns-3-packets"), kernel: () => "v5.6", cls: "reply-lost", rule: "entry-removed", check: "<== reply lost here", lane: "<== REPLY LOST", mermaid: "reply LOST (reply-lost)" },
  { name: "nat-hooks-midway on v5.10", scenario: () => resolveScenario("nat-hooks-midway"), kernel: () => "v5.10", cls: "reply-lost", rule: "merged", check: "<== reply lost here", lane: "<== REPLY LOST", mermaid: "reply LOST (reply-lost)" },
  { name: "two-clients on v6.12+merge-on-same-reply", scenario: () => resolveScenario("two-clients"), kernel: () => mergeOnSameReply, cls: "reply-misrouted", rule: "merged", check: "<== reply misrouted here", lane: "<== REPLY MISROUTED", mermaid: "reply MISROUTED (reply-misrouted)" },
  { name: "dying-winner on v5.10 (conntrack -D)", scenario: () => resolveScenario("dying-winner"), kernel: () => "v5.10", cls: "reply-lost", rule: "entry-removed", check: "<== reply lost here", lane: "<== REPLY LOST", mermaid: "reply LOST (reply-lost)" },
  { name: "a DNAT scenario whose first packet passes no NAT hook", scenario: () => scenarioFromText(DNAT_HOOKS_MIDWAY, "dnat-hooks-midway.yaml"), kernel: () => "v6.12", cls: "unanswered", rule: "left-without-dnat", check: "<== unanswered here", lane: "<== UNANSWERED", mermaid: "query UNANSWERED (unanswered)" },
  { name: "dns-a-aaaa on v4.19 (race2)", scenario: () => resolveScenario("dns-a-aaaa"), kernel: () => "v4.19", cls: "race2", rule: "linked", check: "<== dropped here", lane: "<== DROP", mermaid: "DROPPED (race2)" },
  { name: "nat-clash-reply-late on v5.10 (a NAT_CLASH entry's second)", scenario: () => resolveScenario("nat-clash-reply-late"), kernel: () => "v5.10", cls: "reply-expired", rule: "expired", check: "<== reply lost (entry timed out) here", lane: "<== REPLY LOST (ENTRY TIMED OUT)", mermaid: "reply LOST (entry timed out) (reply-expired)" },
  { name: "recycled-entry on v5.19 (the 2d72afb34065 crash)", scenario: () => resolveScenario("recycled-entry"), kernel: () => "v5.19", cls: "unlink-unlinked", rule: "killed", check: "<== kernel error here", lane: "<== KERNEL ERROR", mermaid: "KERNEL ERROR (unlink-unlinked)" },
  { name: "recycled-entry on v5.19 (its kill of a reused entry)", scenario: () => resolveScenario("recycled-entry"), kernel: () => "v5.19", cls: "reused-entry-deleted", rule: "killed", check: "<== kernel error here", lane: "<== KERNEL ERROR", mermaid: "KERNEL ERROR (reused-entry-deleted)" },
  { name: "endpoint-removed on v5.10 (the survivor of the dump)", scenario: () => resolveScenario("endpoint-removed"), kernel: () => "v5.10", cls: "unconfirmed-survivor", rule: "missed-by-dump", check: "<== linked to a removed endpoint here", lane: "<== LINKED TO A REMOVED ENDPOINT", mermaid: "entry STALE (removed endpoint) (unconfirmed-survivor)" },
  { name: "helper-removed on v6.12 (the genid bump)", scenario: () => resolveScenario("helper-removed"), kernel: () => "v6.12", cls: "genid-drop", rule: "stamped-stale", check: "<== dropped here", lane: "<== DROP", mermaid: "DROPPED (genid-drop)" },
  { name: "bridge-clones on v6.6 (a clone's confirm first)", scenario: () => resolveScenario("bridge-clones"), kernel: () => "v6.6", cls: "confirmed-clone-warn", rule: "copy-confirmed", check: "<== WARN here", lane: "<== WARN", mermaid: "kernel WARN (confirmed-clone-warn)" },
  { name: "bridge-clones on v5.10 (the confirm wrapper's events)", scenario: () => resolveScenario("bridge-clones"), kernel: () => "v5.10", cls: "confirm-events", rule: "winner-linked", check: "<== released entry used here", lane: "<== RELEASED ENTRY USED", mermaid: "released entry USED (confirm-events)" },
  { name: "nfqueue-dns on v5.10 (bugzilla 1766)", scenario: () => resolveScenario("nfqueue-dns"), kernel: () => "v5.10", cls: "query-misrouted", rule: "winner-linked", check: "<== query misrouted here", lane: "<== QUERY MISROUTED", mermaid: "query MISROUTED (query-misrouted)" },
  { name: "nfqueue-timeout on v6.3 (73db1b8f2bb6)", scenario: () => resolveScenario("examples/scenarios/nfqueue-timeout.yaml"), kernel: () => "v6.3", cls: "timeout-double-stamp", rule: "timeout-set", check: "<== lifetime not as set here", lane: "<== LIFETIME NOT AS SET", mermaid: "entry: LIFETIME not as set (timeout-double-stamp)" },
  { name: "dying-winner on v5.10 (a drop)", scenario: () => resolveScenario("dying-winner"), kernel: () => "v5.10", cls: "dying-winner", rule: "linked", check: "<== dropped here", lane: "<== DROP", mermaid: "DROPPED (dying-winner)" },
];

/** Entries a lookup of `t` finds in `s`, every one of them: linked, confirmed, and on a kernel whose lookup skips
 * DYING entries (up to v5.2; 87e389b4c200) not DYING. */
function holdersOf(s: KState, t: Tuple, skipsDying = true): number[] {
  return s.table.filter((id) => {
    const p = s.pkts[id]!;
    const ct = p.ct!;
    return ct.status & IPS.CONFIRMED && !(skipsDying && ct.status & IPS.DYING) && (tupleEqual(ct.reply, t) || (!p.replyOnly && tupleEqual(ct.orig, t)));
  });
}

/** What the rule claims of cause step c (1-based) for decisive step d, checked on the states: step k leads S[k-1] to S[k]. */
function assertCause(run: CheckRun, cx: Counterexample, rule: string, p: number, c: number, d: number): void {
  const S = cx.path.states;
  const sc = run.scenario;
  const step = cx.steps[c - 1]!;
  switch (rule) {
    case "entry-removed": {
      const sent = replySentTo(S[d - 1]!, p);
      // An entry holding the tuple the reply was sent to is found before the cause step, none after it, up to the reply.
      const skips = run.model.ctx.k.lookupSkipsDying();
      expect(holdersOf(S[c - 1]!, sent, skips).length).toBeGreaterThan(0);
      for (let k = c; k < d; k++) expect(holdersOf(S[k]!, sent, skips)).toEqual([]);
      expect(lookup(S[d - 1]!, sent)).toBeUndefined();
      break;
    }
    case "merged": {
      expect(step.function).toBe("__nf_conntrack_confirm");
      expect(step.packet).toBe(sc.packets[p]!.name);
      expect(S[c - 1]!.pkts[p]!.uses).toBe(p);
      const into = S[c]!.pkts[p]!.uses;
      expect(into).not.toBe(p);
      expect(S[c]!.pkts[p]!.freed).toBe(true);
      const sent = replySentTo(S[d - 1]!, p);
      const w = S[c]!.pkts[into]!.ct!;
      if (cx.class === "reply-lost") {
        // The entry it went on with carries neither direction of its reply, and no entry holds it.
        expect(tupleEqual(w.orig, sent) || tupleEqual(w.reply, sent)).toBe(false);
        expect(lookup(S[d - 1]!, sent)).toBeUndefined();
      } else {
        // The reply matched the entry it was merged into, which belongs to another client.
        expect(lookup(S[d - 1]!, sent)?.id).toBe(into);
        expect(tupleEqual(w.orig, S[c]!.pkts[p]!.ct!.orig)).toBe(false);
      }
      break;
    }
    case "expired": {
      // The cause is the clock's step past the entry's timeout; the entry held the reply's tuple, and no lookup finds it at the reply.
      expect(step.function).toBe("tick");
      const sent = replySentTo(S[d - 1]!, p);
      const held = S[c - 1]!.pkts.findIndex((q) => q.ct !== null && (tupleEqual(q.ct.reply, sent) || tupleEqual(q.ct.orig, sent)));
      expect(held).toBeGreaterThanOrEqual(0);
      const timeout = S[c]!.pkts[held]!.ct!.timeout;
      expect(S[c - 1]!.now).toBeLessThan(timeout);
      expect(S[c]!.now).toBeGreaterThanOrEqual(timeout);
      expect(S[d - 1]!.now).toBeGreaterThanOrEqual(timeout);
      break;
    }
    case "missed-by-dump": {
      // The cause is a dump that listed the table while the entry, NATed already, was in no bucket; it is linked later.
      expect(step.function).toBe("ctnetlink_dump_table");
      expect(S[c - 1]!.table).not.toContain(p);
      expect(S[c - 1]!.pkts[p]!.ct).not.toBeNull();
      for (let k = c; k < d - 1; k++) expect(S[k]!.table).not.toContain(p);
      expect(S[d]!.table).toContain(p);
      break;
    }
    case "stamped-stale": {
      // The cause is the genid bump, which came after the packet's init_conntrack: its stamp is the older one.
      expect(step.function).toBe("nf_ct_ext_bump_genid");
      expect(S[c - 1]!.stale & (1 << p)).toBe(0);
      expect(S[c]!.stale & (1 << p)).not.toBe(0);
      expect(S[c - 1]!.pkts[p]!.ct).not.toBeNull();
      break;
    }
    case "killed": {
      // The cause set DYING on the entry the decisive step unlinked, which is not in the table there.
      const victim = S[d - 1]!.pkts.findIndex((q) => q.reaping >= 0) >= 0 ? S[d - 1]!.pkts.find((q) => q.reaping >= 0)!.reaping : S[d - 1]!.gc;
      expect(victim).toBeGreaterThanOrEqual(0);
      expect(S[c - 1]!.pkts[victim]!.ct!.status & IPS.DYING).toBe(0);
      expect(S[c]!.pkts[victim]!.ct!.status & IPS.DYING).not.toBe(0);
      // A crash unlinks an entry that is not in the table; a lost entry is one that is, in a slot an earlier entry had.
      if (cx.class === "unlink-unlinked") expect(S[d - 1]!.table).not.toContain(victim);
      else {
        expect(S[d - 1]!.table).toContain(victim);
        expect(S[d - 1]!.pkts.some((q, i) => i !== victim && q.slot === S[d - 1]!.pkts[victim]!.slot)).toBe(true);
      }
      break;
    }
    case "left-without-dnat": {
      expect(S[c - 1]!.pkts[p]!.fate).not.toBe(Fate.ACCEPTED);
      expect(S[c]!.pkts[p]!.fate).toBe(Fate.ACCEPTED);
      const sent = replySentTo(S[c]!, p);
      expect(sc.addrs[sent.src]).toBe("10.96.0.10");
      expect(sent.sport).toBe(53);
      break;
    }
    case "linked": {
      const w = S[d]!.pkts[p]!.clashWith;
      expect(w).toBeGreaterThanOrEqual(0);
      expect(S[c - 1]!.table).not.toContain(w);
      expect(S[c]!.table).toContain(w);
      for (let k = c; k < d; k++) expect(S[k]!.table).toContain(w);
      break;
    }
    case "copy-confirmed": {
      // Another skb of the packet's entry linked it at the cause step.
      const e = skbEntry(S[d - 1]!, p);
      expect(e).toBeGreaterThanOrEqual(0);
      expect(S[c - 1]!.table).not.toContain(e);
      expect(S[c]!.table).toContain(e);
      break;
    }
    case "timeout-set": {
      // The cause is the verdict that set the entry's timeout.
      expect(S[c - 1]!.pkts[p]!.timeoutSet).toBe(false);
      expect(S[c]!.pkts[p]!.timeoutSet).toBe(true);
      break;
    }
    case "winner-linked": {
      // The entry the packet went on with was linked at the cause step, and it is not the packet's own.
      const w = S[d]!.pkts[p]!.uses;
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).not.toBe(p);
      expect(S[c - 1]!.table).not.toContain(w);
      expect(S[c]!.table).toContain(w);
      break;
    }
    default:
      throw new Error(`no such rule ${rule}`);
  }
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.each(CASES)("$name: $cls", (k) => {
  let run: CheckRun;
  let cx: Counterexample;
  let p: number;
  let d: number;
  let c: number;
  beforeAll(() => {
    run = runCheck(k.scenario(), k.kernel());
    cx = counterexample(run, k.cls)!;
    const x = cx.explanation!;
    p = run.scenario.packets.findIndex((q) => q.name === x.packet);
    d = x.decisiveStep;
    c = x.causeStep!;
  });

  it("the states show the violation at the decisive step and what the rule says at the cause step", () => {
    const S = cx.path.states;
    const x = cx.explanation!;
    expect(x.class).toBe(k.cls);
    expect(x.rule).toBe(k.rule);
    expect(c).toBeLessThan(d);
    const before = S[d - 1]!.pkts[p]!;
    const after = S[d]!.pkts[p]!;
    if (x.kind === "dropped") {
      expect(before.fate).not.toBe(Fate.DROPPED);
      expect(after.fate).toBe(Fate.DROPPED);
    } else if (x.kind === "stale") {
      // The step links the entry; it maps to an endpoint the rule no longer has.
      expect(S[d - 1]!.table).not.toContain(p);
      expect(S[d]!.table).toContain(p);
    } else if (x.kind === "warn") {
      expect(before.warn).toBe(0);
      expect(after.warn).not.toBe(0);
    } else if (x.kind === "stale-ct") {
      expect(before.staleCt).toBe(0);
      expect(after.staleCt).not.toBe(0);
    } else if (x.kind === "lifetime") {
      expect(before.lifetimeOff).toBe(false);
      expect(after.lifetimeOff).toBe(true);
    } else if (x.kind === "misrouted-query") {
      expect(before.misrouted).toBe(false);
      expect(after.misrouted).toBe(true);
    } else if (x.kind === "crash") {
      // The step sets the class's bit (an earlier one may have set another).
      expect(S[d]!.crash & ~S[d - 1]!.crash).not.toBe(0);
    } else {
      const want = { "reply-lost": Reply.LOST, "reply-misrouted": Reply.MISROUTED, unanswered: Reply.UNANSWERED, "reply-evicted": Reply.EVICTED, "reply-expired": Reply.EXPIRED }[x.kind];
      expect(before.reply).toBe(Reply.PENDING);
      expect(after.reply).toBe(want);
    }
    // The property itself says the end state is of this class.
    const prop = run.properties.find((q) => q.name === x.property)!;
    expect(prop.violations(S.at(-1)!)).toContain(k.cls);
    assertCause(run, cx, k.rule, p, c, d);
    // The steps carry the marks, and only there.
    const decisive = cx.steps.filter((s) => s.decisive && s.violation === k.cls);
    expect(decisive[0]!.step).toBe(d);
    expect(cx.steps[c - 1]!.cause).toBe(true);
    expect(cx.steps[c - 1]!.causeOf).toContain(d);
    for (const s of cx.steps) if (s.cause) expect(s.causeOf.every((n) => cx.steps[n - 1]!.explanation?.causeStep === s.step)).toBe(true);
    // The text names the packet, the decisive and the cause steps.
    const text = wordWhy(x.why, run.scenario);
    expect(text).toContain(x.packet);
    expect(text).toContain(`step ${c}`);
  });

  it("check's step list marks both and says why", () => {
    const lines = renderSteps(cx.steps, run.scenario, PLAIN).split("\n");
    const stepLine = (n: number): string => lines.find((l) => new RegExp(`^\\s+${n}\\s+\\S+\\s+\\S+\\s+\\S`).test(l))!;
    expect(stepLine(d)).toContain(k.check);
    expect(stepLine(c)).toMatch(new RegExp(`<-- cause of step (\\d+, )*${d}\\b`));
    // Marks appear on those lines only.
    const marked = lines.filter((l) => /<== |<-- cause/.test(l));
    expect(marked.every((l) => cx.steps.some((s) => (s.decisive || s.cause) && l === stepLine(s.step)))).toBe(true);
    // check prints the default class's counterexample, and why after it.
    const r = checkReport(run);
    const report = renderCheck(r, run.scenario, describeKernel(run.kernel), reportExplanation(r), PLAIN).split("\n");
    const shown = counterexample(run)!;
    expect(report).toContain(`why: ${wordWhy(shown.explanation!.why, run.scenario)}`);
    if (shown.class === k.cls) expect(shown.explanation).toEqual(cx.explanation);
  });

  it("swimlanes mark both in the step column and the cell, with a footer", () => {
    const out = renderSwimlanes(run.model, cx, "title");
    const lines = out.split("\n");
    const head = (n: number): string => lines.find((l) => new RegExp(`^\\s*${n}[!> ] `).test(l))!;
    expect(head(d)).toMatch(new RegExp(`^\\s*${d}! `));
    expect(head(d)).toContain(`${cx.steps[d - 1]!.packet}: ${cx.steps[d - 1]!.function}  ${k.lane}`);
    expect(head(c)).toMatch(new RegExp(`^\\s*${c}[>!] `));
    expect(head(c)).toMatch(new RegExp(`<-- CAUSE of step (\\d+, )*${d}\\b`));
    const bangs = lines.filter((l) => /^\s*\d+!/.test(l)).length;
    expect(bangs).toBe(cx.steps.filter((s) => s.decisive).length);
    expect(lines).toContain(`why:  ${wordWhy(cx.explanation!.why, run.scenario)}`);
  });

  it("Mermaid shades the decisive step red and its cause amber, and ends with a note saying why", () => {
    const out = renderMermaid(run.model, cx, "title");
    const lines = out.split("\n");
    /** The rect block that holds step n's message or note. */
    const block = (n: number): { shade: string; body: string[] } | undefined => {
      const at = lines.findIndex((l) => new RegExp(`(->>T|Note over [^:]+): ${n}\\. `).test(l));
      for (let i = at; i >= 0; i--) {
        if (/^\s*end$/.test(lines[i]!) && i !== at) return undefined;
        const m = /^\s*rect (rgb\([^)]*\))$/.exec(lines[i]!);
        if (m) {
          const end = lines.findIndex((l, j) => j > i && /^\s*end$/.test(l));
          return { shade: m[1]!, body: lines.slice(i + 1, end) };
        }
      }
      return undefined;
    };
    const dec = block(d)!;
    expect(dec.shade).toBe("rgb(255, 215, 215)");
    expect(dec.body.some((l) => l.includes(k.mermaid))).toBe(true);
    const cause = block(c)!;
    if (!cx.steps[c - 1]!.decisive) expect(cause.shade).toBe("rgb(255, 236, 179)");
    expect(cause.body.some((l) => new RegExp(`cause of step (\\d+, )*${d}\\b`).test(l))).toBe(true);
    // An unmarked step has no block.
    const plain = cx.steps.find((s) => !s.decisive && !s.cause)!;
    expect(block(plain.step)).toBeUndefined();
    expect(lines.at(-2)).toMatch(/^\s+Note over cpu0,T: why: /);
  });

  it("ITF marks the state each step led to in #meta, and the explanation at the top", () => {
    const itf = renderItf(run.model, cx, { source: "s", description: "t" }) as {
      "#meta": Record<string, unknown>;
      states: { "#meta": Record<string, unknown> }[];
    };
    expect(itf.states[d]!["#meta"]).toMatchObject({ index: d, decisive: true, kind: cx.explanation!.kind, violation: k.cls, causeStep: c });
    expect(itf.states[c]!["#meta"]).toMatchObject({ index: c, cause: true });
    expect(itf.states[c]!["#meta"]["causeOf"]).toContain(d);
    itf.states.forEach((s, i) => {
      const step = i === 0 ? undefined : cx.steps[i - 1]!;
      expect(s["#meta"]["decisive"] === true).toBe(step?.decisive ?? false);
      expect(s["#meta"]["cause"] === true).toBe(step?.cause ?? false);
    });
    expect(itf["#meta"]["explanation"]).toEqual(wordExplanation(cx.explanation!, run.scenario));
  });
});

describe("trace --format json and mermaid, through the command", () => {
  it("json steps carry decisive, violation, cause and the explanation", () => {
    const r = cli("trace", "dns-3-packets", "--kernel", "v5.6", "--format", "json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { steps: { step: number; decisive: boolean; violation: string | null; cause: boolean; causeOf: number[]; explanation: { causeStep: number } | null }[] };
    const dec = j.steps.filter((s) => s.decisive);
    expect(dec.map((s) => s.violation)).toEqual(["reply-lost"]);
    const cause = j.steps.filter((s) => s.cause);
    expect(cause.map((s) => s.step)).toEqual([dec[0]!.explanation!.causeStep]);
    expect(cause[0]!.causeOf).toEqual([dec[0]!.step]);
  });

  it("lost and misrouted replies' diagrams are ones Mermaid's own parser accepts", async () => {
    const dom = new JSDOM("<!doctype html><html><body></body></html>");
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    const { default: mermaid } = await import("mermaid");
    const patch = resolve("examples/patches/merge-on-same-reply.mjs");
    for (const args of [
      ["two-clients", "--kernel", "v6.12+merge-on-same-reply", "--patch", patch],
      ["dns-3-packets", "--kernel", "v5.6"],
      ["nat-hooks-midway", "--kernel", "v5.10"],
    ]) {
      const r = cli("trace", ...args, "--format", "mermaid");
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/rect rgb\(255, 236, 179\)/);
      await expect(mermaid.parse(r.out)).resolves.toEqual(expect.objectContaining({ diagramType: "sequence" }));
    }
  });
});
