// Records what the search finds for every built-in scenario on every release, unreduced: verdict, states,
// transitions and each class's states. `node scripts/results-baseline.mjs DIST OUT.json` runs a build's dist/
// (this checkout's, or an older commit's built in a worktree), so a later build can be compared with it
// (test/unchanged.test.ts). The file records that build's exploration; nobody writes its numbers.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dist = "dist", out] = process.argv.slice(2);
const load = (m) => import(pathToFileURL(resolve(dist, m)).href);
const { runCheck } = await load("app/check.js");
const { RELEASES } = await load("kernel/variants.js");
const { builtinScenarioNames, resolveScenario } = await load("scenario/registry.js");
const rows = [];
for (const name of builtinScenarioNames()) {
  const sc = resolveScenario(name);
  for (const r of RELEASES) {
    const res = runCheck(sc, r.name, undefined, { reduce: { symmetry: false, por: false } }).result;
    rows.push({ scenario: name, kernel: r.name, verdict: res.verdict, states: res.states, transitions: res.transitions, classes: Object.fromEntries(res.violations.map((v) => [v.name, v.states])) });
  }
}
const text = JSON.stringify(rows, null, 1) + "\n";
if (out) writeFileSync(out, text);
else process.stdout.write(text);
