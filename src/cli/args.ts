/** Command-line parsing on node:util parseArgs, with errors as one-line InputErrors. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { InputError } from "../errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    throw new InputError(msg.replace(/\. To specify a positional argument.*$/, ""));
  }
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InputError(`${flag}: expected a whole number of at least 1, got '${value}'`);
  }
  return n;
}

export function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
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
