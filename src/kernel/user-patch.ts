/**
 * A patch a user writes: an ES module (.mjs/.js, or .ts when tsx is
 * installed) whose default export is a Patch: { id, title, requires, apply },
 * apply(base, lib) returning the behaviours it overrides (see
 * examples/patches/). It is applied like any built-in patch: v5.0+your-id.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InputError } from "../errors.js";
import type { KernelBehaviour } from "./kernel.js";
import type { Patch } from "./patch.js";
import { PATCHES } from "./variants.js";

const HOOKS = ["takenBy", "uniqueSourcePort", "resolveClash", "clashMergeable", "clashWinnerUsable", "countResolved", "confirmClashStats", "udpReply"];

/** The first line of what was thrown, for a one-line error. */
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!;

export async function loadPatchFile(file: string): Promise<Patch> {
  const field = `--patch ${file}`;
  if (!existsSync(file)) throw new InputError(`${field}: no such file`);
  const url = pathToFileURL(resolve(file)).href;
  let mod: Record<string, unknown>;
  try {
    if (file.endsWith(".ts")) {
      const api = (await import("tsx/esm/api").catch(() => undefined)) as { tsImport?: (u: string, p: string) => Promise<Record<string, unknown>> } | undefined;
      if (!api?.tsImport) throw new InputError(`${field}: a .ts patch needs tsx installed; write it as .mjs instead`);
      mod = await api.tsImport(url, import.meta.url);
    } else mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${field}: cannot load it: ${firstLine(e)}`);
  }
  const p = (mod["default"] ?? mod["patch"]) as Partial<Patch> | undefined;
  const problem =
    !p || typeof p !== "object"
      ? "expected a default export: { id, title, requires, apply }"
      : typeof p.id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p.id)
        ? "id: expected a short name of letters, digits, '.', '_' or '-'"
        : PATCHES.some((q) => q.id === p.id)
          ? `id: '${p.id}' is a built-in patch; choose another name`
          : typeof p.title !== "string"
            ? "title: expected a string"
            : !Array.isArray(p.requires) || !p.requires.every((r) => typeof r === "string")
              ? "requires: expected a list of patch ids (may be empty)"
              : typeof p.apply !== "function"
                ? "apply: expected a function (base, lib) => { ...behaviours it overrides }"
                : undefined;
  if (problem) throw new InputError(`${field}: ${problem}`);
  const patch = p as Patch;
  return {
    id: patch.id,
    commit: typeof patch.commit === "string" ? patch.commit : patch.id,
    title: patch.title,
    mainline: typeof patch.mainline === "string" ? patch.mainline : "-",
    requires: patch.requires,
    file: resolve(file),
    apply: (base, lib) => {
      let made: Partial<KernelBehaviour> | undefined;
      try {
        made = patch.apply(base, lib);
      } catch (e) {
        throw new InputError(`${field}: apply threw: ${firstLine(e)}`);
      }
      const out: Record<string, unknown> = { ...(made ?? {}) };
      for (const [k, hook] of Object.entries(out)) {
        if (!HOOKS.includes(k)) throw new InputError(`${field}: apply returned '${k}': expected only ${HOOKS.join(", ")}`);
        if (typeof hook !== "function") throw new InputError(`${field}: apply returned '${k}' that is not a function`);
        // A hook that throws is the patch's fault, not the search's: say which.
        out[k] = (...args: unknown[]): unknown => {
          try {
            return (hook as (...a: unknown[]) => unknown)(...args);
          } catch (e) {
            throw new InputError(`${field}: ${k} threw: ${firstLine(e)}`);
          }
        };
      }
      return out as Partial<KernelBehaviour>;
    },
  };
}
