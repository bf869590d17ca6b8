/**
 * Adversarial cases for command-line arguments, scenario files and claim
 * files: see harness.ts. Each name says which part of issue 12's "What was
 * seen" it covers. Bad files are written in the case's folder; `after` checks
 * the folder holds exactly what setup wrote (no RESULTS.md, no temporary).
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { expect } from "vitest";
import { cli, REPO, type Case, type Run } from "./harness.js";

const NOBODY = 65534;
const IS_ROOT = process.getuid?.() === 0;

/** A valid scenario, as data to spoil. */
const BASE = parseYaml(readFileSync(join(REPO, "models/dns-a-aaaa.yaml"), "utf8")) as Record<string, unknown>;

/** Every file under `dir`, relative, sorted (folders end in /). */
function tree(dir: string, sub = ""): string[] {
  return readdirSync(join(dir, sub))
    .sort()
    .flatMap((f) => {
      const rel = sub ? `${sub}/${f}` : f;
      let isDir = false;
      try {
        isDir = statSync(join(dir, rel)).isDirectory();
      } catch {
        // a broken or looping symlink: a leaf
      }
      return isDir ? [`${rel}/`, ...tree(dir, rel)] : [rel];
    });
}

/** setup writes files; after checks nothing was added, removed or changed. */
function fixed(write: (dir: string) => void): Pick<Case, "setup" | "after"> {
  let before: string[] = [];
  const snapshot = (d: string): string[] =>
    tree(d).map((f) => {
      try {
        return f.endsWith("/") ? f : `${f}=${readFileSync(join(d, f), "hex")}`;
      } catch {
        return f;
      }
    });
  return {
    setup: (d) => {
      write(d);
      before = snapshot(d);
    },
    after: (d) => expect(snapshot(d), "nothing written").toEqual(before),
  };
}

const scenario = (name: string, data: unknown) => (d: string) =>
  writeFileSync(join(d, name), name.endsWith(".json") ? JSON.stringify(data) : stringify(data));

/** A one-line error: exit 2, the fragment, nothing on stdout, nothing written. */
function bad(name: string, args: readonly string[] | ((d: string) => readonly string[]), err: RegExp, write: (d: string) => void = () => {}): Case {
  return { name: `input: ${name}`, args, code: 2, err, out: "", ...fixed(write) };
}

/** A message with no raw control byte, and the byte shown escaped. */
function escaped(_d: string, r: Run): void {
  expect(r.err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  expect(r.err).toContain("\\x1b");
}

const CHECK = ["check", "dns-a-aaaa"];
const COMMANDS = ["check", "compare", "trace", "prove", "live", "list"] as const;

/** A claim file's text. */
const claim = (fields: Record<string, unknown>): string =>
  stringify({ claim: "x", scenario: "dns-a-aaaa", kernel: "v5.0", expect: "holds", why: "because", ...fields });

/** Claims in `claims/`, proved with `prove --dir claims`: on a bad claim no RESULTS.md appears there. */
function badClaim(name: string, files: Record<string, string>, err: RegExp): Case {
  return bad(name, ["prove", "--dir", "claims"], err, (d) => {
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(d, "claims", f, ".."), { recursive: true });
      writeFileSync(join(d, "claims", f), text);
    }
  });
}

/** The --json report of a scenario file, less what names the file and what varies run to run (time, memory). */
function report(out: string): unknown {
  const j = JSON.parse(out) as Record<string, unknown>;
  for (const k of Object.keys(j)) if (/^scenarioFile$|^command$|seconds|PerSecond|memory/i.test(k)) delete j[k];
  return j;
}

