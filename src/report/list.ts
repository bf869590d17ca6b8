/** `list` as text: a table per kind. */
import type { Listing } from "../app/list.js";
import { describeKernel, resolveKernel } from "../kernel/variants.js";
import { table, type Paint } from "./text.js";

export function renderList({ scenarios, variants, patches, properties, functions }: Listing, paint: Paint): string {
  const out = [
    paint.bold("scenarios") + " (models/; or give a path to your own .yaml/.json)",
    table(scenarios.map((s) => [s.name, s.properties.join(", "), s.description])),
    "",
    paint.bold("kernel variants") + " (a release, then any +patch: v4.18+1032812)",
    table(variants.map((v) => [v.name, `= ${describeKernel(resolveKernel(v.name))}`, v.note])),
    "",
    paint.bold("patches"),
    table(patches.map((p) => [p.id, p.commit, p.mainline, p.title])),
    "",
    paint.bold("properties") + " (a check evaluates each one its scenario supports: all-replied needs replies: true)",
    table(properties.map((p) => [p.name, p.description])),
    "",
    paint.bold("functions a patch may override") + " (--patch FILE: apply(base, lib) returns some of them; docs/patch-api.md)",
    table(functions.map((f) => [f.name, f.kernel, f.summary])),
  ];
  return out.join("\n") + "\n";
}
