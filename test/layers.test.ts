/**
 * The layers of src/ (docs/architecture.md): every import under src/ goes down the table below, never up or
 * sideways, and no file reaches itself through imports. A type-only import is still an edge for circles (it
 * couples the files), but it may cross to a layer whose types a renderer reads (report/ reads app/'s results).
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve("src");

/** Layer -> the layers its files may import at run time (itself always). A top-level file is its own layer. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  "errors.ts": [],
  "paths.ts": [],
  "suggest.ts": [],
  runtime: ["errors.ts"],
  engine: ["runtime", "errors.ts"],
  scenario: ["runtime", "errors.ts", "paths.ts", "suggest.ts"],
  kernel: ["scenario", "runtime", "errors.ts"],
  "user-patch": ["kernel", "scenario", "runtime", "errors.ts", "paths.ts", "suggest.ts"],
  model: ["engine", "kernel", "user-patch", "scenario", "runtime", "errors.ts"],
  // What a node shows of itself (its kernel string, counters, resolv.conf), read and parsed; nothing of the model.
  node: ["errors.ts"],
  app: ["model", "engine", "kernel", "user-patch", "scenario", "node", "runtime", "errors.ts", "paths.ts", "suggest.ts"],
  // Renderers: pure functions of app/'s results; they run no search, so app/ only for its types.
  report: ["model", "engine", "kernel", "user-patch", "scenario", "runtime", "errors.ts", "paths.ts"],
  live: ["kernel", "scenario", "runtime", "errors.ts", "paths.ts"],
  cli: ["app", "report", "live", "node", "model", "engine", "kernel", "user-patch", "scenario", "runtime", "errors.ts", "paths.ts", "suggest.ts"],
};
/** Layers another may import types from, beyond what ALLOWED lets it run. */
// kernel/properties/ states its properties in the engine's Property shape.
const TYPES_TOO: Readonly<Record<string, readonly string[]>> = { report: ["app", "node"], kernel: ["engine"] };
/** Engine modules that search: report/ renders results and must not start one. */
const SEARCHING = [/^engine\/(search|parallel|worker|differential|probability|preferred-search)\.ts$/];

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) files(p, out);
    else if (e.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Every relative import of `file` (static, `export ... from`, and dynamic), as paths under src/. */
function imports(file: string): Edge[] {
  const text = readFileSync(file, "utf8");
  const out: Edge[] = [];
  const from = relative(SRC, file);
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4]!;
    const to = relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
    // `import("...")` inside a type position (typeof import(...)) is a type; a bare await import is not.
    const typeOnly = m[2] !== undefined || (m[4] !== undefined && /typeof\s+$/.test(text.slice(0, m.index)));
    if (!to.startsWith("..")) out.push({ from, to, typeOnly });
  }
  return out;
}

const layerOf = (path: string): string => (path.includes("/") ? path.split("/")[0]! : path);
const all = files(SRC).flatMap(imports);

describe("the layers of src/", () => {
  it("knows every layer", () => {
    const unknown = [...new Set(files(SRC).map((f) => layerOf(relative(SRC, f))))].filter((l) => !(l in ALLOWED));
    expect(unknown).toEqual([]);
  });

  it("imports only downwards", () => {
    const bad = all
      .filter((e) => {
        const a = layerOf(e.from);
        const b = layerOf(e.to);
        if (a === b) return false;
        if (ALLOWED[a]!.includes(b)) return false;
        return !(e.typeOnly && (TYPES_TOO[a] ?? []).includes(b));
      })
      .map((e) => `${e.from} -> ${e.to}`);
    expect(bad).toEqual([]);
  });

  it("the engine knows nothing of conntrack", () => {
    const words = /\b(conntrack|nf_\w+|KState|Conn\b|tuple|NAT|packet)/i;
    const engine = files(join(SRC, "engine")).filter((f) => {
      // Comments may say what a caller is; code may not name one.
      const code = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "").replace(/"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '""');
      return words.test(code);
    });
    expect(engine.map((f) => relative(SRC, f))).toEqual([]);
  });

  it("report/ starts no search", () => {
    const bad = all.filter((e) => layerOf(e.from) === "report" && !e.typeOnly && SEARCHING.some((r) => r.test(e.to))).map((e) => `${e.from} -> ${e.to}`);
    expect(bad).toEqual([]);
  });

  it("has no import circle", () => {
    const next = new Map<string, string[]>();
    for (const e of all) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    // Tarjan's strongly connected components: a component of more than one file is a circle.
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const circles: string[][] = [];
    const visit = (v: string): void => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of next.get(v) ?? []) {
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1) circles.push(comp.sort());
      }
    };
    for (const v of next.keys()) if (!idx.has(v)) visit(v);
    expect(circles).toEqual([]);
  });

  it("finds an import that goes up (the test can fail)", () => {
    // A made-up edge from the engine to the kernel must be reported by the same rule.
    const e: Edge = { from: "engine/search.ts", to: "kernel/kernel.ts", typeOnly: false };
    expect(ALLOWED[layerOf(e.from)]!.includes(layerOf(e.to))).toBe(false);
  });
});
