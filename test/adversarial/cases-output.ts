/**
 * Adversarial cases for output files (`--out`, `--results`): see harness.ts.
 * Every bullet is from issue 12's first "What was seen" item: `--out`
 * replaced its target by rename. The content a file must hold is always what
 * the same command prints on stdout, never written here by hand.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { CLI, cli, REPO, type Case } from "./harness.js";

const TRACE = ["trace", "dns-a-aaaa", "--kernel", "v4.19"];
const TRACE_JSON = [...TRACE, "--format", "json"];
const COMPARE = ["compare", "dns-a-aaaa", "--kernels", "v4.19,v5.0"];
const NOBODY = 65534;

/** What the command prints on stdout without `--out` (run once per argument list). */
const printed = new Map<string, string>();
function reference(dir: string, args: readonly string[]): string {
  const key = args.join("\0");
  let out = printed.get(key);
  if (out === undefined) {
    const r = cli(dir, ...args);
    expect(r.code, r.err).toBe(args[0] === "trace" ? 1 : 0);
    out = r.out;
    expect(out.length).toBeGreaterThan(0);
    printed.set(key, out);
  }
  return out;
}

/** A shell script (under `prefix`, e.g. unshare) in which "$1" "$2" run the CLI: node and its script. */
const RUN = `"$1" "$2"`;
const sh =
  (script: string, ...prefix: string[]) =>
  () => {
    const argv = [...prefix, "sh", "-c", script, "sh", process.execPath, CLI];
    return { file: argv[0] ?? "sh", args: argv.slice(1) };
  };
const asNobody = (args: readonly string[]) => () => ({
  file: "setpriv",
  args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, CLI, ...args],
});
const read = (dir: string, f: string): string => readFileSync(join(dir, f), "utf8");
const ls = (dir: string, sub = "."): string[] => readdirSync(join(dir, sub)).sort();

const MODEL = join(REPO, "models/dns-a-aaaa.yaml");

