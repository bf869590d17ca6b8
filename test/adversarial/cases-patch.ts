/**
 * Adversarial cases for users' patches (--patch FILE): see harness.ts. Each
 * name says which part of issue 12's "What was seen" it covers. A patch's
 * fault must be one line naming the file and the hook, exit 2, nothing on
 * stdout, on one thread and on workers alike; never a stack or exit 70, never
 * a verdict built on garbage.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { cli, REPO, type Case } from "./harness.js";

/** A patch module's text: `hooks` is the body of the object apply returns. */
const patch = (hooks: string, opts: { id?: string; requires?: string; top?: string; extra?: string } = {}): string =>
  `${opts.top ?? ""}\nexport default { id: ${JSON.stringify(opts.id ?? "mine")}, title: "t", requires: ${opts.requires ?? '["71d8c47fc653"]'},${opts.extra ?? ""} apply: (base, lib) => ({ ${hooks} }) };\n`;

const write = (file: string, text: string) => (d: string) => writeFileSync(join(d, file), text);

/** Files in the case folder after the run: exactly what setup wrote. */
const nothingWritten = (files: readonly string[]) => (d: string) => expect(readdirSync(d).sort(), "nothing written").toEqual([...files].sort());

/** A bad patch `p.mjs` run by `check <scenario> --kernel <release>+mine`: exit 2, one line naming p.mjs and `hook`. */
function badPatch(
  name: string,
  text: string,
  message: RegExp,
  opts: { scenario?: string; release?: string; workers?: number; file?: string; command?: readonly string[] } = {},
): Case {
  const file = opts.file ?? "p.mjs";
  const command = opts.command ?? ["check", opts.scenario ?? "dns-3-packets", "--kernel", `${opts.release ?? "v5.6"}+mine`];
  return {
    name: `patch: ${name}${opts.workers ? ` (--workers ${opts.workers})` : ""}`,
    setup: write(file, text),
    args: [...command, "--patch", file, ...(opts.workers ? ["--workers", String(opts.workers)] : [])],
    code: 2,
    err: new RegExp(`^conntrack-mc: --patch ${file.replace(/\./g, "\\.")}: ${message.source.replace(/\$$/, "\\n$")}`),
    out: "",
    after: nothingWritten([file]),
  };
}

const DETERMINISTIC = /: a patch must be deterministic; to branch on a choice, .*the search cannot see a choice made inside a hook$/;
const sourceRefused = (hook: string, source: string): RegExp => new RegExp(`${hook} called ${source.replace(/[.()]/g, "\\$&")}${DETERMINISTIC.source}`);

/** Run-to-run noise in --json: timing and memory. */
const steady = (json: string): unknown => {
  const { seconds, statesPerSecond, verdictSeconds, peakMemoryMiB, command, ...rest } = JSON.parse(json) as Record<string, unknown>;
  void [seconds, statesPerSecond, verdictSeconds, peakMemoryMiB, command];
  return rest;
};

const untimed = (text: string): string => text.replace(/^time .*$/m, "").replace(/^command .*$/m, "");

const EXAMPLE = join(REPO, "examples/patches/merge-on-same-origin.mjs");
const SCENARIO = readFileSync(join(REPO, "models/dns-3-packets.yaml"), "utf8");

