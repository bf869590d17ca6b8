/** `conntrack-mc list [--json]`: built-in scenarios, kernel variants, patches, properties, the functions a patch may override. */
import { propertiesOf } from "../app/check.js";
import { HOOK_DOCS } from "../user-patch/hook-docs.js";
import { PROPERTIES } from "../kernel/properties/properties.js";
import { HOOKS } from "../user-patch/load.js";
import { PATCHES, RELEASES, describeKernel, resolveKernel } from "../kernel/variants.js";
import { builtinScenarioNames, resolveScenario } from "../scenario/registry.js";
import { parse } from "./args.js";
import { bold, table } from "./format.js";
import { LIST_USAGE } from "./usage.js";

export function listCommand(argv: string[]): number {
  const { values } = parse(argv, { json: { type: "boolean" } }, LIST_USAGE);
  const scenarios = builtinScenarioNames().map((n) => {
    const sc = resolveScenario(n);
    // Which properties a check of it evaluates: all-replied only where the scenario has replies.
    return { name: n, description: sc.description, kernels: sc.kernels, properties: propertiesOf(sc).map((p) => p.name) };
  });
  const variants = RELEASES.map((r) => ({ name: r.name, parts: resolveKernel(r.name).parts, note: r.note }));
  const patches = PATCHES.map((p) => ({ id: p.id, commit: p.commit, mainline: p.mainline, title: p.title, requires: p.requires }));
  const properties = PROPERTIES.map((p) => ({ name: p.name, kind: p.kind, description: p.description }));
  // From HOOKS, so a function is listed even before `npm run patch-api` documents it.
  const functions = HOOKS.map((name) => {
    const d = HOOK_DOCS.find((h) => h.name === name);
    return { name, kernel: d?.kernel ?? "-", summary: d?.summary ?? "(not documented yet: npm run patch-api)" };
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ scenarios, variants, patches, properties, functions }, null, 2) + "\n");
    return 0;
  }
  const out = [
    bold("scenarios") + " (models/; or give a path to your own .yaml/.json)",
    table(scenarios.map((s) => [s.name, s.properties.join(", "), s.description])),
    "",
    bold("kernel variants") + " (a release, then any +patch: v4.18+1032812)",
    table(variants.map((v) => [v.name, `= ${describeKernel(resolveKernel(v.name))}`, v.note])),
    "",
    bold("patches"),
    table(patches.map((p) => [p.id, p.commit, p.mainline, p.title])),
    "",
    bold("properties") + " (a check evaluates each one its scenario supports: all-replied needs replies: true)",
    table(properties.map((p) => [p.name, p.description])),
    "",
    bold("functions a patch may override") + " (--patch FILE: apply(base, lib) returns some of them; docs/patch-api.md)",
    table(functions.map((f) => [f.name, f.kernel, f.summary])),
  ];
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}
