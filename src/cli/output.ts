/**
 * Writing results (`--out`, `--results`): stdout, a stream written straight
 * through, or a regular file replaced whole or not at all.
 *
 * - `-`, /dev/stdout, /dev/stderr, /dev/fd/N: the process's own stream or descriptor
 *   (but never one of node's internal descriptors: writing into those crashes it).
 * - Not a regular file (a device, a FIFO, a socket): opened and written in
 *   place; never replaced, so /dev/full stays a device and a FIFO's reader gets the bytes.
 * - A regular file, or a new path: written to an exclusive temporary with a
 *   random name in the same folder, fsynced, given the old file's mode (and
 *   owner, as root), then renamed over the target. A symlink is followed: its
 *   target is replaced and the link kept.
 * - A regular file with several hard links (or one we may write but not
 *   replace: another owner's, or in a folder we cannot create in) is written
 *   in place, so every name sees the new content: the bytes past the old end
 *   are written first, so a full disk fails before any old byte is touched;
 *   then the old bytes are overwritten and the file cut to length. This is not
 *   atomic for a reader at the same moment, the price of keeping the links.
 *
 * Any failure is an InputError naming the flag, the file and the reason in
 * words; the old file is left as it was and no temporary is left behind.
 */
import { randomBytes } from "node:crypto";
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { getSystemErrorMap } from "node:util";
import { InputError, isInputError } from "../errors.js";
import { MODELS_DIR } from "../paths.js";
import { builtinScenarioNames, isScenarioPath } from "../scenario/registry.js";

const { O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_NOCTTY, O_RDONLY, W_OK } = constants;

/** Refuses an output name that names no file, before any search runs. */
export function checkOutName(out: string | undefined, flag: "--out" | "--results" | "--html"): void {
  if (out === "") throw new InputError(`${flag}: expected a file name, got ''`);
  if (out !== undefined && out !== "-" && /\/$/.test(out)) throw new InputError(`${flag} ${out}: expected a file name, got a folder path (ends with '/')`);
}

/** Refuses an output file that is one of the run's inputs (a scenario, a patch, or another output of the run): writing
 * it would destroy what was read, or one report the other. A built-in scenario given by name is its file in models/. */
export function refuseInputAsOutput(out: string | undefined, flag: "--out" | "--results" | "--html", inputs: readonly string[]): void {
  if (out === undefined || out === "-") return;
  const files = inputs.map((i) => ({ given: i, path: !isScenarioPath(i) && !existsSync(i) && builtinScenarioNames().includes(i) ? join(MODELS_DIR, `${i}.yaml`) : i }));
  let o;
  try {
    o = statSync(out);
  } catch {
    // Not there yet, so no input; but another output of this run may be written to the same name.
    const same = files.find((f) => resolve(f.path) === resolve(out));
    if (same) throw new InputError(`${flag} ${out}: it is another output of this run (${same.given}): expected another file for the output`);
    return;
  }
  if (!o.isFile()) return;
  for (const { given, path } of files) {
    try {
      const i = statSync(path);
      if (i.dev === o.dev && i.ino === o.ino) throw new InputError(`${flag} ${out}: it is an input of this run (${given}): expected another file for the output`);
    } catch (e) {
      if (isInputError(e)) throw e;
    }
  }
}

/** Writes `text` to stdout (`out` undefined or `-`) or to `out`; `flag` names the option in errors. */
export function emit(text: string, out: string | undefined, flag: "--out" | "--results" | "--html"): void {
  checkOutName(out, flag);
  if (out === undefined || out === "-") {
    process.stdout.write(text);
    return;
  }
  const fd = ownDescriptor(out);
  if (fd === 1) {
    process.stdout.write(text);
    return;
  }
  if (fd === 2) {
    process.stderr.write(text);
    return;
  }
  try {
    const data = Buffer.from(text, "utf8");
    if (fd !== undefined) {
      refuseOwnDescriptor(fd);
      writeAll(fd, data, null);
    } else writeTo(out, data);
  } catch (e) {
    if (!isErrno(e)) throw e;
    throw new InputError(`${flag} ${out}: cannot write: ${reason(e)}`);
  }
}

