/**
 * zod's issues as one line for a user: every problem, each naming its field
 * and what was expected (the valid values, the nearest valid key), "; "
 * between them. Shared by scenario files and claim files.
 */
import { z } from "zod";
import { closest } from "../suggest.js";

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** At most this many problems are spelled out; the rest are counted. */
const MAX_PROBLEMS = 5;

export function formatPath(path: Path): string {
  let out = "";
  for (const k of path) out += typeof k === "number" ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || "(top level)";
}

/** A value as it appeared in the file, short. */
function show(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  const s = typeof v === "string" ? `'${v}'` : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping (key: value)",
  array: "a list",
};

/** Messages for zod's own issues (a schema's message takes precedence). */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  const got = iss.input === undefined ? "" : `, got ${show(iss.input)}`;
  switch (iss.code) {
    case "invalid_type":
      return `expected ${TYPE_WORDS[iss.expected] ?? iss.expected}${got}`;
    case "invalid_value":
      return iss.values.length === 1 ? `expected ${String(iss.values[0])}${got}` : `expected one of ${iss.values.map(String).join(", ")}${got}`;
    case "too_small":
      if (iss.origin === "array") return `expected at least ${iss.minimum} item${iss.minimum === 1 ? "" : "s"}`;
      if (iss.origin === "string") return "expected a non-empty string";
      return `expected ${iss.inclusive ? "at least" : "more than"} ${iss.minimum}${got}`;
    case "too_big":
      if (iss.origin === "array") return `expected at most ${iss.maximum} items`;
      return `expected ${iss.inclusive ? "at most" : "less than"} ${iss.maximum}${got}`;
    default:
      return undefined;
  }
};

/** The schema at `path` below `schema`, through lists, optionals and unions (the first object branch). */
function schemaAt(schema: z.ZodType, path: Path): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const k of path) {
    s = objectOf(s);
    if (s instanceof z.ZodArray && typeof k === "number") s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject && typeof k === "string") s = s.shape[k] as z.ZodType | undefined;
    else return undefined;
  }
  return objectOf(s);
}

function objectOf(s: z.ZodType | undefined): z.ZodType | undefined {
  if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return objectOf(s.unwrap() as z.ZodType);
  if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).map(objectOf).find((o) => o instanceof z.ZodObject || o instanceof z.ZodArray);
  return s;
}

function unknownKey(key: string, schema: z.ZodType | undefined): string {
  const valid = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const near = closest(key, valid);
  if (near) return `unknown key: did you mean '${near}'?`;
  return valid.length ? `unknown key: expected one of ${valid.join(", ")}` : "unknown key";
}

interface Problem {
  readonly path: Path;
  readonly message: string;
}

/** A union the input matched in shape (an object for the object form) is
 * reported by that form's own problems; otherwise by the union's message, its valid forms. */
function unionProblems(iss: Extract<Issue, { code: "invalid_union" }>, root: z.ZodType): Problem[] | undefined {
  const fits = iss.errors.filter((branch) => branch.length > 0 && branch.every((b) => b.path.length > 0 && !(b.code === "invalid_value" && b.path.length === 1)));
  if (fits.length !== 1) return undefined;
  return fits[0]!.flatMap((b) => problems({ ...b, path: [...iss.path, ...b.path] }, root));
}

function problems(iss: Issue, root: z.ZodType): Problem[] {
  if (iss.code === "unrecognized_keys") {
    const at = schemaAt(root, iss.path);
    return iss.keys.map((k) => ({ path: [...iss.path, k], message: unknownKey(k, at) }));
  }
  if (iss.code === "invalid_union") {
    const inner = unionProblems(iss, root);
    if (inner) return inner;
  }
  // A key that is not there at all: zod reports no input.
  const missing = iss.input === undefined && (iss.code === "invalid_type" || iss.code === "invalid_value" || iss.code === "invalid_union");
  return [{ path: iss.path, message: `${missing ? "missing: " : ""}${iss.message}` }];
}

/** Every problem of a failed parse, in the order zod found them, in one line. */
export function describeIssues(issues: readonly Issue[], root: z.ZodType): string {
  const lines = [...new Set(issues.flatMap((i) => problems(i, root)).map((p) => `${formatPath(p.path)}: ${p.message}`))];
  const more = lines.length > MAX_PROBLEMS ? ` (and ${lines.length - MAX_PROBLEMS} more)` : "";
  return lines.slice(0, MAX_PROBLEMS).join("; ") + more;
}

/** Parses `data` with `schema`, reporting the value it found in each message. */
export function safeParseReported<S extends z.ZodType>(schema: S, data: unknown) {
  return schema.safeParse(data, { error: errorMap, reportInput: true });
}
