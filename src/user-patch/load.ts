/**
 * A patch a user writes: an ES module (.mjs/.js/.cjs, or .ts/.mts/.cts when
 * tsx is installed) whose default export is a Patch: { id, title, requires,
 * apply }, apply(base, lib) returning the behaviours it overrides (see
 * examples/patches/). It is applied like any built-in patch: v5.0+your-id.
 *
 * Its code is input like any file: every hook result is checked where it
 * enters the model (hook-checks.ts), and it may not read a clock or a random
 * source (determinism.ts). Each fault is a one-line error naming the file and
 * the hook, exit 2, on one thread or on workers alike.
 */
import { existsSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { escapeControl, InputError } from "../errors.js";
import { C, control, enterHook, leaveHook, patchNumber } from "../runtime/control.js";
import { checkRefused, enterUser, installDeterminismTraps, isPatchError, leaveUser, patchError, type UserCode } from "../runtime/user-code.js";
import { guardOf, HookFault } from "./guards.js";
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName } from "../kernel/function-table.js";
import { mayChoose } from "../kernel/choose.js";
import type { Kernel, KernelBehaviour } from "../kernel/kernel.js";
import type { Patch } from "../kernel/patch.js";
import { PATCHES, RELEASES } from "../kernel/variants.js";

/** The functions a patch may override (every one of KernelBehaviour, kernel/function-table.ts); the supervisor names a
 * running hook by its index here. */
export const HOOKS: readonly FunctionName[] = FUNCTION_NAMES;
export type HookName = FunctionName;

/** Names of earlier releases of this tool, now under their kernel names: a patch using one is told the new one, and how it changed. */
const RENAMED: Readonly<Record<string, { readonly to: HookName; readonly how: string }>> = {
  uniqueSourcePort: { to: "nf_nat_l4proto_unique_tuple", how: "the same arguments, and the manip last" },
  resolveClash: { to: "nf_ct_resolve_clash", how: "the same arguments" },
  udpReply: { to: "nf_conntrack_udp_packet", how: "arguments (ctx, st, id, dir), and it also runs on a query's S1 hit" },
};


const TS_EXTENSIONS = [".ts", ".mts", ".cts"];
/** What a patch file may end with. */
export const PATCH_EXTENSIONS: readonly string[] = [".mjs", ".js", ".cjs", ...TS_EXTENSIONS];
const EXTENSIONS = PATCH_EXTENSIONS;

/** The first line of what was thrown, for a one-line error. */
const firstLine = (e: unknown): string => {
  try {
    return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
  } catch {
    return "(a value that cannot be shown)";
  }
};

/** The --patch argument as the user wrote it, for messages. */
const given = new WeakMap<Patch, string>();

/** Worker threads load a patch by its absolute path: this (inherited) variable
 * keeps the name the user gave, so their messages name the file alike. */
const NAMES_ENV = "CONNTRACK_MC_PATCH_NAMES";

function names(): Record<string, string> {
  try {
    const v: unknown = JSON.parse(process.env[NAMES_ENV] ?? "{}");
    return v !== null && typeof v === "object" ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** How messages name `file`: as first given on the command line. */
function shownName(file: string): string {
  const abs = resolve(file);
  const all = names();
  const shown = all[abs];
  if (typeof shown === "string") return shown;
  process.env[NAMES_ENV] = JSON.stringify({ ...all, [abs]: file });
  return file;
}

/** Why `token` (an id or commit of a user's patch) would be shadowed by a built-in in variants.ts's lookup, or undefined. */
function builtinCollision(token: string): string | undefined {
  const t = token.toLowerCase();
  for (const q of PATCHES) {
    const commit = q.commit.toLowerCase();
    if (t === q.id.toLowerCase()) return `is a built-in patch`;
    if (t === commit) return `is the commit of built-in patch ${q.id}`;
    // A kernel's +token of 7 or more characters names a built-in by a prefix of its commit.
    if (t.length >= 7 && commit.slice(0, 7) === t.slice(0, 7)) return `names built-in patch ${q.id} (commit ${q.commit}: 7 or more of its first characters name it)`;
  }
  return undefined;
}

/** Node's advice to add "type": "module" for a .js patch: the patch loads all the same. */
async function withoutTypelessWarning<T>(load: () => Promise<T>): Promise<T> {
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const opts = rest[0];
    const code = opts !== null && typeof opts === "object" ? (opts as { code?: unknown }).code : rest[1];
    if (code !== "MODULE_TYPELESS_PACKAGE_JSON") (emit as (...a: unknown[]) => void).apply(this, [warning, ...rest]);
  } as typeof process.emitWarning;
  try {
    return await load();
  } finally {
    process.emitWarning = emit;
  }
}

async function importModule(file: string, field: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(file)).href;
  if (!TS_EXTENSIONS.includes(extname(file).toLowerCase())) return await withoutTypelessWarning(async () => (await import(url)) as Record<string, unknown>);
  const api = (await import("tsx/esm/api").catch(() => undefined)) as { tsImport?: (u: string, p: string) => Promise<Record<string, unknown>> } | undefined;
  if (!api?.tsImport) throw new InputError(`${field}: a ${extname(file)} patch needs tsx installed; write it as .mjs instead`);
  // tsx names its loader with node:crypto randomUUID as the call starts, before the patch's code runs: not the patch's.
  const before = enterUser(undefined);
  let loading: Promise<Record<string, unknown>>;
  try {
    loading = api.tsImport(url, import.meta.url);
  } finally {
    leaveUser(before);
  }
  return await loading;
}