/** The descriptor a name like /dev/stdout or /dev/fd/3 stands for: written as is, not reopened. */
function ownDescriptor(out: string): number | undefined {
  const p = resolve(out);
  const named: Record<string, number> = { "/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2 };
  if (p in named) return named[p];
  const m = /^\/(?:dev\/fd|proc\/self\/fd|proc\/thread-self\/fd)\/(\d+)$/.exec(p);
  return m ? Number(m[1]) : undefined;
}

function writeTo(out: string, data: Buffer, retried = false): void {
  const st = statOrMissing(out);
  if (st === undefined) {
    replace(finalTarget(out), data, undefined);
    return;
  }
  if (!st.isFile()) {
    // A FIFO nobody reads would block the open where no signal reaches it: ENXIO instead.
    if (st.isFIFO()) closeSync(openSync(out, O_WRONLY | O_NOCTTY | constants.O_NONBLOCK));
    const fd = openSync(out, O_WRONLY | O_NOCTTY);
    try {
      // Swapped for a regular file since the stat: that one gets the regular treatment.
      if (fstatSync(fd).isFile()) {
        if (retried) throw Object.assign(new Error("changing under us"), { code: "EAGAIN", errno: -11 });
        return writeTo(out, data, true);
      }
      refuseOwnDescriptor(fd);
      writeAll(fd, data, null);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const target = finalTarget(out);
  accessSync(target, W_OK); // a file the user may not write is not replaced either
  const euid = process.geteuid?.() ?? 0;
  if (st.nlink > 1 || (euid !== 0 && st.uid !== euid)) writeInPlace(target, data);
  else replace(target, data, st);
}

/**
 * Refuses a descriptor that is the runtime's own: an event descriptor, or a pipe
 * whose read end this process also holds (libuv's wakeup and signal pipes;
 * writing into those crashes node). An output we were given has its reader
 * elsewhere. Without /proc there is nothing to compare, and nothing is refused.
 */
function refuseOwnDescriptor(fd: number): void {
  const target = linkOf(fd);
  if (target === undefined) return;
  const own = (): never => {
    throw Object.assign(new Error("own descriptor"), { code: "EBADF", words: "a descriptor of conntrack-mc's own, not an output it was given" });
  };
  if (target.startsWith("anon_inode:")) own();
  if (!fstatSync(fd).isFIFO()) return;
  for (const other of readdirSync("/proc/self/fd")) {
    if (Number(other) === fd || linkOf(Number(other)) !== target) continue;
    let flags: string | undefined;
    try {
      flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${other}`, "utf8"))?.[1];
    } catch {
      continue; // closed meanwhile
    }
    if (flags !== undefined && (parseInt(flags, 8) & 3) !== O_WRONLY) own();
  }
}

function linkOf(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

function statOrMissing(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if (isErrno(e) && e.code === "ENOENT") return undefined;
    throw e;
  }
}

/** The path a chain of symlinks ends at (which may not exist yet: a dangling link's target is created). */
function finalTarget(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!lstatSync(p).isSymbolicLink()) return p;
      link = readlinkSync(p);
    } catch (e) {
      if (isErrno(e) && e.code === "ENOENT") return p;
      throw e;
    }
    p = resolve(dirname(p), link);
  }
  throw Object.assign(new Error("symlink loop"), { code: "ELOOP", errno: -40 });
}

/** Exclusive temporary beside `target`, then rename over it; `old` gives the mode and owner to keep. */
function replace(target: string, data: Buffer, old: Stats | undefined): void {
  const dir = dirname(target);
  const stem = basename(target).slice(0, 120);
  let fd: number | undefined;
  let tmp = "";
  for (let attempt = 0; fd === undefined; attempt++) {
    // Random, never `<out>.<pid>.tmp`; O_EXCL|O_NOFOLLOW: a name planted in the folder is never followed.
    tmp = join(dir, `.${stem}.${randomBytes(12).toString("base64url")}.tmp`);
    try {
      fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, old ? 0o600 : 0o666);
    } catch (e) {
      if (isErrno(e) && e.code === "EEXIST" && attempt < 8) continue;
      // A writable file in a folder we cannot create in: as a shell's `>` would, write it in place.
      if (old && isErrno(e) && (e.code === "EACCES" || e.code === "EPERM")) return writeInPlace(target, data);
      throw e;
    }
  }
  try {
    if (old) {
      if (process.geteuid?.() === 0) fchownSync(fd, old.uid, old.gid); // before chmod: chown clears setuid
      fchmodSync(fd, old.mode & 0o7777);
    }
    writeAll(fd, data, 0);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeQuietly(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
  syncFolder(dir);
}

/** Overwrites a regular file in place, keeping its inode (see the header for the order of writes). */
function writeInPlace(target: string, data: Buffer): void {
  // Read access, to put the old bytes back if the overwrite fails; a write-only file goes without.
  let readable = true;
  let fd: number;
  try {
    fd = openSync(target, O_RDWR | O_NOFOLLOW | O_NOCTTY);
  } catch (e) {
    if (!(isErrno(e) && e.code === "EACCES")) throw e;
    fd = openSync(target, O_WRONLY | O_NOFOLLOW | O_NOCTTY);
    readable = false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "EINVAL", errno: -22 });
    const oldSize = st.size;
    if (data.length > oldSize) {
      try {
        writeAll(fd, data.subarray(oldSize), oldSize);
      } catch (e) {
        ftruncateSync(fd, oldSize);
        throw e;
      }
    }
    const head = Math.min(oldSize, data.length);
    const saved = Buffer.alloc(readable ? oldSize : 0);
    readAll(fd, saved);
    try {
      writeAll(fd, data.subarray(0, head), 0);
      if (data.length < oldSize) ftruncateSync(fd, data.length);
      fsyncSync(fd);
    } catch (e) {
      // Best effort: put the old bytes back.
      if (readable) {
        try {
          writeAll(fd, saved, 0);
          ftruncateSync(fd, oldSize);
        } catch {
          // the disk refuses even that: the error below is all we can say
        }
      }
      throw e;
    }
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, data: Buffer, position: number | null): void {
  for (let off = 0; off < data.length; ) {
    off += writeSync(fd, data, off, data.length - off, position === null ? null : position + off);
  }
}

function readAll(fd: number, into: Buffer): void {
  for (let off = 0; off < into.length; ) {
    const n = readSync(fd, into, off, into.length - off, off);
    if (n === 0) break;
    off += n;
  }
}

function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // durability of the rename only; the content is already on disk
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closing is all that is left to do
  }
}

type FsError = NodeJS.ErrnoException & { code: string; words?: string };

function isErrno(e: unknown): e is FsError {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string";
}

/** "no space left on device (ENOSPC)": libuv's words for the error, and its code. */
function reason(e: FsError): string {
  const words = e.words ?? (typeof e.errno === "number" ? getSystemErrorMap().get(e.errno)?.[1] : undefined);
  return words ? `${words} (${e.code})` : e.code;
}
