/** Command-line parsing (src/cli/args.ts) and "did you mean" (src/suggest.ts). */
import { describe, expect, it } from "vitest";
import { HELP_REQUESTED, HelpRequested, isHelpRequested, parse, positiveInt, positiveNumber } from "../src/cli/args.js";
import { InputError, isInputError } from "../src/errors.js";
import { closest, editDistance } from "../src/suggest.js";

const OPTIONS = {
  kernel: { type: "string", short: "k" },
  json: { type: "boolean" },
  patch: { type: "string", multiple: true },
  "max-states": { type: "string" },
} as const;

const errorOf = (argv: string[]): string => {
  try {
    parse(argv, OPTIONS, "usage: test");
  } catch (e) {
    expect(isInputError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`no error for ${argv.join(" ")}`);
};

describe("parse", () => {
  it("returns typed values and positionals, in order", () => {
    const r = parse(["s.yaml", "-k", "v5.0", "--patch", "a.mjs", "--json", "--patch=b.mjs", "--", "--not-an-option"], OPTIONS, "usage: test");
    expect(r.values).toEqual({ kernel: "v5.0", patch: ["a.mjs", "b.mjs"], json: true });
    expect(r.positionals).toEqual(["s.yaml", "--not-an-option"]);
  });

  it("a negative number after a string option is its value", () => {
    expect(parse(["--max-states", "-5"], OPTIONS, "u").values["max-states"]).toBe("-5");
    expect(parse(["--max-states", "-.5"], OPTIONS, "u").values["max-states"]).toBe("-.5");
  });

  it("a lone dash after a string option is its value (stdout for --out)", () => {
    expect(parse(["--kernel", "-"], OPTIONS, "u").values.kernel).toBe("-");
  });

  it("--help and -h ask for the usage, wherever they stand", () => {
    for (const argv of [["--help"], ["-h"], ["s.yaml", "--kernel", "v5.0", "-h"]]) {
      let caught: unknown;
      try {
        parse(argv, OPTIONS, "usage: test");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(HelpRequested);
      expect(isHelpRequested(caught)).toBe(true);
      expect((caught as HelpRequested).usage).toBe("usage: test");
    }
    // Recognised by name and message too, as after a trip through a worker thread.
    const copy = Object.assign(new Error(HELP_REQUESTED), { name: "InputError" });
    expect(isHelpRequested(copy)).toBe(true);
    expect(isHelpRequested(new InputError("--kernel: expected a value after it"))).toBe(false);
  });

  const bad: [string[], string][] = [
    [["--kernel", "v5.0", "--kernel", "v4.19"], "--kernel: given twice ('v5.0', 'v4.19'): expected one value"],
    [["-k", "v5.0", "--kernel=v4.19"], "--kernel: given twice ('v5.0', 'v4.19'): expected one value"],
    [["--json", "--json"], "--json: given twice: expected it once"],
    [["--json=1"], "--json: takes no value, got '1'"],
    [["--kernel"], "--kernel: expected a value after it"],
    [["-k"], "-k (--kernel): expected a value after it"],
    [["--kernel", "--json"], "--kernel: expected a value after it, got the option '--json' (write --kernel=--json for a value starting with a dash)"],
    [["--kernal", "v5.0"], "--kernal: unknown option: did you mean '--kernel'?"],
    [["--max_states", "5"], "--max_states: unknown option: did you mean '--max-states'?"],
    [["--frobnicate"], "--frobnicate: unknown option (see --help)"],
    [["-x"], "-x: unknown option (see --help)"],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(" ")}`, () => expect(errorOf(argv)).toBe(message));
  }
});

describe("numbers are parsed strictly", () => {
  it("whole numbers: decimal digits only", () => {
    expect(positiveInt("12", "--n")).toBe(12);
    for (const v of ["-5", "0", "0x10", "1e3", " 5", "5 ", "1.0", "Infinity", "", "+5", "99999999999999999999"]) {
      expect(() => positiveInt(v, "--n"), v).toThrow(`--n: expected a whole number of at least 1, got '${v}'`);
    }
  });

  it("numbers: decimal digits with an optional fraction", () => {
    expect(positiveNumber("2.5", "--s")).toBe(2.5);
    expect(positiveNumber("10", "--s")).toBe(10);
    for (const v of ["-1", "0", "0.0", "0x10", "1e3", " 5", "Infinity", "NaN", "", ".5", "5.", "0b1"]) {
      expect(() => positiveNumber(v, "--s"), v).toThrow(`--s: expected a number greater than 0, got '${v}'`);
    }
  });
});

describe("did you mean", () => {
  it("edit distance treats _ and - and case alike", () => {
    expect(editDistance("nat_table", "nat-table")).toBe(0);
    expect(editDistance("CPU", "cpu")).toBe(0);
    expect(editDistance("cpus", "cpu")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  it("suggests only a near name", () => {
    expect(closest("cpus", ["name", "cpu", "from", "to"])).toBe("cpu");
    expect(closest("kernal", ["kernels", "kernel"])).toBe("kernel");
    expect(closest("frobnicate", ["kernel", "json", "max-states"])).toBeUndefined();
    expect(closest("x", [])).toBeUndefined();
  });
});