/** The patch object of a module: its default export, unwrapped once more when
 * the module was compiled to CommonJS (module.exports = { default: patch }). */
function patchOf(mod: Record<string, unknown>): unknown {
  const d = mod["default"] ?? mod["patch"];
  if (d !== null && typeof d === "object" && !("id" in d) && "default" in d) return (d as { default: unknown }).default;
  return d;
}

/** Loads one at a time: which patch's top-level code runs is a single flag, and an import awaits. */
let queue: Promise<unknown> = Promise.resolve();

/** `flag` is how messages name where the file was given ("--patch", or review's positional "patch"). */
export function loadPatchFile(file: string, flag = "--patch"): Promise<Patch> {
  const next = queue.then(() => loadOne(file, flag));
  queue = next.catch(() => undefined);
  return next;
}

async function loadOne(file: string, flag: string): Promise<Patch> {
  const field = `${flag} ${shownName(file)}`;
  if (!EXTENSIONS.includes(extname(file).toLowerCase())) {
    throw new InputError(`${field}: expected a JavaScript or TypeScript module (${EXTENSIONS.join(", ")})`);
  }
  if (!existsSync(file)) throw new InputError(`${field}: no such file`);
  // A FIFO or device would hold the import where no signal reaches it.
  if (!statSync(file).isFile()) throw new InputError(`${field}: expected a regular file`);
  const n = patchNumber(resolve(file));
  installDeterminismTraps();
  let mod: Record<string, unknown>;
  const before = enterUser({ field, what: "its top-level code" });
  control.words[C.LOADING] = n + 1;
  try {
    mod = await importModule(file, field);
    checkRefused();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${field}: cannot load it: ${firstLine(e)}`);
  } finally {
    control.words[C.LOADING] = 0;
    leaveUser(before);
  }
  const p = readExport(field, patchOf(mod));
  const problem =
    !p
      ? "expected a default export: { id, title, requires, apply }"
      : typeof p.id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p.id)
        ? "id: expected a short name of letters, digits, '.', '_' or '-'"
        : builtinCollision(p.id) !== undefined
          ? `id: '${p.id}' ${builtinCollision(p.id)}; choose another name`
          : p.commit !== undefined && typeof p.commit !== "string"
            ? "commit: expected a string (or leave it out)"
            : typeof p.commit === "string" && builtinCollision(p.commit) !== undefined
              ? `commit: '${p.commit}' ${builtinCollision(p.commit)}; give your patch's own commit, or leave it out`
              : typeof p.title !== "string"
                ? "title: expected a string"
                : !Array.isArray(p.requires) || !p.requires.every((r) => typeof r === "string")
                  ? "requires: expected a list of patch ids (may be empty)"
                  : typeof p.apply !== "function"
                    ? "apply: expected a function (base, lib) => { ...behaviours it overrides }"
                    : undefined;
  if (!p || problem) throw new InputError(`${field}: ${problem}`);
  const id = p.id as string;
  const apply = p.apply as Patch["apply"];
  const loaded: Patch = {
    id,
    commit: typeof p.commit === "string" ? p.commit : id,
    title: p.title as string,
    mainline: typeof p.mainline === "string" ? p.mainline : "-",
    requires: [...(p.requires as string[])],
    file: resolve(file),
    apply: (base, lib) => wrapHooks(field, n, base, runApply(field, () => apply.call(p.self, base, lib))),
  };
  given.set(loaded, shownName(file));
  return loaded;
}

type Fields = { readonly [K in "id" | "commit" | "title" | "mainline" | "requires" | "apply"]: unknown } & { readonly self: object };

/** The export's fields, each read once (a getter is the patch's code too), or undefined when it is no object. */
function readExport(field: string, d: unknown): Fields | undefined {
  if (d === null || typeof d !== "object") return undefined;
  const before = enterUser({ field, what: "its default export" });
  try {
    const o = d as Record<string, unknown>;
    const requires = o["requires"];
    const fields = {
      id: o["id"],
      commit: o["commit"],
      title: o["title"],
      mainline: o["mainline"],
      requires: Array.isArray(requires) ? [...(requires as unknown[])] : requires,
      apply: o["apply"],
      self: d,
    };
    checkRefused();
    return fields;
  } catch (e) {
    if (isPatchError(e)) throw e;
    throw patchError(`${field}: cannot read its default export: ${firstLine(e)}`);
  } finally {
    leaveUser(before);
  }
}

function runApply(field: string, apply: () => unknown): unknown {
  const before = enterUser({ field, what: "apply" });
  try {
    const made = apply();
    checkRefused();
    return made;
  } catch (e) {
    if (isPatchError(e)) throw e;
    throw patchError(`${field}: apply threw: ${firstLine(e)}`);
  } finally {
    leaveUser(before);
  }
}

function wrapHooks(field: string, n: number, base: KernelBehaviour, made: unknown): Partial<KernelBehaviour> {
  if (made !== undefined && made !== null && typeof made === "object" && typeof (made as { then?: unknown }).then === "function") {
    throw patchError(`${field}: apply returned a Promise: expected the behaviours it overrides, synchronously`);
  }
  if (made !== undefined && (made === null || typeof made !== "object")) {
    throw patchError(`${field}: apply returned ${typeof made === "function" ? "a function" : String(made)}: expected an object of the behaviours it overrides`);
  }
  const out: Record<string, unknown> = { ...(made ?? {}) };
  for (const [k, hook] of Object.entries(out)) {
    const index = (HOOKS as readonly string[]).indexOf(k);
    const renamed = Object.hasOwn(RENAMED, k) ? RENAMED[k] : undefined;
    if (renamed) throw patchError(`${field}: apply returned '${k}': it is now named after the kernel function, ${renamed.to} (${renamed.how})`);
    if (index < 0) throw patchError(`${field}: apply returned '${k}': expected only ${HOOKS.join(", ")}`);
    if (typeof hook !== "function") throw patchError(`${field}: apply returned '${k}' that is not a function`);
    const since = FUNCTIONS[k as HookName].addedBy;
    if (since && base[k as HookName] === undefined) {
      throw patchError(`${field}: apply returned '${k}': the kernel it is applied on has no ${k}: it comes with ${since.commit} in ${since.release}; ${since.otherwise}`);
    }
    out[k] = wrapHook(field, n, index, hook as (...a: unknown[]) => unknown);
  }
  return out as Partial<KernelBehaviour>;
}

/** A hook as the model calls it: the supervisor knows it runs, the clock and
 * random sources refuse, and its result is checked before the model uses it. */
function wrapHook(field: string, n: number, index: number, hook: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  const name = HOOKS[index]!;
  const user: UserCode = { field, what: name };
  const guarded = guardOf(name)(hook) as (...a: unknown[]) => unknown;
  // Marked: a kernel with a user's hook finds each step's lib.choose alternatives (model.ts).
  return mayChoose((...args: unknown[]): unknown => {
    const b = enterHook(n, index);
    const before = enterUser(user);
    try {
      const r = guarded(...args);
      checkRefused();
      return r;
    } catch (e) {
      checkRefused(); // a refused source the hook caught explains what followed
      if (e instanceof HookFault) throw patchError(`${field}: ${name} ${e.text}`);
      // A hook that throws is the patch's fault, not the search's: say which.
      if (isPatchError(e)) throw e;
      throw patchError(`${field}: ${name} threw: ${firstLine(e)}`);
    } finally {
      leaveUser(before);
      leaveHook(b);
    }
  });
}

/** One stderr line for each user patch that no kernel of the run applies: it was loaded for nothing. */
export function warnUnusedPatches(patches: readonly Patch[], kernels: readonly Kernel[]): void {
  for (const p of patches) {
    const file = given.get(p);
    if (file === undefined || kernels.some((k) => k.parts.includes(p.id))) continue;
    const has = (parts: readonly string[]): boolean => p.requires.every((r) => parts.includes(r));
    const base = kernels.find((k) => has(k.parts))?.name ?? RELEASES.find((r) => has(r.patches))?.name ?? RELEASES[0]!.name;
    process.stderr.write(`conntrack-mc: warning: --patch ${escapeControl(file)} (id ${p.id}) is in no kernel variant; name it as ${base}+${p.id}\n`);
  }
}
