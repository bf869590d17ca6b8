/**
 * The patch API reference, generated so it cannot drift from the code:
 * docs/patch-api.md (for people writing a patch) and src/user-patch/hook-docs.ts
 * (what `conntrack-mc list` prints about each overridable function) are read
 * from the TypeScript sources through the compiler API: KernelBehaviour's
 * functions in the order of the table of kernel functions with their signatures and JSDoc, the state
 * types a patch sees, every PATCH_LIB helper, the Patch a file exports
 * (types/patch.d.ts). `npm run patch-api` rewrites both files;
 * test/patch-api.test.ts fails when either differs from what this prints now.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const DOC_FILE = "docs/patch-api.md";
export const HOOK_DOCS_FILE = "src/user-patch/hook-docs.ts";

/** The worked examples: a whole step, and one behaviour inside a step. */
const EXAMPLES = [
  {
    file: "examples/patches/lookup-sees-unconfirmed.mjs",
    heading: "A whole step: S1's lookup also finds an unconfirmed entry",
    review: "review examples/patches/lookup-sees-unconfirmed.mjs --base v5.10",
    after:
      "It replaces `__nf_conntrack_find_get` and falls back to `base`'s for every other packet. The review shows what the " +
      "kernel's rule (an unconfirmed entry is private to its CPU) protects: the second packet goes on with an entry whose NAT " +
      "is not set up yet, and its answer is lost or unanswered.",
  },
  {
    file: "examples/patches/merge-on-same-origin.mjs",
    heading: "A behaviour: nf_ct_resolve_clash's merge test",
    review: "review examples/patches/merge-on-same-origin.mjs --base v5.0",
    after:
      "It replaces `clashMergeable` only; `nf_ct_resolve_clash` of the base calls it through `ctx.k`, so the rest of " +
      "nf_ct_resolve_clash is unchanged. The review shows it fixes race 3 and introduces `reply-lost`.",
  },
] as const;

export const TS_EXAMPLE = "examples/patches/count-merges.ts";
/** How docs and tests type-check a .ts patch against the package's declarations. */
export const TSC_ARGS = ["--noEmit", "--strict", "--module", "nodenext", "--target", "es2022"] as const;

/** Constants objects documented with the state (and linked from the library). */
const ENUMS = [
  ["src/kernel/net/state.ts", "Pc"],
  ["src/kernel/net/state.ts", "Fate"],
  ["src/kernel/net/state.ts", "Reply"],
  ["src/kernel/net/conn.ts", "IPS"],
] as const;

/** The state a patch sees, in reading order; every other type the functions, the
 * library or these reach (found by walking their declarations) follows them. */
const STATE_FIRST = ["Ctx", "KState", "PacketState", "Conn", "Tuple", "CpuStats", "Resolution", "Manip", "NatRange", "PortRange", "Hit", "Dir", "Scenario", "PacketSpec", "HostPort"];
/** Documented in sections of their own. */
const NOT_STATE = new Set(["KernelBehaviour", "Patch", "PatchLib", ...ENUMS.map(([, n]) => n)]);

class Sources {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  constructor(files: readonly string[]) {
    this.program = ts.createProgram(
      files.map((f) => ROOT + f),
      { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, types: [] },
    );
    this.checker = this.program.getTypeChecker();
  }
  file(path: string): ts.SourceFile {
    const sf = this.program.getSourceFile(ROOT + path);
    if (!sf) throw new Error(`${path}: not found`);
    return sf;
  }
  /** The top-level declaration `name` of `path`. */
  decl(path: string, name: string): ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.VariableDeclaration {
    for (const s of this.file(path).statements) {
      if ((ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === name) return s;
      if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name) return d;
    }
    throw new Error(`${path}: no declaration of ${name}`);
  }
  /** The JSDoc of the symbol a name denotes ("" when it has none). */
  doc(sym: ts.Symbol | undefined): string {
    return sym ? ts.displayPartsToString(sym.getDocumentationComment(this.checker)).trim() : "";
  }
  docAt(name: ts.Node): string {
    return this.doc(this.checker.getSymbolAtLocation(name));
  }
  /** Every interface or type alias of src/ that `roots` name, and those they name, in order of discovery. */
  reachableTypes(roots: readonly ts.Node[]): Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration> {
    const found = new Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>();
    const visit = (n: ts.Node): void => {
      const name = ts.isTypeReferenceNode(n) ? n.typeName : ts.isImportTypeNode(n) ? n.qualifier : undefined;
      if (name) {
        let sym = this.checker.getSymbolAtLocation(name);
        if (sym && sym.flags & ts.SymbolFlags.Alias) sym = this.checker.getAliasedSymbol(sym);
        for (const d of sym?.declarations ?? []) {
          if (!(ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d)) || !d.getSourceFile().fileName.startsWith(ROOT + "src/")) continue;
          if (found.has(d.name.text) || NOT_STATE.has(d.name.text)) continue;
          found.set(d.name.text, d);
          visit(d);
        }
      }
      n.forEachChild(visit);
    };
    roots.forEach(visit);
    return found;
  }
}

