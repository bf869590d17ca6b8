/**
 * Command-line parsing on node:util parseArgs, with errors as one-line
 * InputErrors naming the option. Stricter than parseArgs' own strict mode: a
 * value may start with a dash when it is a number (`--max-states -5` is that
 * option's value, then rejected by its check), a single-valued option given
 * twice is an error, and `--help`/`-h` asks for the command's usage.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { InputError, isInputError } from "../errors.js";
import { closest } from "../suggest.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The message of a HelpRequested, so it is recognised after a trip through a worker thread too. */
export const HELP_REQUESTED = "--help: usage requested";

/**
 * `--help` or `-h`: the caller (main) prints `usage` on stdout and exits 0. It
 * is an InputError so that, unhandled, it still ends as a usage message (exit 2),
 * never as an internal error.
 */
export class HelpRequested extends InputError {
  constructor(usage: string) {
    super(HELP_REQUESTED, { usage });
  }
}

export function isHelpRequested(e: unknown): e is InputError {
  return e instanceof HelpRequested || (isInputError(e) && e.message === HELP_REQUESTED);
}

/** A value that starts with a dash yet is a value, not an option: a (negative) number, or "-" (stdout). */
const DASH_VALUE = /^-([\d.]|$)/;

const shown = (v: string): string => `'${v}'`;

export function parse<O extends Options>(argv: string[], options: O, usage: string) {
  const helpFree = !("help" in options) && !Object.values(options).some((o) => o.short === "h");
  const config = { ...options, ...(helpFree ? { help: { type: "boolean", short: "h" } as const } : {}) } satisfies Options;
  // Non-strict: every token comes back, and the checks below (the strict ones and more) name the option.
  let tokens;
  try {
    tokens = parseArgs({ args: argv, options: config, allowPositionals: true, strict: false, tokens: true }).tokens;
  } catch (e) {
    throw new InputError((e instanceof Error ? e.message : String(e)).split("\n")[0]!);
  }
  if (helpFree && tokens.some((t) => t.kind === "option" && t.name === "help")) throw new HelpRequested(usage);

  const longNames = Object.keys(options);
  const seen = new Map<string, string>();
  const normal: string[] = [];
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") {
      positionals.push(t.value);
      continue;
    }
    if (t.kind === "option-terminator") continue;
    const spec = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    const flag = t.rawName.startsWith("--") ? t.rawName : `${t.rawName} (--${t.name})`;
    if (!spec) {
      const near = t.rawName.startsWith("--") ? closest(t.name, longNames) : undefined;
      throw new InputError(`${t.rawName}: unknown option${near ? `: did you mean '--${near}'?` : " (see --help)"}`);
    }
    if (spec.type === "boolean") {
      if (t.value !== undefined) throw new InputError(`${flag}: takes no value, got '${t.value}'`);
      if (seen.has(t.name)) throw new InputError(`--${t.name}: given twice: expected it once`);
      seen.set(t.name, "");
      normal.push(`--${t.name}`);
      continue;
    }
    if (t.value === undefined) throw new InputError(`${flag}: expected a value after it`);
    if (!t.inlineValue && t.value.startsWith("-") && !DASH_VALUE.test(t.value)) {
      throw new InputError(`${flag}: expected a value after it, got the option '${t.value}' (write --${t.name}=${t.value} for a value starting with a dash)`);
    }
    const before = seen.get(t.name);
    if (before !== undefined && !spec.multiple) {
      throw new InputError(`--${t.name}: given twice (${shown(before)}, ${shown(t.value)}): expected one value`);
    }
    seen.set(t.name, t.value);
    normal.push(`--${t.name}=${t.value}`);
  }
  // Checked above; the strict pass gives the values their declared types.
  return parseArgs({ args: [...normal, "--", ...positionals], options, allowPositionals: true, strict: true });
}

/** Decimal digits only: no sign, hex, exponent, whitespace or Infinity. */
const WHOLE = /^\d+$/;
/** Decimal digits with an optional fraction. */
const DECIMAL = /^\d+(\.\d+)?$/;

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!WHOLE.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InputError(`${flag}: expected a whole number of at least 1, got '${value}'`);
  }
  return n;
}

export function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(n) || n <= 0) {
    throw new InputError(`${flag}: expected a number greater than 0, got '${value}'`);
  }
  return n;
}

export function oneOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError(`${flag}: expected one of ${allowed.join(", ")}, got '${value}'`);
  }
  return value as T;
}
