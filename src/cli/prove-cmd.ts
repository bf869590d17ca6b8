/** `conntrack-mc prove [claim...] [--patch FILE]... [--json] [--results FILE]`: every claim in proofs/, checked by the search. */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import { PATCHES, resolveKernel } from "../kernel/variants.js";
import { warnUnusedPatches } from "../user-patch/load.js";
import { PROOFS_DIR } from "../paths.js";
import { loadClaims, proveAll } from "../app/proofs.js";
import { proveJson, renderProve, resultsMarkdown } from "../report/prove.js";
import { closest } from "../suggest.js";
import { parse } from "./args.js";
import { patchSet } from "./common.js";
import { paint } from "./format.js";
import { checkOutName, emit, refuseInputAsOutput } from "./output.js";
import { stopRequested } from "../runtime/control.js";
import { PROVE_USAGE } from "./usage.js";

export async function proveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    json: { type: "boolean" },
    results: { type: "string" },
    dir: { type: "string" },
    patch: { type: "string", multiple: true },
  }, PROVE_USAGE);
  const dir = values.dir ?? PROOFS_DIR;
  checkOutName(values.results, "--results");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`--dir: expected a folder of claim files, got '${dir}'`);
  const given = (await patchSet(values.patch)).filter((p) => !PATCHES.includes(p));
  const all = await loadClaims(dir, given);
  if (all.length === 0) throw new InputError(`--dir: no claim files (*.yaml) in '${dir}'`);
  const unknown = positionals.filter((p) => !all.some((c) => c.id === p));
  if (unknown.length) {
    const near = closest(unknown[0]!, all.map((c) => c.id));
    throw new InputError(`claim: no claim '${unknown[0]}' in ${dir}: ${near ? `did you mean '${near}'?` : `expected one of ${all.map((c) => c.id).join(", ")}`}`);
  }
  // A claim file, its scenario or a patch it names is an input: --results must not overwrite it.
  refuseInputAsOutput(values.results, "--results", all.flatMap((c) => [c.file, ...(values.patch ?? [])]));
  const claims = positionals.length ? all.filter((c) => positionals.includes(c.id)) : all;
  warnUnusedPatches(given, claims.map((c) => resolveKernel(c.kernel, `${c.file}: kernel`, [...PATCHES, ...c.userPatches])));
  const results = proveAll(claims);
  // RESULTS.md describes every claim: write it for a full run, or where --results says;
  // not for a run a signal stopped, whose claims after it were never searched;
  // and not when it already says the same, so its mtime tells when a result changed.
  const signal = stopRequested();
  const resultsFile = values.results ?? (positionals.length ? undefined : join(dir, "RESULTS.md"));
  if (resultsFile && !signal) {
    const text = resultsMarkdown(results);
    if (!holdsAlready(resultsFile, text)) emit(text, resultsFile, "--results");
  }
  process.stdout.write(values.json ? JSON.stringify(results.map(proveJson), null, 2) + "\n" : renderProve(results, paint()));
  if (signal) {
    process.stderr.write(`conntrack-mc: prove: stopped by a signal${resultsFile ? `; ${resultsFile} left as it was` : ""}\n`);
    return signal;
  }
  if (results.some((r) => r.outcome === "failed")) return 1;
  return results.some((r) => r.outcome === "incomplete") ? 3 : 0;
}

/** Whether `file` is a regular file holding exactly `text` (a device, FIFO or stream is always written). */
function holdsAlready(file: string, text: string): boolean {
  if (file === "-") return false;
  const want = Buffer.from(text, "utf8");
  let fd: number;
  try {
    // Non-blocking, so a FIFO named here cannot hold the open; it is not a regular file anyway.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return false; // missing or unreadable: emit writes it or says why it cannot
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== want.length) return false;
    const got = Buffer.alloc(want.length + 1);
    let n = 0;
    for (let k; n < got.length && (k = readSync(fd, got, n, got.length - n, n)) > 0; ) n += k;
    return n === want.length && got.subarray(0, n).equals(want);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
