/** `trace` in every format, and the counterexample's shape (shortest, fewest preemptions). */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JSDOM } from "jsdom";
import { counterexample, runCheck } from "../src/app/check.js";
import { rebuildPath } from "../src/engine/path.js";
import { countPreemptions } from "../src/engine/preemption.js";
import { resolveScenario } from "../src/scenario/registry.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("counterexample choice", () => {
  it("is a shortest path, with no more preemptions than the BFS parent path", () => {
    for (const [scenario, kernel] of [
      ["dns-a-aaaa", "v4.18"],
      ["dns-a-aaaa", "v4.19"],
      ["dns-a-aaaa-2-endpoints", "v4.18"],
      ["dns-a-aaaa-2-endpoints", "v5.0"],
      ["no-nat", "v4.6"],
    ] as const) {
      const run = runCheck(resolveScenario(scenario), kernel);
      for (const v of run.result.violations) {
        const cx = counterexample(run, v.name)!;
        expect(cx.steps.length).toBe(v.depth);
        expect(countPreemptions(run.model, cx.path)).toBe(cx.preemptions);
        const bfs = rebuildPath(run.model, run.result.links, v.first);
        expect(cx.preemptions).toBeLessThanOrEqual(countPreemptions(run.model, bfs));
        // Two packets on two CPUs: one switch in and one out at most.
        expect(cx.preemptions).toBeLessThanOrEqual(2);
      }
    }
  });
});

describe("conntrack-mc trace --format text", () => {
  it("dns-a-aaaa on v4.19 (race2): the loser's NAT sees the winner's confirmed entry, changes the port, then clashes", () => {
    const r = cli("trace", "dns-a-aaaa", "--kernel", "v4.19");
    expect(r.code).toBe(1);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^dns-a-aaaa on v4\.19: race2, \d+ steps, \d+ preemptions?$/);
    expect(r.out).toMatch(/#\s+cpu0\s+cpu1/);
    // Which packet loses is the search's choice among equal schedules: read it from the trace.
    const drop = lines.findIndex((l) => /(A|AAAA): __nf_conntrack_confirm\s+<== DROP/.test(l));
    const loser = /(AAAA|A): __nf_conntrack_confirm\s+<== DROP/.exec(lines[drop] ?? "")?.[1];
    expect(loser).toBeDefined();
    const winner = loser === "A" ? "AAAA" : "A";
    const confirmW = lines.findIndex((l) => new RegExp(`(^|\\s)${winner}: __nf_conntrack_confirm`).test(l));
    const natL = lines.findIndex((l) => new RegExp(`(^|\\s)${loser}: nf_nat_setup_info\\(SRC\\)`).test(l));
    expect(confirmW).toBeGreaterThan(0);
    expect(natL).toBeGreaterThan(confirmW);
    expect(drop).toBeGreaterThan(natL);
    const natCell = lines.slice(natL, drop).join("\n");
    expect(natCell).toMatch(new RegExp(`taken by ${winner}'s\\s+confirmed entry: port search picks 1024`));
    expect(natCell).toMatch(/10\.244\.0\.5:40000\s+=>\s+10\.244\.1\.7:53 -> 10\.244\.0\.5:1024/);
    // Each packet's steps are drawn in its CPU's column (A on cpu0, AAAA on cpu1).
    const col1 = lines[2]!.indexOf("cpu1");
    const colOf = (p: string): number => (p === "A" ? 0 : 1);
    expect(lines[drop]!.indexOf(`${loser}:`) >= col1).toBe(colOf(loser!) === 1);
    expect(lines[confirmW]!.indexOf(`${winner}:`) >= col1).toBe(colOf(winner) === 1);
    const c = colOf(loser!);
    expect(r.out).toMatch(new RegExp(`counters \\(conntrack -S\\):\\s+cpu0 insert_failed=${c === 0 ? 1 : 0} drop=${c === 0 ? 1 : 0} clash_resolve=0; cpu1 insert_failed=${c} drop=${c} clash_resolve=0`));
  });

  it("--class picks the drop class; an unreachable class is exit 2", () => {
    const r = cli("trace", "dns-a-aaaa-2-endpoints", "--kernel", "v4.18", "--class", "race3");
    expect(r.code).toBe(1);
    expect(r.out.split("\n")[0]).toMatch(/: race3, /);
    expect(r.out).toMatch(/DNAT to 10\.244\.2\.9:53/);
    const bad = cli("trace", "dns-a-aaaa", "--kernel", "v5.0", "--class", "race2");
    expect(bad.code).toBe(2);
    expect(bad.err).toBe("conntrack-mc: --class: no race2 state is reachable on v5.0 for dns-a-aaaa: expected one of (none: the property holds)\n");
  });

  it("says so (exit 0) when there is nothing to trace", () => {
    const r = cli("trace", "no-nat", "--kernel", "v4.18");
    expect(r.code).toBe(0);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/no-drop holds for no-nat on v4\.18: no counterexample to trace/);
  });
});

