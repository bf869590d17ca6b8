/** `conntrack-mc review PATCH... [--base V] [scenario...]`: the reviewer's one command. */
import { resolveScenario, builtinScenarioNames } from "../scenario/registry.js";
import { InputError } from "../errors.js";
import { defaultBase, patchedKernel, review, reviewFails } from "../app/review.js";
import { PATCHES, describeKernel, findPatch, resolveKernel } from "../kernel/variants.js";
import type { Patch } from "../kernel/patch.js";
import { loadPatchFile, PATCH_EXTENSIONS, warnUnusedPatches } from "../user-patch/load.js";
import { extname } from "node:path";
import { oneOf, parse } from "./args.js";
import { patchSet, SEARCH_FLAGS, searchSettings } from "./common.js";
import { compareExit, FAIL_ON, tableCost, uniqueScenarios } from "./compare-cmd.js";
import { clearProgress, paint } from "./format.js";
import { checkOutName, emit, refuseInputAsOutput } from "./output.js";
import { compareCounterexamples } from "../app/pages.js";
import { pageTraces, renderReviewPage } from "../report/pages.js";
import { renderReview, renderReviewMarkdown, reviewJson } from "../report/review.js";
import { REVIEW_USAGE } from "./usage.js";

/** A patch argument: a module file, or a built-in patch's id or commit. */
const isPatchFile = (arg: string): boolean => PATCH_EXTENSIONS.includes(extname(arg).toLowerCase());

export async function reviewCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    base: { type: "string" },
    "fail-on": { type: "string" },
    json: { type: "boolean" },
    markdown: { type: "boolean" },
    probability: { type: "boolean" },
    out: { type: "string", short: "o" },
    html: { type: "string" },
    ...SEARCH_FLAGS,
  }, REVIEW_USAGE);
  if (values.json && values.markdown) throw new InputError("--json, --markdown: expected at most one output format");
  const failOn = values["fail-on"] === undefined ? undefined : oneOf(values["fail-on"], "--fail-on", FAIL_ON, "new");
  // --patch files are there for --base; the positional patches (files, or built-ins by id) are reviewed.
  const loaded = await patchSet(values.patch);
  const user: Patch[] = [];
  const ids: string[] = [];
  /** Each reviewed file as the user named it. */
  const given = new Map<string, string>();
  const scenarioArgs: string[] = [];
  for (const arg of positionals) {
    let id: string;
    if (isPatchFile(arg)) {
      // A reviewed file is a positional argument, not --patch: its load, apply and hook errors say so.
      const p = await loadPatchFile(arg, "patch");
      if (loaded.some((q) => q.id.toLowerCase() === p.id.toLowerCase())) throw new InputError(`patch ${arg}: id '${p.id}' is also a built-in patch or a --patch file's: expected each patch once`);
      user.push(p);
      given.set(p.id, arg);
      id = p.id;
    } else if (findPatch(arg, PATCHES)) id = findPatch(arg, PATCHES)!.id;
    else {
      scenarioArgs.push(arg);
      continue;
    }
    if (ids.some((x) => x.toLowerCase() === id.toLowerCase())) throw new InputError(`patch: '${arg}' (${id}) is given twice: expected each patch once`);
    ids.push(id);
  }
  if (ids.length === 0) throw new InputError("patch: expected one or more patches to review (a .mjs file, or a built-in patch id such as 1032812)", { usage: REVIEW_USAGE });
  const patches = [...loaded, ...user];
  if (values.base === "") throw new InputError("--base: expected a kernel variant such as v6.12, got ''");
  const base = resolveKernel(values.base ?? defaultBase(ids, patches), "--base", patches);
  const patched = patchedKernel(base, ids, patches);
  warnUnusedPatches(loaded.filter((p) => !PATCHES.includes(p)), [base]);
  const scenarios = (scenarioArgs.length ? scenarioArgs : builtinScenarioNames()).map((a) => resolveScenario(a));
  uniqueScenarios(scenarios);
  const settings = searchSettings(values);
  checkOutName(values.out, "--out");
  refuseInputAsOutput(values.out, "--out", [...positionals, ...(values.patch ?? [])]);
  checkOutName(values.html, "--html");
  refuseInputAsOutput(values.html, "--html", [...positionals, ...(values.patch ?? []), ...(values.out !== undefined ? [values.out] : [])]);
  const result = review(scenarios, base, patched, patches, { ...settings.options, probability: values.probability ?? false, patches }, (p) => given.get(p.id));
  clearProgress();
  const baseWhy = values.base !== undefined ? "given with --base" : "the newest release the patches apply to";
  const cost = tableCost(result.compare, values.json === true);
  const fails = failOn ? reviewFails(result, failOn) : null;
  const text = values.json
    ? JSON.stringify({ ...reviewJson(result, describeKernel(base), failOn, fails), ...cost }, null, 2) + "\n"
    : (values.markdown ? renderReviewMarkdown(result, describeKernel(base), baseWhy, paint()) : renderReview(result, describeKernel(base), baseWhy, paint()));
  emit(text, values.out, "--out");
  if (values.html !== undefined) {
    const json = { ...reviewJson(result, describeKernel(base), failOn, fails), ...cost };
    const traces = pageTraces(compareCounterexamples(result.compare, scenarios, [base, patched], patches, settings.options), patches);
    emit(renderReviewPage(result, json, traces), values.html, "--html");
  }
  return compareExit(result.compare, failOn);
}
