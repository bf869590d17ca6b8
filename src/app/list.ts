/** What `list` shows: the built-in scenarios (and which are mitigations), kernel variants, patches, properties, and the functions a patch may override. */
import { propertiesOf } from "./check.js";
import { HOOK_DOCS } from "../user-patch/hook-docs.js";
import { PROPERTIES } from "../kernel/properties/properties.js";
import { HOOKS } from "../user-patch/load.js";
import { PATCHES, RELEASES, releaseOf, resolveKernel } from "../kernel/variants.js";
import { BACKPORTS } from "../kernel/stable.js";
import { CANDIDATE, compareVersions, MAINLINE, NEWEST, OLDEST, parseVersion } from "../kernel/versions.js";
import { builtinScenarioNames, resolveScenario } from "../scenario/registry.js";

export function listing() {
  const scenarios = builtinScenarioNames().map((n) => {
    const sc = resolveScenario(n);
    // Which properties a check of it evaluates: all-replied only where the scenario has replies. A mitigation
    // (a setting users change against the races of the scenarios it names) says so.
    const m = sc.mitigation;
    return {
      name: n,
      description: sc.description,
      kernels: sc.kernels,
      properties: propertiesOf(sc).map((p) => p.name),
      ...(m ? { mitigation: { name: m.name, of: [...m.of], how: m.how } } : {}),
    };
  });
  const variants = RELEASES.map((r, i) => ({ name: r.name, parts: resolveKernel(r.name).parts, base: i > 0 ? RELEASES[i - 1]!.name : null, adds: r.adds, note: r.note }));
  // Every other release is the newest of those not newer than it; a stable release adds its line's backports.
  const versions = { oldest: OLDEST, newest: NEWEST, candidate: CANDIDATE, sameAs: MAINLINE.filter((v) => !RELEASES.some((r) => r.name === v)).map((v) => ({ name: v, kernel: releaseOf(parseVersion(v)!).name })) };
  // By stable line, then release: "does my 6.1.x have it" reads down one line's rows.
  const backports = BACKPORTS.map((b) => ({ patch: b.id, stable: `v${b.line}.${b.from}`, source: b.source })).sort((a, b) => compareVersions(parseVersion(a.stable)!, parseVersion(b.stable)!));
  const patches = PATCHES.map((p) => ({ id: p.id, commit: p.commit, mainline: p.mainline, title: p.title, requires: p.requires }));
  const properties = PROPERTIES.map((p) => ({ name: p.name, kind: p.kind, description: p.description }));
  // From HOOKS, so a function is listed even before `npm run patch-api` documents it.
  const functions = HOOKS.map((name) => {
    const d = HOOK_DOCS.find((h) => h.name === name);
    return { name, kernel: d?.kernel ?? "-", summary: d?.summary ?? "(not documented yet: npm run patch-api)" };
  });
  return { scenarios, variants, versions, backports, patches, properties, functions };
}

export type Listing = ReturnType<typeof listing>;