describe("conntrack-mc trace --format mermaid", () => {
  it("is a sequence diagram that Mermaid's own parser accepts", async () => {
    const r = cli("trace", "dns-a-aaaa", "--kernel", "v4.18", "--class", "race1", "--format", "mermaid");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^sequenceDiagram\n/);
    expect(r.out).toMatch(/participant cpu0\n\s+participant cpu1\n\s+participant T as conntrack table/);
    expect(r.out).toMatch(/rect rgb\(255, 215, 215\)[\s\S]*DROPPED \(race1\)\n\s+end\n\s+Note over cpu0,T: why: (A|AAAA) was dropped at step \d+ \(race1\)[^\n]*\n$/);
    const dom = new JSDOM("<!doctype html><html><body></body></html>");
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    const { default: mermaid } = await import("mermaid");
    await expect(mermaid.parse(r.out)).resolves.toEqual(expect.objectContaining({ diagramType: "sequence" }));
    // the parser is not a yes-machine
    await expect(mermaid.parse("sequenceDiagram\n  cpu0->>T hello\n")).rejects.toThrow();
  });
});

type Itf = unknown;

/** The ITF rules of Apalache ADR-015: what a value may be. */
function checkItfValue(v: Itf, where: string): void {
  if (typeof v === "boolean" || typeof v === "string") return;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Error(`${where}: a plain number must be a safe integer`);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => checkItfValue(x, `${where}[${i}]`));
  if (v === null || typeof v !== "object") throw new Error(`${where}: not an ITF value`);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const special = keys.filter((k) => k.startsWith("#"));
  if (special.length) {
    if (keys.length !== 1) throw new Error(`${where}: ${special[0]} must be the only key`);
    const [k] = special;
    const x = o[k!];
    if (k === "#bigint") {
      if (typeof x !== "string" || !/^-?\d+$/.test(x)) throw new Error(`${where}: bad #bigint`);
    } else if (k === "#tup" || k === "#set") {
      if (!Array.isArray(x)) throw new Error(`${where}: ${k} takes an array`);
      x.forEach((e, i) => checkItfValue(e, `${where}.${k}[${i}]`));
    } else if (k === "#map") {
      if (!Array.isArray(x)) throw new Error(`${where}: #map takes an array`);
      x.forEach((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`${where}.#map[${i}]: not a [key, value] pair`);
        checkItfValue(pair[0], `${where}.#map[${i}][0]`);
        checkItfValue(pair[1], `${where}.#map[${i}][1]`);
      });
    } else if (k === "#unserializable") {
      if (typeof x !== "string") throw new Error(`${where}: bad #unserializable`);
    } else throw new Error(`${where}: unknown ${k}`);
    return;
  }
  for (const k of keys) checkItfValue(o[k], `${where}.${k}`);
}

