/** `list` as text: a table per kind. */
import type { Listing } from "../app/list.js";
import { table, type Paint } from "./text.js";
import { PROPERTY_GATES } from "../kernel/properties/properties.js";

export function renderList({ scenarios, variants, versions, backports, patches, properties, functions }: Listing, paint: Paint): string {
  const same = (k: string): string[] => versions.sameAs.filter((v) => v.kernel === k).map((v) => v.name);
  const alike = (k: string): string => {
    const names = same(k);
    return names.length ? `(also ${names.length > 2 ? `${names[0]} … ${names.at(-1)}` : names.join(", ")})` : "";
  };
  const out = [
    paint.bold("scenarios") + " (models/; or give a path to your own .yaml/.json)",
    table(scenarios.map((s) => [s.name, s.properties.join(", "), s.description])),
    "",
    paint.bold("kernel variants") + ` (a release ${versions.oldest} … ${versions.newest}, ${versions.candidate} in release candidates, or a stable one such as v6.1.147; then any +patch: v4.18+1032812)`,
    table(variants.map((v) => [v.name, v.base === null ? "the base" : `= ${v.base} + ${v.adds.join(" + ")}`, alike(v.name)])),
    `  Each release not listed is the kernel of the newest listed one before it (${versions.candidate} is in release candidates).`,
    "  A stable release adds the backports its line had by then:",
    table(backports.map((b) => [`  ${b.stable}`, `+ ${b.patch}`, b.source])),
    "",
    paint.bold("patches"),
    table(patches.map((p) => [p.id, p.commit, p.mainline, p.title])),
    "",
    paint.bold("properties") + ` (a check evaluates each one its scenario supports: ${PROPERTY_GATES})`,
    table(properties.map((p) => [p.name, p.description])),
    "",
    paint.bold("functions a patch may override") + " (--patch FILE: apply(base, lib) returns some of them; docs/patch-api.md)",
    table(functions.map((f) => [f.name, f.kernel, f.summary])),
  ];
  return out.join("\n") + "\n";
}
