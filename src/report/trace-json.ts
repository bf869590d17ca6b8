/** A counterexample as `trace --format json` prints it (and the HTML pages carry): steps, states, explanation, source links. */
import type { Counterexample } from "../app/check.js";
import type { Kernel } from "../kernel/kernel.js";
import type { ConntrackModel } from "../model/model.js";
import type { Patch } from "../kernel/patch.js";
import { PATCHES } from "../kernel/variants.js";
import type { Scenario } from "../scenario/scenario.js";
import { readableState } from "./readable.js";
import { sourceLinks } from "./sources.js";

export function traceJson(sc: Scenario, kernel: Kernel, model: ConntrackModel, cx: Counterexample, patches: readonly Patch[] = PATCHES) {
  return {
    scenario: sc.name,
    kernel: kernel.name,
    kernelParts: kernel.parts,
    property: cx.property,
    class: cx.class,
    preemptions: cx.preemptions,
    /** Whose packet or reply, which step decided it, which step caused it, in words. */
    explanation: cx.explanation,
    steps: cx.steps,
    states: cx.path.states.map((s) => readableState(model, s)),
    /** Where each step's kernel function can be read: the source at the release, or the patch that changed it. */
    links: sourceLinks(kernel, cx.steps.map((s) => s.function), patches),
  };
}