/** Through `x as const`, `x satisfies T`, `(x)` and `Object.freeze(x)` to the value written. */
function unwrap(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
    else if (ts.isCallExpression(e) && e.expression.getText() === "Object.freeze" && e.arguments.length === 1) e = e.arguments[0]!;
    else return e;
  }
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, " ").trim();
const cell = (s: string): string => oneLine(s).replace(/\|/g, "\\|");
const code = (s: string): string => "`" + oneLine(s).replace(/\|/g, "\\|") + "`";
/** GitHub's heading anchors: lower case, punctuation but '-' and '_' dropped, spaces to '-'. */
const slug = (heading: string): string => heading.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
const UNDOCUMENTED = "**Undocumented**: add a JSDoc comment to its declaration and run `npm run patch-api`.";
/** A one-line summary: the whole doc when short, else its first sentence. */
const summary = (doc: string): string => (oneLine(doc).length <= 160 ? oneLine(doc) : (oneLine(doc).split(/(?<=\.)\s+(?=[A-Z`(])/)[0] ?? ""));

const TABLE_FILE = "src/kernel/function-table.ts";

/** The functions in the table's order, each with the kernel function it is or is a point inside (its `kernel`). */
function hooksInOrder(src: Sources): (readonly [string, string])[] {
  const d = src.decl(TABLE_FILE, "TABLE");
  const init = ts.isVariableDeclaration(d) && d.initializer ? unwrap(d.initializer) : undefined;
  if (!init || !ts.isObjectLiteralExpression(init)) throw new Error(`${TABLE_FILE}: TABLE: expected an object of functions`);
  return init.properties.map((p) => {
    const entry = ts.isPropertyAssignment(p) ? unwrap(p.initializer) : undefined;
    const kernel = entry && ts.isObjectLiteralExpression(entry) ? entry.properties.find((q) => q.name?.getText() === "kernel") : undefined;
    if (!kernel || !ts.isPropertyAssignment(kernel) || !ts.isStringLiteral(kernel.initializer)) throw new Error(`${TABLE_FILE}: TABLE: ${p.getText().slice(0, 40)}: expected { kernel: "...", ... }`);
    return [p.name!.getText(), kernel.initializer.text] as const;
  });
}

interface HookDoc {
  readonly node: ts.TypeElement;
  readonly name: string;
  readonly kernel: string;
  readonly signature: string;
  readonly doc: string;
}

function hookDocs(src: Sources): { hooks: HookDoc[]; notOverridable: string[] } {
  const iface = src.decl("src/kernel/kernel.ts", "KernelBehaviour");
  if (!ts.isInterfaceDeclaration(iface)) throw new Error("src/kernel/kernel.ts: KernelBehaviour: expected an interface");
  const members = new Map(iface.members.filter((m) => m.name).map((m) => [m.name!.getText(), m]));
  const order = hooksInOrder(src);
  const hooks = order.map(([name, kernel]) => {
    const m = members.get(name);
    if (!m) throw new Error(`${TABLE_FILE}: TABLE: '${name}' is no function of KernelBehaviour`);
    const doc = src.docAt(m.name!);
    return { node: m, name, kernel, signature: m.getText().replace(/;$/, ""), doc };
  });
  return { hooks, notOverridable: [...members.keys()].filter((n) => !order.some(([o]) => o === n)) };
}

/** An object of constants (Pc, IPS...): each key, its value and what it means. */
function constantRows(src: Sources, path: string, name: string): string[] {
  const d = src.decl(path, name);
  const init = ts.isVariableDeclaration(d) && d.initializer ? unwrap(d.initializer) : undefined;
  if (!init || !ts.isObjectLiteralExpression(init)) throw new Error(`${path}: ${name}: expected an object of constants`);
  const text = src.file(path).text;
  const rows = ["| name | value | meaning |", "| --- | --- | --- |"];
  for (const p of init.properties) {
    if (!ts.isPropertyAssignment(p)) continue;
    let end = p.end;
    if (text[end] === ",") end++;
    // The enums carry their meaning in a trailing line comment; IPS bits in JSDoc.
    const trailing = (ts.getTrailingCommentRanges(text, end) ?? []).map((r) => text.slice(r.pos, r.end).replace(/^\/\/\s?/, "")).join(" ");
    const meaning = [src.docAt(p.name), trailing].filter(Boolean).join(" ");
    const v = evaluate(p.initializer);
    const shown = ts.isNumericLiteral(p.initializer) ? p.initializer.text : `${p.initializer.getText()}${v === undefined ? "" : ` = ${v} (0x${v.toString(16)})`}`;
    rows.push(`| ${code(p.name.getText())} | ${code(shown)} | ${cell(meaning)} |`);
  }
  return rows;
}

/** The integer a constant's initializer is, when it is made of literals, `<<` and `|`. */
function evaluate(e: ts.Expression): number | undefined {
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isParenthesizedExpression(e)) return evaluate(e.expression);
  if (ts.isBinaryExpression(e)) {
    const [l, r] = [evaluate(e.left), evaluate(e.right)];
    if (l === undefined || r === undefined) return undefined;
    if (e.operatorToken.kind === ts.SyntaxKind.LessThanLessThanToken) return l << r;
    if (e.operatorToken.kind === ts.SyntaxKind.BarToken) return l | r;
  }
  return undefined;
}

function stateSection(src: Sources, d: ts.InterfaceDeclaration | ts.TypeAliasDeclaration): string[] {
  const name = d.name.text;
  const out = [`### ${name}`, "", `From \`${d.getSourceFile().fileName.slice(ROOT.length)}\`.`, ""];
  const doc = src.docAt(d.name);
  if (doc) out.push(doc, "");
  if (ts.isInterfaceDeclaration(d)) {
    out.push("| field | type | meaning |", "| --- | --- | --- |");
    for (const m of d.members) {
      if (!m.name) continue;
      const readonly = ts.isPropertySignature(m) && m.modifiers?.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword) ? "readonly " : "";
      const optional = m.questionToken ? "?" : "";
      const type = ts.isPropertySignature(m) && m.type ? m.type.getText() : m.getText().replace(/;$/, "");
      out.push(`| ${code(readonly + m.name.getText() + optional)} | ${code(type)} | ${cell(src.docAt(m.name))} |`);
    }
  } else if (ts.isTypeAliasDeclaration(d)) {
    out.push("```ts", d.getText(), "```");
  }
  out.push("");
  return out;
}

interface LibDoc {
  readonly key: string;
  /** The declarations its type is read from, for the types it names. */
  readonly roots: ts.Node[];
  readonly lines: string[];
  readonly documented: boolean;
}

/** Every PATCH_LIB key: a function's signature and JSDoc, a constant's value, an enum's link. */
function libDocs(src: Sources): LibDoc[] {
  const d = src.decl("src/kernel/patch.ts", "PATCH_LIB");
  const init = ts.isVariableDeclaration(d) && d.initializer ? unwrap(d.initializer) : undefined;
  if (!init || !ts.isObjectLiteralExpression(init)) throw new Error("src/kernel/patch.ts: PATCH_LIB: expected Object.freeze({ ... })");
  const { checker } = src;
  const libType = checker.getTypeAtLocation(init);
  const enums = new Set<string>(ENUMS.map(([, n]) => n));
  return init.properties.map((p) => {
    const key = p.name?.getText() ?? p.getText();
    // What the key holds: `key` alone names it; `key: Object.freeze(x)` or `key: x` too; else the value is written here.
    let target: ts.Symbol | undefined;
    if (ts.isShorthandPropertyAssignment(p)) target = checker.getShorthandAssignmentValueSymbol(p);
    else if (ts.isPropertyAssignment(p) && ts.isIdentifier(unwrap(p.initializer))) target = checker.getSymbolAtLocation(unwrap(p.initializer));
    if (target && target.flags & ts.SymbolFlags.Alias) target = checker.getAliasedSymbol(target);
    // A comment on the key in PATCH_LIB (it may introduce a group of keys), then the declaration's own.
    const own = ts.getJSDocCommentsAndTags(p).map((j) => (ts.isJSDoc(j) ? (ts.getTextOfJSDocComment(j.comment) ?? "") : "")).join(" ").trim();
    const declared = src.doc(target);
    const doc = [own, declared === own ? "" : declared].filter(Boolean).join("\n\n");
    const prop = libType.getProperty(key);
    const type = prop ? checker.getTypeOfSymbol(prop) : undefined;
    const sigs = type?.getCallSignatures() ?? [];
    const decl = target?.valueDeclaration;
    const where = decl ? ` (from \`${decl.getSourceFile().fileName.slice(ROOT.length)}\`)` : "";
    const lines: string[] = [`### \`lib.${key}\``, ""];
    if (sigs.length > 0) {
      lines.push("```ts", ...sigs.map((s) => `lib.${key}${checker.signatureToString(s)}`), "```", "");
    } else if (enums.has(key)) {
      lines.push(`The constants of [\`${key}\`](#${slug(key)}), frozen.`, "");
    } else if (decl && ts.isVariableDeclaration(decl) && decl.initializer) {
      lines.push("```ts", `lib.${key}: ${type ? checker.typeToString(type) : "unknown"} = ${decl.initializer.getText()}`, "```", "");
    } else {
      lines.push("```ts", `lib.${key}: ${type ? checker.typeToString(type) : "unknown"}`, "```", "");
    }
    lines.push(doc ? doc + where : UNDOCUMENTED, "");
    const roots = [...sigs.flatMap((x) => (x.declaration ? [x.declaration] : [])), ...(decl ? [decl] : [])];
    return { key, lines, roots, documented: doc !== "" };
  });
}

/** The fields a patch file's default export has, from types/patch.d.ts's Patch (required, then optional) and the docs of src/kernel/patch.ts's. */
function patchFields(src: Sources): string[] {
  const user = src.decl("types/patch.d.ts", "Patch");
  if (!ts.isInterfaceDeclaration(user)) throw new Error("types/patch.d.ts: Patch: expected an interface");
  const picked = (t: ts.ExpressionWithTypeArguments): string[] => {
    const names: string[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isLiteralTypeNode(n) && ts.isStringLiteral(n.literal)) names.push(n.literal.text);
      n.forEachChild(visit);
    };
    visit(t);
    return names;
  };
  const heritage = user.heritageClauses?.flatMap((h) => [...h.types]) ?? [];
  const fields = heritage.flatMap((t) => picked(t).map((n) => ({ n, optional: t.expression.getText() === "Partial" })));
  const kernel = src.decl("src/kernel/patch.ts", "Patch");
  if (!ts.isInterfaceDeclaration(kernel)) throw new Error("src/kernel/patch.ts: Patch: expected an interface");
  const rows = ["| field | type | meaning |", "| --- | --- | --- |"];
  for (const { n, optional } of fields) {
    const m = kernel.members.find((x) => x.name?.getText() === n);
    if (!m) throw new Error(`types/patch.d.ts: Patch: '${n}' is no field of src/kernel/patch.ts's Patch`);
    const type = ts.isPropertySignature(m) && m.type ? m.type.getText() : m.getText().replace(/;$/, "");
    rows.push(`| ${code(n + (optional ? "?" : ""))} | ${code(type)} | ${cell(src.docAt(m.name!))}${optional ? " Optional." : ""} |`);
  }
  return rows;
}

/** The page whose "Bad input" section holds the paragraph on patches. */
const BAD_INPUT_FILE = "docs/commands.md";

/** docs/commands.md "Bad input"'s paragraph on patches: what the loader and the hooks' guards check. */
function checkedParagraph(): string {
  const page = readFileSync(ROOT + BAD_INPUT_FILE, "utf8").split("\n");
  const start = page.findIndex((l) => l.startsWith("- **Your patch is input.**"));
  if (start < 0) throw new Error(`${BAD_INPUT_FILE}: Bad input: no '- **Your patch is input.**' paragraph`);
  const lines = [page[start]!.slice(2)];
  for (let i = start + 1; i < page.length && page[i]!.startsWith("  "); i++) lines.push(page[i]!.trim());
  return lines.join("\n");
}

function fence(file: string): string[] {
  const text = readFileSync(ROOT + file, "utf8").trimEnd();
  return ["```" + (file.endsWith(".ts") ? "ts" : "js"), `// ${file}`, text, "```"];
}

export function generatePatchApi(): { doc: string; hookDocs: string } {
  const src = new Sources(["src/kernel/patch.ts", "src/kernel/function-table.ts", "src/user-patch/load.ts", "types/patch.d.ts", "src/scenario/scenario.ts"]);
  const { hooks, notOverridable } = hookDocs(src);
  const lib = libDocs(src);
  const out: string[] = [
    "# The patch API",
    "",
    "<!-- Generated by scripts/patch-api.ts from src/kernel/*.ts and types/patch.d.ts: run `npm run patch-api`;",
    "     test/patch-api.test.ts fails when this file is stale. Edit the JSDoc in the sources, not this file. -->",
    "",
    "A patch is an ES module (`.mjs`, `.js`, `.cjs`, or `.ts`, `.mts`, `.cts` through tsx) whose default export is a",
    "[Patch](#the-patch-object). Its `apply(base, lib)` returns the [functions](#the-functions-a-patch-may-override) it",
    "overrides, each a kernel function of the model or a point inside one, with the signature below. `base` is the",
    "kernel the patch is applied on: call `base.f(...)` to wrap what was there. Inside a function, `ctx.k` is the kernel",
    "as finally assembled (with your overrides): the base's steps call the smaller functions through it, so overriding",
    "`clashMergeable` changes the `nf_ct_resolve_clash` of every release after v4.7. A step changes the [state](#the-state-a-patch-sees)",
    "`st` in place and returns its note for traces: a one-line string of its own, or the note `base.f(...)` returned, passed",
    "on as it is (a built-in step's note is data, `Note`, which the reports word); `\"\"` when `ctx.explain` is false. Tuples are",
    "immutable values, replaced, never edited. `lib` is the [library](#the-library-lib). Load it with `--patch FILE` and name the kernel as a release",
    "plus its id (`--kernel v5.0+my-fix`); `review FILE` picks the base itself.",
    "",
    "- [The Patch object](#the-patch-object)",
    "- [The functions a patch may override](#the-functions-a-patch-may-override)",
    "- [The state a patch sees](#the-state-a-patch-sees)",
    "- [The library: lib](#the-library-lib)",
    "- [What is checked](#what-is-checked)",
    "- [Worked examples](#worked-examples)",
    "- [A patch in TypeScript](#a-patch-in-typescript)",
    "",
    "## The Patch object",
    "",
    "The default export of a patch file (`Patch` in `types/patch.d.ts`):",
    "",
    ...patchFields(src),
    "",
    "## The functions a patch may override",
    "",
    "In the order of the table of kernel functions (src/kernel/function-table.ts). Those named after a kernel function are that function (a whole",
    "step, S1 to S5, or what a step calls); the others are a point inside the kernel function named, where the releases differ.",
    "",
    "| function | kernel function | what it does |",
    "| --- | --- | --- |",
    ...hooks.map((h) => `| [${code(h.name)}](#${slug(h.name)}) | ${code(h.kernel)} | ${cell(summary(h.doc) || UNDOCUMENTED)} |`),
    "",
  ];
  if (notOverridable.length > 0) out.push(`Not overridable by a patch file: ${notOverridable.map(code).join(", ")}.`, "");
  for (const h of hooks) {
    out.push(`### \`${h.name}\``, "", "```ts", h.signature, "```", "", h.kernel === h.name ? `Kernel function \`${h.kernel}\`.` : `Inside kernel function \`${h.kernel}\`.`, "", h.doc || UNDOCUMENTED, "");
  }
  out.push("## The state a patch sees", "", "Entries are named by the index of the packet that allocated them: `st.pkts[id].ct` is entry `id`.", "");
  const kernelIface = src.decl("src/kernel/kernel.ts", "KernelBehaviour");
  const reached = src.reachableTypes([...hooks.map((h) => h.node), ...lib.flatMap((l) => l.roots), kernelIface]);
  const names = [...STATE_FIRST.filter((n) => reached.has(n)), ...[...reached.keys()].filter((n) => !STATE_FIRST.includes(n))];
  for (const n of names) out.push(...stateSection(src, reached.get(n)!));
  for (const [path, name] of ENUMS) {
    const d = src.decl(path, name);
    out.push(`### ${name}`, "", `From \`${path}\`; in a patch, \`lib.${name}\`.`, "");
    const doc = src.docAt(d.name);
    if (doc) out.push(doc, "");
    out.push(...constantRows(src, path, name), "");
  }
  out.push("## The library: lib", "", "`PATCH_LIB` (src/kernel/patch.ts), the second argument of `apply`; frozen, shared by every kernel of a run.", "");
  for (const l of lib) out.push(...l.lines);
  out.push("## What is checked", "", "From docs/commands.md, Bad input:", "", checkedParagraph(), "");
  out.push("## Worked examples", "");
  for (const e of EXAMPLES) {
    out.push(`### ${e.heading}`, "", ...fence(e.file), "", e.after, "", "Review it (every built-in scenario under every property, on the base and patched):", "", "```sh", `npx conntrack-mc ${e.review}`, "```", "");
  }
  out.push(
    "## A patch in TypeScript",
    "",
    '`types/patch.d.ts` (the package export `conntrack-mc/patch`) declares `Patch` and re-exports the model\'s own types, emitted',
    "from src/kernel by `npm run build` (tsconfig.types.json). With `satisfies Patch`, every hook's arguments and result are typed:",
    "",
    ...fence(TS_EXAMPLE),
    "",
    "```sh",
    `npx tsc ${TSC_ARGS.join(" ")} ${TS_EXAMPLE}`,
    `npx conntrack-mc check dns-3-packets --patch ${TS_EXAMPLE} --kernel v5.0+count-merges`,
    "```",
    "",
  );
  const docText = out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
  const hookDocsText = [
    "/** Generated by scripts/patch-api.ts from KernelBehaviour's JSDoc (`npm run patch-api`; test/patch-api.test.ts",
    " * fails when it is stale): what `conntrack-mc list` says about each function a patch may override. */",
    "export interface HookDoc {",
    "  readonly name: string;",
    "  /** The kernel function it is, or is a point inside. */",
    "  readonly kernel: string;",
    "  /** Its JSDoc on one line (the first sentence of a long one). */",
    "  readonly summary: string;",
    "}",
    "",
    "export const HOOK_DOCS: readonly HookDoc[] = [",
    ...hooks.map((h) => `  { name: ${JSON.stringify(h.name)}, kernel: ${JSON.stringify(h.kernel)}, summary: ${JSON.stringify(summary(h.doc))} },`),
    "];",
    "",
  ].join("\n");
  return { doc: docText, hookDocs: hookDocsText };
}

/** Names the first generated file that differs from what the sources give now. */
export function patchApiDrift(): string | undefined {
  const fresh = generatePatchApi();
  const read = (f: string): string | undefined => {
    try {
      return readFileSync(ROOT + f, "utf8");
    } catch {
      return undefined;
    }
  };
  if (read(DOC_FILE) !== fresh.doc) return DOC_FILE;
  if (read(HOOK_DOCS_FILE) !== fresh.hookDocs) return HOOK_DOCS_FILE;
  return undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const fresh = generatePatchApi();
  mkdirSync(ROOT + "docs", { recursive: true });
  writeFileSync(ROOT + DOC_FILE, fresh.doc);
  writeFileSync(ROOT + HOOK_DOCS_FILE, fresh.hookDocs);
  process.stdout.write(`${DOC_FILE} and ${HOOK_DOCS_FILE} written\n`);
}