function checkItfTrace(t: Itf): void {
  const o = t as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["#meta", "params", "vars", "states", "loop"].includes(k)) throw new Error(`unknown top-level key ${k}`);
  if (!Array.isArray(o["vars"]) || !o["vars"].every((v) => typeof v === "string")) throw new Error("vars must be an array of strings");
  if (!Array.isArray(o["states"]) || o["states"].length === 0) throw new Error("states must be a non-empty array");
  const vars = o["vars"] as string[];
  (o["states"] as Record<string, unknown>[]).forEach((s, i) => {
    const keys = Object.keys(s).filter((k) => k !== "#meta");
    if ([...keys].sort().join() !== [...vars].sort().join()) throw new Error(`state ${i}: keys ${keys} are not the vars`);
    for (const k of keys) checkItfValue(s[k], `states[${i}].${k}`);
  });
}

/** ITF back to plain values, to compare with the json format's states. */
function decode(v: Itf): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === "object") {
    const o = v as Record<string, Itf>;
    if ("#bigint" in o) return Number(o["#bigint"]);
    if ("#set" in o) return (o["#set"] as Itf[]).map(decode);
    if ("#map" in o) return Object.fromEntries((o["#map"] as [Itf, Itf][]).map(([k, x]) => [decode(k), decode(x)]));
    if ("tag" in o && "value" in o) return o["tag"] === "None" ? null : decode(o["value"]);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

describe("conntrack-mc trace --format itf and json", () => {
  it("ITF follows the format's rules and carries the same states as the json format", () => {
    const itf = JSON.parse(cli("trace", "dns-a-aaaa-2-endpoints", "--kernel", "v5.0", "--format", "itf").out);
    expect(() => checkItfTrace(itf)).not.toThrow();
    expect(itf["#meta"].format).toBe("ITF");
    // the checker itself rejects what breaks the rules
    expect(() => checkItfTrace({ vars: ["x"], states: [{ x: 1.5 }] })).toThrow(/safe integer/);
    expect(() => checkItfTrace({ vars: ["x"], states: [{ x: { "#bigint": "1", y: 2 } }] })).toThrow(/only key/);
    expect(() => checkItfTrace({ vars: ["x"], states: [{ y: true }] })).toThrow(/not the vars/);

    const json = JSON.parse(cli("trace", "dns-a-aaaa-2-endpoints", "--kernel", "v5.0", "--format", "json").out);
    expect(itf.states).toHaveLength(json.states.length);
    expect(json.steps).toHaveLength(json.states.length - 1);
    itf.states.forEach((s: Record<string, Itf>, i: number) => {
      const mine = decode({ packets: s["packets"], table: s["table"], bysource: s["bysource"], rover: s["rover"], stats: s["stats"] });
      expect(mine).toEqual(json.states[i]);
      expect(s["mbt::actionTaken"]).toBe(i === 0 ? "init" : `${json.steps[i - 1].actor} ${json.steps[i - 1].packet} ${json.steps[i - 1].function}`);
    });
    const last = json.states.at(-1);
    expect(Object.values(last.packets).map((p) => (p as { fate: string }).fate)).toContain("dropped");
    expect(json.class).toBe("race3");
  });

  it("--out writes the file whole; a bad path is exit 2 and leaves nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctmc-"));
    const f = join(dir, "t.mmd");
    const r = cli("trace", "dns-a-aaaa", "--kernel", "v4.19", "--format", "mermaid", "--out", f);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(readFileSync(f, "utf8")).toMatch(/^sequenceDiagram/);
    expect(readdirSync(dir)).toEqual(["t.mmd"]);
    const bad = cli("trace", "dns-a-aaaa", "--kernel", "v4.19", "--out", join(dir, "no", "such", "dir.txt"));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^conntrack-mc: --out .*dir\.txt: cannot write: no such file or directory \(ENOENT\)\n$/);
    expect(existsSync(join(dir, "no"))).toBe(false);
  });

  it("rejects an unknown format in one line", () => {
    const r = cli("trace", "dns-a-aaaa", "--format", "svg");
    expect(r.code).toBe(2);
    expect(r.err).toBe("conntrack-mc: --format: expected one of text, mermaid, itf, json, html, dot, got 'svg'\n");
  });
});
