/**
 * Text output fits a terminal (issue 32): every line of `list` and `compare`, and review's table, within
 * COLUMNS (when it is a number >= 60) or else 120 when stdout is not a terminal; long cells wrap inside their
 * column and nothing is cut. Runs dist/: `npm run build` first.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";

function cli(args: readonly string[], columns?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["COLUMNS"];
  if (columns !== undefined) env["COLUMNS"] = columns;
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const visible = (line: string): number => [...line.replace(/\x1b\[[0-9;]*m/g, "")].length;
const widest = (text: string): number => Math.max(...text.split("\n").map(visible));
const squeeze = (s: string): string => s.replace(/\s+/g, "");

interface Cell {
  verdict: string;
  states: number;
  drops: { class: string; states: number }[];
}
interface Compared {
  kernels: string[];
  scenarios: string[];
  rows: Cell[][];
}

/** The text of each column of compare's matrix (the kernel column under "kernel"), over every block, whitespace removed:
 * a column runs from where its name starts in its block's head line to where the next one starts. */
function columns(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let starts: { name: string; at: number }[] = [];
  for (const line of text.split("\n")) {
    if (/^(mitigation |share of schedules)/.test(line)) starts = [];
    if (/^kernel {2}/.test(line)) starts = [...line.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
    starts.forEach((s, i) => out.set(s.name, (out.get(s.name) ?? "") + squeeze(line.slice(s.at, starts[i + 1]?.at ?? line.length))));
  }
  return out;
}

/** The first line of a cell, as compare words it: "violated: race1 (2), race2 (2)" or "holds". */
const head = (c: Cell): string => `${c.verdict}${c.drops.length ? `: ${c.drops.map((d) => `${d.class} (${d.states.toLocaleString("en-US")})`).join(", ")}` : ""}`;

/** Every cell's verdict line and states in its scenario's column, every kernel in the kernel column. */
function expectWhole(text: string, j: Compared): void {
  const cols = columns(text);
  expect([...cols.keys()].sort()).toEqual(["kernel", ...j.scenarios].sort());
  for (const k of j.kernels) expect(cols.get("kernel")).toContain(squeeze(k));
  j.scenarios.forEach((s, si) => {
    for (const row of j.rows) {
      const c = row[si]!;
      expect(cols.get(s), `${s}: ${head(c)}`).toContain(squeeze(head(c)));
      expect(cols.get(s)).toContain(squeeze(`${c.states.toLocaleString("en-US")} states`));
    }
  });
}

const DEFAULT = ["compare", "dns-a-aaaa", "dns-a-aaaa-2-endpoints", "single-request"];
const MANY = [...DEFAULT, "--kernels", "v4.6,v4.19,v5.0,v5.6,v5.10,v6.1,v6.12,v7.1"];

describe("text output within the terminal's width", () => {
  it("list: every line within 120 columns off a terminal, within COLUMNS when it is set to 60 or more", () => {
    const plain = cli(["list"]);
    expect(plain.code).toBe(0);
    expect(widest(plain.out)).toBeLessThanOrEqual(120);
    expect(widest(cli(["list"], "80").out)).toBeLessThanOrEqual(80);
    expect(widest(cli(["list"], "60").out)).toBeLessThanOrEqual(60);
    // COLUMNS below 60 (or not a number) is not taken; a wide one is.
    expect(cli(["list"], "40").out).toBe(plain.out);
    expect(cli(["list"], "wide").out).toBe(plain.out);
    expect(widest(cli(["list"], "250").out)).toBeGreaterThan(120);
  });

  it("list: every description, backport source, title and summary is there whole, wrapped or not", () => {
    const j = JSON.parse(cli(["list", "--json"]).out) as {
      scenarios: { description: string }[];
      backports: { source: string }[];
      patches: { title: string }[];
      properties: { description: string }[];
      functions: { summary: string }[];
    };
    const texts = [...j.scenarios.map((s) => s.description), ...j.backports.map((b) => b.source), ...j.patches.map((p) => p.title), ...j.properties.map((p) => p.description), ...j.functions.map((f) => f.summary)];
    for (const columns of [undefined, "80", "60"]) {
      const out = squeeze(cli(["list"], columns).out);
      for (const t of texts) expect(out, `COLUMNS=${columns}: ${t}`).toContain(squeeze(t));
    }
  });

  it("compare on its default kernels: within 120 columns, and 80 with COLUMNS=80 (the scenarios in blocks), no cell's text lost", () => {
    const j = JSON.parse(cli([...DEFAULT, "--json"]).out) as Compared;
    for (const [columns, max] of [[undefined, 120], ["80", 80]] as const) {
      const r = cli(DEFAULT, columns);
      expect(r.code).toBe(0);
      expect(widest(r.out), `COLUMNS=${columns}`).toBeLessThanOrEqual(max);
      expectWhole(r.out, j);
    }
    // 120 columns hold the three scenarios side by side; 80 do not.
    expect(cli(DEFAULT).out.split("\n").filter((l) => /^kernel {2}/.test(l))).toHaveLength(1);
    expect(cli(DEFAULT, "80").out.split("\n").filter((l) => /^kernel {2}/.test(l)).length).toBeGreaterThan(1);
  });

  it("compare on eight kernels (and the bases between them): within 120 and 80 columns, no cell's text lost", () => {
    const j = JSON.parse(cli([...MANY, "--json"]).out) as Compared;
    expect(j.kernels.length).toBeGreaterThanOrEqual(8);
    for (const [columns, max] of [[undefined, 120], ["80", 80]] as const) {
      const r = cli(MANY, columns);
      expect(r.code).toBe(0);
      expect(widest(r.out), `COLUMNS=${columns}`).toBeLessThanOrEqual(max);
      expectWhole(r.out, j);
    }
  });

  it("compare's long cells wrap inside their column (continuation lines indented under it) rather than being cut", () => {
    const args = ["compare", "nat-clash-early-drop", "dns-table-full", "--kernels", "v5.6"];
    const j = JSON.parse(cli([...args, "--json"]).out) as Compared;
    const r = cli(args, "60");
    expect(widest(r.out)).toBeLessThanOrEqual(60);
    expectWhole(r.out, j);
    // The longest verdict line does not fit 60 columns beside the kernel column: it goes on, indented, under its column.
    const longest = j.rows.flat().map(head).sort((a, b) => b.length - a.length)[0]!;
    expect(longest.length).toBeGreaterThan(60 - "(base only)  ".length);
    expect(r.out).not.toContain(longest);
    expect(r.out).toMatch(/^ {13} {2}\S/m);
  });

  it("--json and --markdown are not width-limited", () => {
    const md = cli([...DEFAULT, "--markdown"], "60");
    expect(widest(md.out)).toBeGreaterThan(60);
    expect(md.out.split("\n").filter((l) => l.startsWith("|"))).toHaveLength(2 + 5);
  });

  it("review's table: within COLUMNS, a mitigation's note under its name", () => {
    const r = cli(["review", "1032812", "dns-a-aaaa", "dns-a-aaaa-2-endpoints", "single-request"], "60");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    const start = lines.findIndex((l) => /^\s+scenario\s/.test(l));
    const end = lines.indexOf("", start);
    const table = lines.slice(start, end < 0 ? undefined : end);
    expect(table.length).toBeGreaterThan(4);
    expect(widest(table.join("\n"))).toBeLessThanOrEqual(60);
    expect(squeeze(table.join(""))).toContain(squeeze("(mitigation of dns-a-aaaa, dns-a-aaaa-2-endpoints, dns-3-packets)"));
  });
});
