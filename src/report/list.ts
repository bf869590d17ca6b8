/** `list` as text: a table per kind, every line within the output's width (report/width.ts). */
import type { Listing } from "../app/list.js";
import type { Paint } from "./text.js";
import { PROPERTY_GATES } from "../kernel/properties/properties.js";
import { fitTable, outputWidth, wrap, type Cell } from "./width.js";

/** A table's last column narrower than this (or a column before it that would wrap) goes under its row. */
const STACK = 24;

type Scenario = Listing["scenarios"][number];

/** "for dns-a-aaaa, dns-3-packets: resolv.conf ...", led by the mitigation's own name where it is not the scenario's. */
function mitigationText(s: Scenario): string {
  const m = s.mitigation!;
  return `${m.name === s.name ? "" : `${m.name}, `}for ${m.of.join(", ")}: ${m.how}`;
}

/** What a release (or the stable releases) has: its deltas, not whole chains. */
function variantSections({ variants, versions, backports }: Listing, paint: Paint, width: number): string[] {
  const same = (k: string): string[] => versions.sameAs.filter((v) => v.kernel === k).map((v) => v.name);
  const alike = (k: string): string => {
    const names = same(k);
    return names.length ? `(also ${names.length > 2 ? `${names[0]} … ${names.at(-1)}` : names.join(", ")})` : "";
  };
  const prose = (s: string): string[] => wrap(s, width);
  return [
    ...prose(`${paint.bold("kernel variants")} (a release ${versions.oldest} … ${versions.newest}, ${versions.candidate} in release candidates, or a stable one such as v6.1.147; then any +patch: v4.18+1032812)`),
    // A narrow terminal wraps a long delta rather than putting "(also ...)" under every row.
    ...fitTable(variants.map((v) => [v.name, v.base === null ? "the base" : `= ${v.base} + ${v.adds.join(" + ")}`, alike(v.name)]), { width }),
    ...prose(`  Each release not listed is the kernel of the newest listed one before it (${versions.candidate} is in release candidates).`),
    ...prose("  A stable release adds the backports its line had by then:"),
    ...fitTable(backports.map((b) => [b.stable, `+ ${b.patch}`, b.source]), { width, indent: "    ", stack: STACK }),
  ];
}

export function renderList(listing: Listing, paint: Paint, width: number = outputWidth()): string {
  const { scenarios, patches, properties, functions } = listing;
  const prose = (s: string): string[] => wrap(s, width);
  const section = (head: string, rows: Cell[][]): string[] => [...prose(head), ...fitTable(rows, { width, stack: STACK })];
  const mitigations = scenarios.filter((s) => s.mitigation !== undefined);
  const out = [
    ...section(`${paint.bold("scenarios")} (models/; or give a path to your own .yaml/.json)`, scenarios.map((s) => [s.name, s.properties.join(", "), s.description])),
    "",
    ...(mitigations.length
      ? [...section(`${paint.bold("mitigations")} (scenarios above: a setting users change against the races of the scenarios named)`, mitigations.map((s) => [s.name, mitigationText(s)])), ""]
      : []),
    ...variantSections(listing, paint, width),
    "",
    ...section(paint.bold("patches"), patches.map((p) => [p.id, p.commit, p.mainline, p.title])),
    "",
    ...section(`${paint.bold("properties")} (a check evaluates each one its scenario supports: ${PROPERTY_GATES})`, properties.map((p) => [p.name, p.description])),
    "",
    ...section(`${paint.bold("functions a patch may override")} (--patch FILE: apply(base, lib) returns some of them; docs/patch-api.md)`, functions.map((f) => [f.name, f.kernel, f.summary])),
  ];
  return out.join("\n") + "\n";
}