export const OUTPUT_CASES: readonly Case[] = [
  // Issue 33, "Data loss": a built-in scenario's own file given by name, and two outputs of one run on one file.
  {
    name: "output: trace dns-a-aaaa --out models/dns-a-aaaa.yaml (the scenario, given by name) is refused, the model kept",
    setup: (d) => writeFileSync(join(d, "model-before.yaml"), readFileSync(MODEL)),
    args: [...TRACE, "--out", MODEL],
    code: 2,
    out: "",
    err: /--out .*models\/dns-a-aaaa\.yaml: it is an input of this run \(dns-a-aaaa\)/,
    after: (d) => expect(readFileSync(MODEL, "utf8")).toBe(read(d, "model-before.yaml")),
  },
  {
    name: "output: compare --out X --html X is refused before searching, nothing written",
    args: [...COMPARE, "--out", "x.txt", "--html", "x.txt"],
    code: 2,
    out: "",
    err: /--html x\.txt: it is another output of this run \(x\.txt\)/,
    after: (d) => expect(ls(d)).toEqual([]),
  },
  {
    name: "output: prove --results onto a claim file is refused, the claim kept",
    setup: (d) => {
      mkdirSync(join(d, "claims"));
      writeFileSync(join(d, "claims", "c.yaml"), "claim: c\nscenario: dns-a-aaaa\nkernel: v5.0\nexpect: holds\nwhy: because\n");
    },
    args: ["prove", "--dir", "claims", "--results", "claims/c.yaml"],
    code: 2,
    out: "",
    err: /--results claims\/c\.yaml: it is an input of this run/,
    after: (d) => {
      expect(read(d, "claims/c.yaml")).toMatch(/^claim: c\n/);
      expect(ls(d, "claims")).toEqual(["c.yaml"]);
    },
  },
  // A regular file: replaced atomically, keeping what it was.
  {
    name: "output: --out over a 0600 file owned by another user keeps mode 0600 and the owner (came back 0644)",
    setup: (d) => {
      writeFileSync(join(d, "t.txt"), "old\n");
      chmodSync(join(d, "t.txt"), 0o600);
      chownSync(join(d, "t.txt"), NOBODY, NOBODY);
    },
    args: [...TRACE, "--out", "t.txt"],
    code: 1,
    out: "",
    after: (d) => {
      const st = statSync(join(d, "t.txt"));
      expect(st.mode & 0o7777).toBe(0o600);
      expect([st.uid, st.gid]).toEqual([NOBODY, NOBODY]);
      expect(read(d, "t.txt")).toBe(reference(d, TRACE));
      expect(ls(d), "no temporary left").toEqual(["t.txt"]);
    },
  },
  {
    name: "output: compare --out over a 0640 file replaces its content and keeps 0640, nothing else left",
    setup: (d) => {
      writeFileSync(join(d, "cmp.txt"), "old\n".repeat(5000));
      chmodSync(join(d, "cmp.txt"), 0o640);
    },
    args: [...COMPARE, "--out", "cmp.txt"],
    code: 0,
    out: "",
    after: (d) => {
      expect(statSync(join(d, "cmp.txt")).mode & 0o7777).toBe(0o640);
      expect(read(d, "cmp.txt")).toBe(reference(d, COMPARE));
      expect(ls(d)).toEqual(["cmp.txt"]);
    },
  },
  {
    name: "output: --out through a symlink writes the file it points to and the link stays a link (was replaced)",
    setup: (d) => {
      writeFileSync(join(d, "real.txt"), "old\n");
      symlinkSync("real.txt", join(d, "link"));
    },
    args: [...TRACE, "--out", "link"],
    code: 1,
    out: "",
    after: (d) => {
      expect(lstatSync(join(d, "link")).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(d, "link"))).toBe("real.txt");
      expect(read(d, "real.txt")).toBe(reference(d, TRACE));
      expect(ls(d)).toEqual(["link", "real.txt"]);
    },
  },
  {
    name: "output: --out through a dangling symlink creates the file it points to and keeps the link",
    setup: (d) => symlinkSync("new.txt", join(d, "link")),
    args: [...TRACE, "--out", "link"],
    code: 1,
    after: (d) => {
      expect(lstatSync(join(d, "link")).isSymbolicLink()).toBe(true);
      expect(read(d, "new.txt")).toBe(reference(d, TRACE));
      expect(ls(d)).toEqual(["link", "new.txt"]);
    },
  },
  {
    name: "output: --out on a file with two hard links keeps both names equal (the link was broken)",
    setup: (d) => {
      writeFileSync(join(d, "h1"), "old\n");
      linkSync(join(d, "h1"), join(d, "h2"));
    },
    args: [...TRACE, "--out", "h1"],
    code: 1,
    after: (d) => {
      const [a, b] = [statSync(join(d, "h1")), statSync(join(d, "h2"))];
      expect([a.ino, a.nlink]).toEqual([b.ino, 2]);
      expect(read(d, "h2")).toBe(reference(d, TRACE));
      expect(ls(d)).toEqual(["h1", "h2"]);
    },
  },
  {
    name: "output: --out on a hard-linked file longer than the new content cuts it to length",
    setup: (d) => {
      writeFileSync(join(d, "h1"), "x".repeat(100_000));
      linkSync(join(d, "h1"), join(d, "h2"));
    },
    args: [...TRACE, "--out", "h2"],
    code: 1,
    after: (d) => {
      expect(statSync(join(d, "h1")).nlink).toBe(2);
      expect(read(d, "h1")).toBe(reference(d, TRACE));
    },
  },
  // Not a regular file: written straight through, never replaced.
  {
    name: "output: --out to a FIFO gives its reader the bytes and it stays a FIFO (was replaced by a file)",
    setup: (d) => {
      expect(spawnSync("mkfifo", [join(d, "fifo")]).status).toBe(0);
    },
    args: [],
    command: sh(`cat fifo > got & ${RUN} ${TRACE.join(" ")} --out fifo; rc=$?; wait; exit $rc`),
    timeoutMs: 30_000,
    code: 1,
    out: "",
    after: (d) => {
      expect(lstatSync(join(d, "fifo")).isFIFO()).toBe(true);
      expect(read(d, "got")).toBe(reference(d, TRACE));
      expect(ls(d)).toEqual(["fifo", "got"]);
    },
  },
  {
    name: "output: --out=- prints the trace on stdout and creates no file",
    args: [...TRACE, "--out=-"],
    code: 1,
    after: (d, r) => {
      expect(r.out).toBe(reference(d, TRACE));
      expect(ls(d)).toEqual([]);
    },
  },
  {
    name: "output: --out - (a lone dash is stdout, not an option) prints the trace on stdout and creates no file",
    args: [...TRACE, "--out", "-"],
    code: 1,
    after: (d, r) => {
      expect(r.out).toBe(reference(d, TRACE));
      expect(ls(d)).toEqual([]);
    },
  },
  {
    name: "output: --out /dev/stdout prints the trace on stdout (did not work)",
    args: [...TRACE, "--out", "/dev/stdout"],
    code: 1,
    after: (d, r) => expect(r.out).toBe(reference(d, TRACE)),
  },
  {
    name: "output: --out /dev/stdout with stdout redirected to a file writes through that file",
    args: [],
    command: sh(`${RUN} ${TRACE.join(" ")} --out /dev/stdout > got`),
    code: 1,
    after: (d) => {
      expect(read(d, "got")).toBe(reference(d, TRACE));
      expect(ls(d)).toEqual(["got"]);
    },
  },
  {
    name: "output: --out /dev/fd/3 writes to the open descriptor 3",
    args: [],
    command: sh(`${RUN} ${COMPARE.join(" ")} --out /dev/fd/3 3> got`),
    code: 0,
    out: "",
    after: (d) => expect(read(d, "got")).toBe(reference(d, COMPARE)),
  },
  {
    name: "output: --out /dev/fd/200, a descriptor that is not open, is exit 2 naming it (EBADF)",
    args: [...TRACE, "--out", "/dev/fd/200"],
    code: 2,
    err: /^conntrack-mc: --out \/dev\/fd\/200: cannot write: bad file descriptor \(EBADF\)\n$/,
    out: "",
  },
  {
    name: "output: --out /dev/fd/N naming the runtime's own event or pipe descriptors is refused, never a crash",
    args: [],
    // Writing into libuv's own pipes made node die of SIGSEGV (exit 139).
    command: sh(`for n in $(seq 3 24); do ${RUN} ${TRACE.join(" ")} --out /dev/fd/$n > /dev/null 2>> errs; echo "$n $?"; done`),
    timeoutMs: 120_000,
    code: 0,
    out: /^(?:\d+ 2\n){22}$/,
    after: (d) => {
      const lines = read(d, "errs").trimEnd().split("\n");
      expect(lines).toHaveLength(22);
      for (const l of lines) expect(l).toMatch(/^conntrack-mc: --out \/dev\/fd\/\d+: cannot write: .+ \(EBADF\)$/);
      expect(lines.some((l) => /conntrack-mc's own/.test(l)), "some are the runtime's own").toBe(true);
    },
  },
  {
    name: "output: --out /dev/full reports ENOSPC, exit 2, and /dev/full stays the device (was turned into a file)",
    args: [],
    // A private mount namespace with its own /dev: the host's device nodes are never at risk.
    command: sh(
      `mount -t tmpfs tmpfs /dev && mknod /dev/full c 1 7 && { ${RUN} ${TRACE.join(" ")} --out /dev/full; rc=$?; stat -c "%F %t,%T" /dev/full; ls -A /dev; exit $rc; }`,
      "unshare",
      "-m",
    ),
    code: 2,
    err: /^conntrack-mc: --out \/dev\/full: cannot write: no space left on device \(ENOSPC\)\n$/,
    out: /^character special file 1,7\nfull\n$/,
  },
  // The temporary: unpredictable, exclusive, never followed.
  {
    name: "output: symlinks planted as <out>.<pid>.tmp cannot redirect the write (the temporary was predictable and followed)",
    setup: (d) => {
      mkdirSync(join(d, "w"));
      mkdirSync(join(d, "outside"));
      writeFileSync(join(d, "outside", "victim"), "victim\n");
      // In its own pid namespace the CLI is pid 1: every name the old scheme could pick is planted.
      for (let pid = 1; pid <= 64; pid++) {
        symlinkSync(pid % 2 ? "../outside/victim" : `../outside/stolen-${pid}`, join(d, "w", `out.txt.${pid}.tmp`));
      }
    },
    args: [],
    command: () => ({ file: "unshare", args: ["-p", "-f", "--mount-proc", process.execPath, CLI, ...TRACE, "--out", "w/out.txt"] }),
    code: 1,
    out: "",
    after: (d) => {
      expect(read(d, "outside/victim")).toBe("victim\n");
      expect(ls(d, "outside"), "no file outside the folder touched").toEqual(["victim"]);
      expect(lstatSync(join(d, "w", "out.txt")).isFile()).toBe(true);
      expect(read(d, "w/out.txt")).toBe(reference(d, TRACE));
      const planted = ls(d, "w").filter((f) => f !== "out.txt");
      expect(planted, "the planted links are all still there, and no temporary").toHaveLength(64);
      for (const f of planted) expect(lstatSync(join(d, "w", f)).isSymbolicLink()).toBe(true);
    },
  },
  // Write errors: one line, exit 2, the old file intact, nothing left behind.
  {
    name: "output: --out somefile/x (a path under a file) is exit 2 with ENOTDIR and leaves nothing",
    setup: (d) => writeFileSync(join(d, "somefile"), "keep\n"),
    args: [...TRACE, "--out", "somefile/x"],
    code: 2,
    err: /^conntrack-mc: --out somefile\/x: cannot write: not a directory \(ENOTDIR\)\n$/,
    out: "",
    after: (d) => {
      expect(read(d, "somefile")).toBe("keep\n");
      expect(ls(d)).toEqual(["somefile"]);
    },
  },
  {
    name: "output: --out into a missing folder is exit 2 with ENOENT and creates nothing",
    args: [...COMPARE, "--out", "no/such/c.txt"],
    code: 2,
    err: /^conntrack-mc: --out no\/such\/c\.txt: cannot write: no such file or directory \(ENOENT\)\n$/,
    out: "",
    after: (d) => expect(ls(d)).toEqual([]),
  },
  {
    name: "output: --out naming a folder is exit 2 with EISDIR and the folder is untouched",
    setup: (d) => {
      mkdirSync(join(d, "sub"));
      writeFileSync(join(d, "sub", "keep"), "keep\n");
    },
    args: [...TRACE, "--out", "sub"],
    code: 2,
    err: /^conntrack-mc: --out sub: cannot write: illegal operation on a directory \(EISDIR\)\n$/,
    after: (d) => {
      expect(statSync(join(d, "sub")).isDirectory()).toBe(true);
      expect(ls(d)).toEqual(["sub"]);
      expect(ls(d, "sub")).toEqual(["keep"]);
    },
  },
  {
    name: "output: --out in a read-only bind mount is exit 2 with EROFS and the old file is intact",
    setup: (d) => {
      mkdirSync(join(d, "ro"));
      writeFileSync(join(d, "ro", "old.txt"), "keep\n");
    },
    args: [],
    command: sh(
      `mount --bind ro ro && mount -o remount,ro,bind ro && exec ${RUN} ${TRACE.join(" ")} --out ro/old.txt`,
      "unshare",
      "-m",
    ),
    code: 2,
    err: /^conntrack-mc: --out ro\/old\.txt: cannot write: read-only file system \(EROFS\)\n$/,
    out: "",
    after: (d) => {
      expect(read(d, "ro/old.txt")).toBe("keep\n");
      expect(ls(d, "ro")).toEqual(["old.txt"]);
    },
  },
  {
    name: "output: --out on a full disk is exit 2 with ENOSPC, the old file intact and no temporary left",
    setup: (d) => mkdirSync(join(d, "small")),
    args: [],
    command: sh(
      `mount -t tmpfs -o size=64k tmpfs small && cd small && printf old > out.txt && { dd if=/dev/zero of=fill bs=4k 2>/dev/null; ${RUN} ${TRACE_JSON.join(" ")} --out out.txt; rc=$?; echo "content=$(cat out.txt)"; ls -A; exit $rc; }`,
      "unshare",
      "-m",
    ),
    code: 2,
    err: /^conntrack-mc: --out out\.txt: cannot write: no space left on device \(ENOSPC\)\n$/,
    out: /^content=old\nfill\nout\.txt\n$/,
  },
  {
    name: "output: --out on a hard-linked file on a full disk is exit 2 with ENOSPC and both names keep the old content",
    setup: (d) => mkdirSync(join(d, "small")),
    args: [],
    command: sh(
      `mount -t tmpfs -o size=64k tmpfs small && cd small && printf old > h1 && ln h1 h2 && { dd if=/dev/zero of=fill bs=4k 2>/dev/null; ${RUN} ${TRACE_JSON.join(" ")} --out h1; rc=$?; echo "content=$(cat h2)"; ls -A; exit $rc; }`,
      "unshare",
      "-m",
    ),
    code: 2,
    err: /^conntrack-mc: --out h1: cannot write: no space left on device \(ENOSPC\)\n$/,
    out: /^content=old\nfill\nh1\nh2\n$/,
  },
  {
    name: "output: --out in a folder the user may not write is exit 2 with EACCES and creates nothing",
    setup: (d) => {
      chmodSync(d, 0o755);
      mkdirSync(join(d, "locked"), 0o755);
    },
    args: [],
    asNobody: true,
    command: asNobody([...TRACE, "--out", "locked/new.txt"]),
    code: 2,
    err: /^conntrack-mc: --out locked\/new\.txt: cannot write: permission denied \(EACCES\)\n$/,
    out: "",
    after: (d) => expect(ls(d, "locked")).toEqual([]),
  },
  {
    name: "output: --out over a read-only file in a writable folder is exit 2 with EACCES and the file is intact",
    setup: (d) => {
      chmodSync(d, 0o777);
      writeFileSync(join(d, "ro.txt"), "keep\n", { mode: 0o444 });
      chownSync(join(d, "ro.txt"), NOBODY, NOBODY);
    },
    args: [],
    asNobody: true,
    command: asNobody([...TRACE, "--out", "ro.txt"]),
    code: 2,
    err: /^conntrack-mc: --out ro\.txt: cannot write: permission denied \(EACCES\)\n$/,
    after: (d) => {
      expect(read(d, "ro.txt")).toBe("keep\n");
      expect(ls(d)).toEqual(["ro.txt"]);
    },
  },
  {
    name: "output: --out over a writable file in a folder the user cannot create in writes it in place",
    setup: (d) => {
      chmodSync(d, 0o755);
      writeFileSync(join(d, "shared.txt"), "old\n");
      chmodSync(join(d, "shared.txt"), 0o666);
    },
    args: [],
    asNobody: true,
    command: asNobody([...TRACE, "--out", "shared.txt"]),
    code: 1,
    out: "",
    after: (d) => {
      expect(read(d, "shared.txt")).toBe(reference(d, TRACE));
      expect(statSync(join(d, "shared.txt")).uid).toBe(0);
      expect(ls(d)).toEqual(["shared.txt"]);
    },
  },
  // Errors name the flag that was given.
  {
    name: "output: prove --results into a missing folder names --results (said --out)",
    args: ["prove", "no-nat-drops-on-v4.6", "--results", "no/such/R.md"],
    code: 2,
    err: /^conntrack-mc: --results no\/such\/R\.md: cannot write: no such file or directory \(ENOENT\)\n$/,
    out: "",
    after: (d) => expect(ls(d)).toEqual([]),
  },
];