export const INPUT_CASES: readonly Case[] = [
  // Issue 33, "Input".
  bad("list extra: refused, not ignored", ["list", "extra"], /^conntrack-mc: list: unexpected argument 'extra': list takes only --json/),
  bad("--kernel ' v4.19 ' (spaces around it): refused", [...CHECK, "--kernel", " v4.19 "], /^conntrack-mc: --kernel: ' v4\.19 ': expected a kernel name without spaces around it/),
  bad("--workers 2 --order dfs: refused, not one worker silently", [...CHECK, "--workers", "2", "--order", "dfs"], /^conntrack-mc: --workers 2: a depth-first search \(--order dfs\) runs on one thread/),
  // --help and -h: the command's usage on stdout, exit 0.
  ...COMMANDS.flatMap((cmd): Case[] =>
    ["--help", "-h"].map((flag) => ({
      name: `input: ${cmd} ${flag} prints its usage (was "Unknown option", exit 2)`,
      args: [cmd, flag],
      code: 0,
      out: new RegExp(`^usage: conntrack-mc ${cmd} `),
      err: /^$/,
      ...fixed(() => {}),
    })),
  ),

  // Numbers are parsed strictly; a negative number is the option's value, then rejected.
  bad("--max-states -5 is its value, rejected (said ambiguous)", [...CHECK, "--max-states", "-5"], /^conntrack-mc: --max-states: expected a whole number of at least 1, got '-5'$/m),
  bad("--max-seconds -1.5 is its value, rejected", [...CHECK, "--max-seconds", "-1.5"], /^conntrack-mc: --max-seconds: expected a number greater than 0, got '-1\.5'$/m),
  bad("compare --max-states -5 is its value, rejected", ["compare", "dns-a-aaaa", "--max-states", "-5"], /^conntrack-mc: --max-states: expected a whole number of at least 1, got '-5'$/m),
  bad("--max-seconds 0x10 is not a number (was 16 s)", [...CHECK, "--max-seconds", "0x10"], /^conntrack-mc: --max-seconds: expected a number greater than 0, got '0x10'$/m),
  bad("--max-seconds 1e3 is not a decimal", [...CHECK, "--max-seconds", "1e3"], /--max-seconds: expected a number greater than 0, got '1e3'/),
  bad("--max-seconds Infinity is refused", [...CHECK, "--max-seconds", "Infinity"], /--max-seconds: expected a number greater than 0, got 'Infinity'/),
  bad("--max-seconds ' 5' with whitespace is refused", [...CHECK, "--max-seconds", " 5"], /--max-seconds: expected a number greater than 0, got ' 5'/),
  bad("--max-memory 0x100 is not a number", [...CHECK, "--max-memory", "0x100"], /--max-memory: expected a number greater than 0, got '0x100'/),
  bad("--max-states 1e3 is not a whole number", [...CHECK, "--max-states", "1e3"], /--max-states: expected a whole number of at least 1, got '1e3'/),
  bad("--workers 0x2 is not a whole number", [...CHECK, "--workers", "0x2"], /--workers: expected a whole number of at least 1, got '0x2'/),
  bad("live --tries -3 is its value, rejected", ["live", "dns-a-aaaa", "--tries", "-3"], /^conntrack-mc: --tries: expected a whole number of at least 1, got '-3'$/m),
  bad("--kernel followed by an option is a missing value", [...CHECK, "--kernel", "--json"], /^conntrack-mc: --kernel: expected a value after it, got the option '--json'/),
  bad("--kernel at the end is a missing value", [...CHECK, "--kernel"], /^conntrack-mc: --kernel: expected a value after it$/m),
  bad("--json=yes: a switch takes no value", [...CHECK, "--json=yes"], /^conntrack-mc: --json: takes no value, got 'yes'$/m),

  // A repeated single-valued flag is an error; --patch stays repeatable.
  bad("--kernel given twice (took the last)", [...CHECK, "--kernel", "v5.0", "--kernel", "v4.19"], /^conntrack-mc: --kernel: given twice \('v5\.0', 'v4\.19'\): expected one value$/m),
  bad("-k and --kernel given together", [...CHECK, "-k", "v5.0", "--kernel=v4.19"], /^conntrack-mc: --kernel: given twice \('v5\.0', 'v4\.19'\): expected one value$/m),
  bad("--max-states given twice", [...CHECK, "--max-states", "5", "--max-states", "6"], /^conntrack-mc: --max-states: given twice \('5', '6'\): expected one value$/m),
  bad("--json given twice", [...CHECK, "--json", "--json"], /^conntrack-mc: --json: given twice: expected it once$/m),
  {
    name: "input: --patch stays repeatable (two patch files reach the patch loader)",
    args: [...CHECK, "--patch", "a.mjs", "--patch", "b.mjs"],
    code: 2,
    err: /a\.mjs/,
    out: "",
    after: (_d, r) => expect(r.err).not.toMatch(/given twice/),
  },

  // Unknown options get the nearest one.
  bad("an unknown option gets 'did you mean'", [...CHECK, "--kernal", "v5.0"], /^conntrack-mc: --kernal: unknown option: did you mean '--kernel'\?$/m),
  bad("an unknown option far from any is pointed at --help", [...CHECK, "--frobnicate"], /^conntrack-mc: --frobnicate: unknown option \(see --help\)$/m),

  // --kernel '' names --kernel, not the scenario's kernels[0].
  bad("--kernel '' names --kernel (blamed kernels[0])", [...CHECK, "--kernel", ""], /^conntrack-mc: --kernel: expected a kernel variant such as v5\.0, got ''$/m),
  bad("trace --kernel= names --kernel", ["trace", "dns-a-aaaa", "--kernel="], /^conntrack-mc: --kernel: expected a kernel variant such as v5\.0, got ''$/m),

  // prove --results names --results.
  {
    name: "input: prove --results into a missing folder names --results (said --out)",
    args: ["prove", "--dir", "claims", "--results", "nowhere/R.md"],
    code: 2,
    err: /^conntrack-mc: --results\b/,
    out: "",
    ...fixed((d) => {
      mkdirSync(join(d, "claims"));
      writeFileSync(join(d, "claims/c.yaml"), claim({ budget: { "max-states": 3 } }));
    }),
  },

  // Claim errors name the claim file; a relative scenario is the claim folder's.
  badClaim("a claim's bad field starts with the claim file", { "c.yaml": claim({ expect: "hold" }) }, /^conntrack-mc: claims\/c\.yaml: expect: expected one of holds, violated, got 'hold'$/m),
  badClaim("a claim's unknown key gets 'did you mean'", { "c.yaml": claim({ kernal: "v5.0" }) }, /^conntrack-mc: claims\/c\.yaml: kernal: unknown key: did you mean 'kernel'\?$/m),
  badClaim("a claim's unknown budget key gets 'did you mean'", { "c.yaml": claim({ budget: { "max-state": 3 } }) }, /^conntrack-mc: claims\/c\.yaml: budget\.max-state: unknown key: did you mean 'max-states'\?$/m),
  badClaim("a claim naming no built-in scenario starts with the claim file", { "c.yaml": claim({ scenario: "dns-a-aaa" }) }, /^conntrack-mc: claims\/c\.yaml: scenario: no built-in scenario 'dns-a-aaa'/),
  badClaim("a claim's missing relative scenario is looked for in the claim's folder", { "c.yaml": claim({ scenario: "gone.yaml" }) }, /^conntrack-mc: claims\/c\.yaml: scenario: no such file 'claims\/gone\.yaml'$/m),
  badClaim(
    "a claim's bad scenario file starts with the claim file",
    { "c.yaml": claim({ scenario: "sc/s.yaml" }), "sc/s.yaml": stringify({ ...BASE, cpus: 0 }) },
    /^conntrack-mc: claims\/c\.yaml: scenario: claims\/sc\/s\.yaml: cpus: expected at least 1, got 0$/m,
  ),
  badClaim("a claim's unknown kernel starts with the claim file", { "c.yaml": claim({ kernel: "v9" }) }, /^conntrack-mc: claims\/c\.yaml: kernel: unknown kernel variant 'v9'/),
  badClaim("a claim file that is not YAML starts with the claim file", { "c.yaml": "claim: [unclosed\n" }, /^conntrack-mc: claims\/c\.yaml: not valid YAML: /),
  badClaim("two problems in a claim are both reported", { "c.yaml": claim({ expect: "hold", why: "" }) }, /^conntrack-mc: claims\/c\.yaml: expect: expected one of holds, violated, got 'hold'; why: expected a non-empty string$/m),
  bad("a mistyped claim name gets 'did you mean'", ["prove", "race1-fixed-by-93796"], /^conntrack-mc: claim: no claim 'race1-fixed-by-93796' in .*: did you mean 'race1-fixed-by-937963'\?$/m, () => {}),
  badClaim("x.yaml and x.yml are one claim id twice", { "c.yaml": claim({}), "c.yml": claim({}) }, /^conntrack-mc: claims\/c\.yml: claim 'c' is also claims\/c\.yaml/),
  {
    name: "input: a claim's relative scenario path is resolved against the claim's folder, not the working directory",
    args: ["prove", "--dir", "claims", "--json"],
    setup: (d) => {
      mkdirSync(join(d, "claims/sc"), { recursive: true });
      writeFileSync(join(d, "claims/sc/s.yaml"), stringify(BASE));
      writeFileSync(join(d, "claims/c.yaml"), claim({ scenario: "sc/s.yaml", budget: { "max-states": 3 } }));
    },
    code: 3,
    out: /"claim": "c"/,
    after: (d, r) => {
      const [res] = JSON.parse(r.out) as { scenario: string; outcome: string }[];
      // Written as the claim file names it, so RESULTS.md is the same from any folder.
      expect(res).toEqual(expect.objectContaining({ scenario: "sc/s.yaml", outcome: "incomplete" }));
      expect(readFileSync(join(d, "claims/RESULTS.md"), "utf8")).toMatch(/\| \*\*c\*\*: x \| sc\/s\.yaml \|/);
    },
  },

  // Files that cannot be read say why, not "no such file".
  bad("a symlink loop is ELOOP (said no such file)", [...CHECK.slice(0, 1), "loop.yaml"], /^conntrack-mc: scenario: cannot read 'loop\.yaml': too many levels of symbolic links \(ELOOP\)$/m, (d) =>
    symlinkSync("loop.yaml", join(d, "loop.yaml")),
  ),
  bad("a file as a parent folder is ENOTDIR", ["check", "f/s.yaml"], /^conntrack-mc: scenario: cannot read 'f\/s\.yaml': a part of the path is not a folder \(ENOTDIR\)$/m, (d) =>
    writeFileSync(join(d, "f"), ""),
  ),
  bad("a folder given as a scenario is EISDIR", ["check", "d.yaml"], /^conntrack-mc: scenario: cannot read 'd\.yaml': it is a folder \(EISDIR\)/, (d) => mkdirSync(join(d, "d.yaml"))),
  bad("a dangling symlink says so", ["check", "dangling.yaml"], /^conntrack-mc: scenario: cannot read 'dangling\.yaml': a symbolic link to a file that does not exist \(ENOENT\)$/m, (d) =>
    symlinkSync("nowhere.yaml", join(d, "dangling.yaml")),
  ),
  bad("a missing file is still 'no such file'", ["check", "missing.yaml"], /^conntrack-mc: scenario: no such file 'missing\.yaml'$/m),
  bad("an endless device is refused by size, not read into memory", ["check", "/dev/zero"], /^conntrack-mc: scenario: cannot read '\/dev\/zero': larger than 1 MiB \(EFBIG\)$/m),
  {
    name: "input: an unreadable parent folder is EACCES (said no such file), run as nobody",
    asNobody: true,
    command: () => ({ file: "setpriv", args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, join(REPO, "bin/conntrack-mc.js"), "check", "locked/s.yaml"] }),
    args: [],
    code: 2,
    err: /^conntrack-mc: scenario: cannot read 'locked\/s\.yaml': permission denied \(EACCES\)$/m,
    out: "",
    ...fixed((d) => {
      chmodSync(d, 0o755);
      mkdirSync(join(d, "locked"), { mode: 0o700 });
      writeFileSync(join(d, "locked/s.yaml"), stringify(BASE));
    }),
  },
  {
    name: "input: an unreadable file is EACCES, run as nobody",
    asNobody: true,
    command: () => ({ file: "setpriv", args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, join(REPO, "bin/conntrack-mc.js"), "check", "s.yaml"] }),
    args: [],
    code: 2,
    err: /^conntrack-mc: scenario: cannot read 's\.yaml': permission denied \(EACCES\)$/m,
    out: "",
    ...fixed((d) => {
      chmodSync(d, 0o755);
      writeFileSync(join(d, "s.yaml"), stringify(BASE), { mode: 0o600 });
    }),
  },
  // Without root's bypass the mode alone denies it (CI runs as root: the cases above cover it there).
  ...(IS_ROOT
    ? []
    : [bad("an unreadable file is EACCES", ["check", "s.yaml"], /^conntrack-mc: scenario: cannot read 's\.yaml': permission denied \(EACCES\)$/m, (d) => writeFileSync(join(d, "s.yaml"), stringify(BASE), { mode: 0 }))]),

  // A UTF-8 byte-order mark is skipped: the file checks as it does without one.
  ...(["json", "yaml"] as const).map(
    (ext): Case => ({
      name: `input: a .${ext} scenario with a UTF-8 BOM is read (JSON was rejected)`,
      setup: (d) => {
        const text = ext === "json" ? JSON.stringify(BASE) : stringify(BASE);
        writeFileSync(join(d, `plain.${ext}`), text);
        writeFileSync(join(d, `bom.${ext}`), `\uFEFF${text}`);
      },
      args: ["check", `bom.${ext}`, "--max-states", "3", "--json"],
      code: 3,
      out: /"scenario": "dns-a-aaaa"/,
      after: (d, r) => {
        const plain = cli(d, "check", `plain.${ext}`, "--max-states", "3", "--json");
        expect(report(r.out)).toEqual(report(plain.out));
      },
    }),
  ),
  badClaim("a claim file with a UTF-8 BOM is read (its error is the field's)", { "c.yaml": `\uFEFF${claim({ kernel: "v9" })}` }, /^conntrack-mc: claims\/c\.yaml: kernel: unknown kernel variant 'v9'/),

  // Control bytes from a file are shown escaped, never raw.
  {
    ...bad("an ESC byte in a scenario value is escaped in the message", ["check", "e.yaml"], /^conntrack-mc: e\.yaml: protocol: expected one of udp, tcp, icmp, gre, generic, got '\\x1b\[31mudp'$/m, (d) =>
      writeFileSync(join(d, "e.yaml"), stringify({ ...BASE, protocol: "\u001b[31mudp" })),
    ),
    after: escaped,
  },
  {
    ...bad("an ESC byte in a scenario key is escaped in the message", ["check", "e.json"], /^conntrack-mc: e\.json: \\x1b\]0;pwn\\x07: unknown key/m, (d) =>
      writeFileSync(join(d, "e.json"), JSON.stringify({ ...BASE, "\u001b]0;pwn\u0007": 1 })),
    ),
    after: escaped,
  },
  {
    ...bad("an ESC byte in a claim key is escaped in the message", ["prove", "--dir", "claims"], /^conntrack-mc: claims\/c\.yaml: \\x1b\[2Jkernel: unknown key/m, (d) => {
      mkdirSync(join(d, "claims"));
      writeFileSync(join(d, "claims/c.yaml"), claim({ "\u001b[2Jkernel": "v5.0" }));
    }),
    after: escaped,
  },

  // Unions and enums list their valid forms.
  bad("snat: a wrong form lists the valid forms (said Invalid input)", ["check", "s.yaml"], /^conntrack-mc: s\.yaml: snat: expected none, null-binding, or \{ mode: masquerade, to: <IPv4>, ports\?: min-max, random-fully\?: bool \}$/m, scenario("s.yaml", { ...BASE, snat: "masq" })),
  bad("snat: a masquerade without 'to' names snat.to", ["check", "s.yaml"], /^conntrack-mc: s\.yaml: snat\.to: missing: expected an IPv4 address such as 10\.96\.0\.10$/m, scenario("s.yaml", { ...BASE, snat: { mode: "masquerade" } })),
  bad("protocol: an unknown one lists udp, tcp, icmp, gre, generic", ["check", "s.yaml"], /^conntrack-mc: s\.yaml: protocol: expected one of udp, tcp, icmp, gre, generic, got 'sctp'$/m, scenario("s.yaml", { ...BASE, protocol: "sctp" })),
  bad("dnat.choice: an unknown one lists the choices", ["check", "s.yaml"], /^conntrack-mc: s\.yaml: dnat\.choice: expected one of random, consistent, got 'hash'$/m, scenario("s.yaml", { ...BASE, dnat: { endpoints: ["10.244.1.7:53"], choice: "hash" } })),
  bad("cpus: a wrong type says what it got", ["check", "s.json"], /^conntrack-mc: s\.json: cpus: expected a number, got 'two'$/m, scenario("s.json", { ...BASE, cpus: "two" })),

  // Unknown keys get the closest valid key at their level.
  bad("packets[0].cpus gets 'did you mean cpu'", ["check", "s.yaml"], /^conntrack-mc: s\.yaml: packets\[0\]\.cpu: missing: expected a number; packets\[0\]\.cpus: unknown key: did you mean 'cpu'\?$/m, scenario("s.yaml", { ...BASE, packets: [{ name: "A", cpus: 0 }, { name: "AAAA", cpu: 1 }] })),
  bad("nat_table gets 'did you mean nat-table'", ["check", "s.json"], /^conntrack-mc: s\.json: nat-table: missing: expected true or false; nat_table: unknown key: did you mean 'nat-table'\?$/m, (d) => {
    const { "nat-table": nt, ...rest } = BASE;
    scenario("s.json", { ...rest, nat_table: nt })(d);
  }),
  bad("dnat.endpoint gets 'did you mean endpoints'", ["check", "s.yaml"], /dnat\.endpoint: unknown key: did you mean 'endpoints'\?/, scenario("s.yaml", { ...BASE, dnat: { endpoint: ["10.244.1.7:53"], endpoints: ["10.244.1.7:53"], choice: "random" } })),
  bad("an unknown key far from any lists the valid keys", ["check", "s.yaml"], /^conntrack-mc: s\.yaml: colour: unknown key: expected one of name, description, protocol, /m, scenario("s.yaml", { ...BASE, colour: "red" })),

  // Every problem is reported, "; " between them, at most 5 then a count.
  bad("two problems are both reported (said 'and 1 more')", ["check", "s.yaml"], /^conntrack-mc: s\.yaml: protocol: expected one of udp, tcp, icmp, gre, generic, got 'sctp'; cpus: expected at most 32, got 64$/m, scenario("s.yaml", { ...BASE, protocol: "sctp", cpus: 64 })),
  bad("seven problems: five spelled out, then (and 2 more)", ["check", "s.yaml"], /^conntrack-mc: s\.yaml: (?:[^;]+; ){4}[^;]+ \(and 2 more\)$/m, scenario("s.yaml", { ...BASE, protocol: 1, cpus: 0, "nat-table": 2, client: 3, service: 4, snat: 5, kernels: 6 })),
];