export const PATCH_CASES: readonly Case[] = [
  // "A patch's own faults are reported as a bug of this tool ... garbage is silently accepted"
  badPatch("a nf_ct_resolve_clash kind that does not exist", patch('nf_ct_resolve_clash: () => ({ kind: "explode" })'), /nf_ct_resolve_clash returned \{ kind: "explode" \}: expected \{ kind: "drop" \}/),
  badPatch("a nf_ct_resolve_clash kind that does not exist", patch('nf_ct_resolve_clash: () => ({ kind: "explode" })'), /nf_ct_resolve_clash returned \{ kind: "explode" \}: expected \{ kind: "drop" \}/, { workers: 2 }),
  badPatch("nf_ct_resolve_clash returns undefined", patch("nf_ct_resolve_clash: () => undefined"), /nf_ct_resolve_clash returned undefined: expected /),
  badPatch("nf_ct_resolve_clash returns undefined", patch("nf_ct_resolve_clash: () => undefined"), /nf_ct_resolve_clash returned undefined: expected /, { workers: 2 }),
  badPatch("nf_ct_resolve_clash adds a key to drop", patch('nf_ct_resolve_clash: () => ({ kind: "drop", into: 0 })'), /nf_ct_resolve_clash returned \{ kind: "drop", into: 0 \}: expected /),
  badPatch("merging into entry 99 (no such entry)", patch('nf_ct_resolve_clash: () => ({ kind: "merge", into: 99 })'), /nf_ct_resolve_clash returned \{ kind: "merge", into: 99 \}: expected into to be the index of an entry linked in the table/),
  badPatch("merging into entry 99 (no such entry)", patch('nf_ct_resolve_clash: () => ({ kind: "merge", into: 99 })'), /nf_ct_resolve_clash returned \{ kind: "merge", into: 99 \}: expected into to be the index of an entry linked in the table/, { workers: 2 }),
  badPatch("merging into the loser's own entry, not linked", patch('nf_ct_resolve_clash: (ctx, st, loser) => ({ kind: "merge", into: loser })'), /nf_ct_resolve_clash returned \{ kind: "merge", into: \d \}: expected into to be the index of an entry linked/),
  badPatch("counters past their range (31 per CPU)", patch("confirmClashStats: (s) => { s.insertFailed += 40; }"), /confirmClashStats left insertFailed at \d+: expected an integer 0 to 31/),
  badPatch("counters past their range (31 per CPU)", patch("confirmClashStats: (s) => { s.insertFailed += 40; }"), /confirmClashStats left insertFailed at \d+: expected an integer 0 to 31/, { workers: 2 }),
  badPatch("a counter made a fraction", patch("countResolved: (s) => { s.clashResolve = 0.5; }", { requires: '["6a757c07e51f"]' }), /countResolved left clashResolve at 0\.5: expected an integer 0 to 31/),
  badPatch("a counter hook returns a value", patch("confirmClashStats: (s, r) => 1"), /confirmClashStats returned 1: expected nothing/),
  badPatch("nf_ct_resolve_clash leaves a counter negative", patch("nf_ct_resolve_clash: (ctx, st, l, w) => { st.stats[0].drop = -1; return base.nf_ct_resolve_clash(ctx, st, l, w); }"), /nf_ct_resolve_clash left cpu0's drop at -1: expected an integer 0 to 31/),
  badPatch("an async clashMergeable (a Promise is truthy)", patch("clashMergeable: async () => false"), /clashMergeable returned a Promise: hooks are synchronous/),
  badPatch("an async clashMergeable (a Promise is truthy)", patch("clashMergeable: async () => false"), /clashMergeable returned a Promise: hooks are synchronous/, { workers: 2 }),
  badPatch("an async hook that rejects", patch('clashMergeable: async () => { throw new Error("later"); }'), /clashMergeable returned a Promise: hooks are synchronous/),
  badPatch("takenBy returns 1, not a boolean", patch("takenBy: () => 1", { requires: "[]" }), /takenBy returned 1: expected true or false/, { scenario: "snat-port-race", release: "v4.6" }),
  badPatch("clashWinnerUsable returns a string", patch('clashWinnerUsable: () => "yes"'), /clashWinnerUsable returned "yes": expected true or false/),
  badPatch("clashMergeable replaces an entry's tuple", patch("clashMergeable: (w, l) => { w.orig = {}; return true; }"), /clashMergeable replaced an entry's tuple: expected tuples left as they are/),
  badPatch("port NaN", patch("nf_nat_l4proto_unique_tuple: () => NaN", { requires: "[]" }), /nf_nat_l4proto_unique_tuple returned NaN: expected an integer port 1 to 65535/, { scenario: "snat-port-race", release: "v5.0" }),
  badPatch("port NaN", patch("nf_nat_l4proto_unique_tuple: () => NaN", { requires: "[]" }), /nf_nat_l4proto_unique_tuple returned NaN: expected an integer port 1 to 65535/, { scenario: "snat-port-race", release: "v5.0", workers: 2 }),
  badPatch("port -5", patch("nf_nat_l4proto_unique_tuple: () => -5", { requires: "[]" }), /nf_nat_l4proto_unique_tuple returned -5: expected an integer port 1 to 65535/, { scenario: "snat-port-race", release: "v5.0" }),
  badPatch("port 1e9", patch("nf_nat_l4proto_unique_tuple: () => 1e9", { requires: "[]" }), /nf_nat_l4proto_unique_tuple returned 1000000000: expected an integer port 1 to 65535/, { scenario: "snat-port-race", release: "v5.0" }),
  badPatch("port 1e9", patch("nf_nat_l4proto_unique_tuple: () => 1e9", { requires: "[]" }), /nf_nat_l4proto_unique_tuple returned 1000000000: expected an integer port 1 to 65535/, { scenario: "snat-port-race", release: "v5.0", workers: 2 }),
  badPatch("port 80.5", patch("nf_nat_l4proto_unique_tuple: () => 80.5", { requires: "[]" }), /nf_nat_l4proto_unique_tuple returned 80\.5: expected an integer port/, { scenario: "snat-port-race", release: "v5.0" }),
  badPatch(
    "the rover left out of range",
    patch("nf_nat_l4proto_unique_tuple: (st, ...a) => { const p = base.nf_nat_l4proto_unique_tuple(st, ...a); st.rover = 70000; return p; }", { requires: "[]" }),
    /nf_nat_l4proto_unique_tuple left st.rover at 70000: expected an integer 0 to 65535/,
    { scenario: "snat-port-race", release: "v5.0" },
  ),
  badPatch(
    "a table entry that does not exist",
    patch("nf_nat_l4proto_unique_tuple: (st, ...a) => { const p = base.nf_nat_l4proto_unique_tuple(st, ...a); st.table.push(7); return p; }", { requires: "[]" }),
    /nf_nat_l4proto_unique_tuple left st.table \[.*7\]: expected the indices of distinct packets that have an entry/,
    { scenario: "snat-port-race", release: "v5.0", workers: 2 },
  ),
  badPatch("nf_conntrack_udp_packet returns a number", patch("nf_conntrack_udp_packet: () => 42", { requires: '["6a757c07e51f"]' }), /nf_conntrack_udp_packet returned 42: expected undefined or a string of one line/),
  badPatch("apply returns a Promise", "export default { id: \"mine\", title: \"t\", requires: [], apply: async () => ({}) };\n", /apply returned a Promise: expected the behaviours it overrides, synchronously$/, { release: "v5.0" }),

  // "A hook using Math.random prints HOLDS with state counts that change every run"
  badPatch("a hook calls Math.random", patch("clashMergeable: () => Math.random() < 0.5"), sourceRefused("clashMergeable", "Math.random")),
  badPatch("a hook calls Math.random", patch("clashMergeable: () => Math.random() < 0.5"), sourceRefused("clashMergeable", "Math.random"), { workers: 2 }),
  badPatch("a hook that saved const r = Math.random at load", patch("clashMergeable: () => r() < 0.5", { top: "const r = Math.random;" }), sourceRefused("clashMergeable", "Math.random")),
  badPatch("a hook that saved const r = Math.random at load", patch("clashMergeable: () => r() < 0.5", { top: "const r = Math.random;" }), sourceRefused("clashMergeable", "Math.random"), { workers: 2 }),
  badPatch("a hook that catches the refusal and goes on", patch("clashMergeable: () => { try { return Math.random() < 0.5; } catch { return true; } }"), sourceRefused("clashMergeable", "Math.random")),
  badPatch("a hook calls Date.now", patch("clashMergeable: () => Date.now() % 2 === 0"), sourceRefused("clashMergeable", "Date.now")),
  badPatch("a hook calls new Date()", patch("clashMergeable: () => new Date().getMilliseconds() % 2 === 0"), sourceRefused("clashMergeable", "new Date()")),
  badPatch("a hook calls Date()", patch("clashMergeable: () => Date().length % 2 === 0"), sourceRefused("clashMergeable", "Date()")),
  badPatch("a hook calls performance.now", patch("clashMergeable: () => performance.now() % 2 < 1"), sourceRefused("clashMergeable", "performance.now"), { workers: 2 }),
  badPatch("a hook calls process.hrtime", patch("clashMergeable: () => process.hrtime()[1] % 2 === 0"), sourceRefused("clashMergeable", "process.hrtime")),
  badPatch("a hook calls process.hrtime.bigint", patch("clashMergeable: () => process.hrtime.bigint() % 2n === 0n"), sourceRefused("clashMergeable", "process.hrtime.bigint")),
  badPatch("a hook calls crypto.getRandomValues", patch("clashMergeable: () => crypto.getRandomValues(new Uint8Array(1))[0] < 128"), sourceRefused("clashMergeable", "crypto.getRandomValues")),
  badPatch("a hook calls crypto.randomUUID", patch('clashMergeable: () => crypto.randomUUID() < "8"'), sourceRefused("clashMergeable", "crypto.randomUUID")),
  badPatch("a hook calls node:crypto randomBytes", patch("clashMergeable: () => randomBytes(1)[0] < 128", { top: 'import { randomBytes } from "node:crypto";' }), sourceRefused("clashMergeable", "node:crypto randomBytes")),
  badPatch("a hook calls node:crypto randomInt", patch("clashMergeable: () => nc.randomInt(2) === 0", { top: 'import nc from "node:crypto";' }), sourceRefused("clashMergeable", "node:crypto randomInt"), { workers: 2 }),
  badPatch("a hook calls node:crypto randomUUID", patch('clashMergeable: () => randomUUID() < "8"', { top: 'import { randomUUID } from "node:crypto";' }), sourceRefused("clashMergeable", "node:crypto randomUUID")),
  badPatch("the module's top level calls Math.random", patch("", { top: "const seed = Math.random();" }), sourceRefused("its top-level code", "Math.random"), { release: "v5.0" }),
  badPatch("apply calls Date.now", 'export default { id: "mine", title: "t", requires: [], apply: () => { Date.now(); return {}; } };\n', sourceRefused("apply", "Date.now"), { release: "v5.0" }),
  {
    name: "patch: a deterministic patch gives identical --json on two runs (and on workers)",
    args: ["check", "dns-3-packets", "--property", "all-replied", "--kernel", "v5.0+merge-on-same-origin", "--patch", EXAMPLE, "--no-reduce", "--json"],
    code: 1,
    oneLine: false,
    after: (d, r) => {
      const again = cli(d, "check", "dns-3-packets", "--property", "all-replied", "--kernel", "v5.0+merge-on-same-origin", "--patch", EXAMPLE, "--no-reduce", "--json");
      expect(again.code).toBe(1);
      expect(steady(again.out)).toEqual(steady(r.out));
      expect((JSON.parse(r.out) as { states: number }).states).toBeGreaterThan(0);
      expect(r.err).toBe("");
    },
  },

  // "A patch whose id is a built-in's commit hash is silently shadowed by the built-in"
  badPatch("an id that is a built-in's commit", patch("", { id: "ed07d9a021df", requires: "[]" }), /id: 'ed07d9a021df' is the commit of built-in patch 937963; choose another name$/, { release: "v5.0", command: ["check", "dns-a-aaaa", "--kernel", "v5.0"] }),
  badPatch("an id that is a 7-character prefix of a built-in's commit", patch("", { id: "4E35C1C", requires: "[]" }), /id: '4E35C1C' names built-in patch 1032812 .*; choose another name$/, { command: ["check", "dns-a-aaaa", "--kernel", "v5.0"] }),
  badPatch("an id that is a built-in's id", patch("", { id: "6a757c07e51f", requires: "[]" }), /id: '6a757c07e51f' is a built-in patch; choose another name$/, { command: ["check", "dns-a-aaaa", "--kernel", "v5.0"] }),
  badPatch("a commit field that is a built-in's commit", patch("", { extra: ' commit: "4e35c1cb9460",', requires: "[]" }), /commit: '4e35c1cb9460' is the commit of built-in patch 1032812; give your patch's own commit, or leave it out$/),
  badPatch("a commit field that is a prefix of a built-in's commit", patch("", { extra: ' commit: "bc92470",', requires: "[]" }), /commit: 'bc92470' names built-in patch bc92470413f3 /, { workers: 2 }),

  // ".ts patches fail with a misleading id: error unless their folder has type: module; .mts is refused"
  ...[".ts", ".mts", ".cts", ".mjs", ".js", ".cjs"].map(
    (ext): Case => ({
      name: `patch: a ${ext} patch loads like any other, in a folder without "type": "module"`,
      setup: (d) => {
        writeFileSync(join(d, "package.json"), "{}\n");
        const typed = ext.endsWith("ts") ? ": { id: string; title: string; requires: string[]; apply: (b: unknown, l: unknown) => object }" : "";
        const body = `{ id: "mine", title: "t", requires: ["71d8c47fc653"], apply: () => ({ clashMergeable: (w, l) => w.orig.sport === l.orig.sport }) }`;
        writeFileSync(join(d, `p${ext}`), ext === ".cjs" ? `module.exports = ${body};\n` : `const p${typed} = ${body};\nexport default p;\n`);
      },
      args: ["check", "dns-a-aaaa", "--kernel", "v5.0+mine", "--patch", `p${ext}`, "--json", "--workers", "2"],
      code: 0,
      oneLine: false,
      err: /^$/,
      after: (_d, r) => expect((JSON.parse(r.out) as { kernelParts: string[] }).kernelParts.at(-1)).toBe("mine"),
    }),
  ),
  badPatch("a patch file of another extension", patch("", { requires: "[]" }), /expected a JavaScript or TypeScript module \(\.mjs, \.js, \.cjs, \.ts, \.mts, \.cts\)$/, { file: "p.json" }),

  // "a patch loaded with --patch but named by no kernel is silently unused"
  {
    name: "patch: a --patch named by no kernel warns in one line, and the run goes on",
    args: ["check", "dns-a-aaaa", "--kernel", "v4.19", "--patch", EXAMPLE],
    code: 1,
    oneLine: true,
    err: /^conntrack-mc: warning: --patch \S+merge-on-same-origin\.mjs \(id merge-on-same-origin\) is in no kernel variant; name it as v4\.19\+merge-on-same-origin\n$/,
    after: (d, r) => expect(untimed(r.out), "the run without --patch").toBe(untimed(cli(d, "check", "dns-a-aaaa", "--kernel", "v4.19").out)),
  },
  {
    name: "patch: a --patch named by no kernel of compare warns in one line",
    args: ["compare", "dns-a-aaaa", "--kernels", "v4.6,v5.0", "--patch", EXAMPLE],
    code: 0,
    oneLine: true,
    err: /^conntrack-mc: warning: --patch \S+merge-on-same-origin\.mjs \(id merge-on-same-origin\) is in no kernel variant; name it as v5\.0\+merge-on-same-origin\n$/,
  },
  // "unknown patch gives no hint to load it with --patch"
  {
    name: "patch: an unknown patch says to load a patch of your own with --patch",
    args: ["check", "dns-a-aaaa", "--kernel", "v5.0+merge-on-same-origin"],
    code: 2,
    out: "",
    err: /^conntrack-mc: --kernel: unknown patch 'merge-on-same-origin' in 'v5\.0\+merge-on-same-origin' \(a patch of your own\? load its file with --patch FILE\): expected a release/,
  },
  // "a scenario's kernels: cannot name a user patch"
  ...(["check", "trace", "compare"] as const).map(
    (command): Case => ({
      name: `patch: a scenario's kernels: may name a loaded user patch (${command})`,
      setup: write("sc.yaml", SCENARIO.replace(/^kernels:.*$/m, "kernels: [v5.0+merge-on-same-origin]")),
      args: [command, "sc.yaml", "--property", "all-replied", "--patch", EXAMPLE, ...(command === "compare" ? ["--json"] : [])],
      code: command === "compare" ? 0 : 1,
      oneLine: false,
      err: /^$/,
      out: command === "compare" ? /"v5\.0\+merge-on-same-origin"/ : command === "trace" ? /lost/ : /v5\.0\+merge-on-same-origin/,
    }),
  ),
  {
    name: "patch: a scenario's kernels: naming a user patch not loaded is one line with the --patch hint",
    setup: write("sc.yaml", SCENARIO.replace(/^kernels:.*$/m, "kernels: [v5.0+merge-on-same-origin]")),
    args: ["check", "sc.yaml"],
    code: 2,
    out: "",
    err: /^conntrack-mc: sc\.yaml: kernels\[0\]: unknown patch 'merge-on-same-origin' .*load its file with --patch FILE/,
  },
];
