/** A counterexample as `trace --format json` prints it (and the HTML pages carry): steps, states, explanation, source links. */
import type { Counterexample } from "../app/check.js";
import type { DifferentialCounterexample } from "../app/differential.js";
import type { Kernel } from "../kernel/kernel.js";
import type { ConntrackModel } from "../model/model.js";
import type { Patch } from "../kernel/patch.js";
import { PATCHES } from "../kernel/variants.js";
import type { Scenario } from "../scenario/scenario.js";
import { readableState } from "./readable.js";
import { sourceLinks } from "./sources.js";
import { wordSteps } from "./notes.js";
import { wordExplanation } from "./explanation.js";

export function traceJson(sc: Scenario, kernel: Kernel, model: ConntrackModel, cx: Counterexample, patches: readonly Patch[] = PATCHES) {
  return {
    scenario: sc.name,
    kernel: kernel.name,
    kernelParts: kernel.parts,
    property: cx.property,
    class: cx.class,
    preemptions: cx.preemptions,
    /** Whose packet or reply, which step decided it, which step caused it, in words. */
    explanation: cx.explanation ? wordExplanation(cx.explanation, sc) : null,
    /** The steps, each note in words. */
    steps: wordSteps(cx.steps, sc),
    states: cx.path.states.map((s) => readableState(model, s)),
    /** Where each step's kernel function can be read: the source at the release, or the patch that changed it. */
    links: sourceLinks(kernel, cx.steps.map((s) => s.function), patches),
  };
}

/** `trace --against --format json` (and each of `review --json`'s differential counterexamples): A's trace, then what B did with its choices. */
export function differentialJson(sc: Scenario, a: Kernel, b: Kernel, d: DifferentialCounterexample) {
  const head = d.a ? traceJson(sc, a, d.models.a, d.a) : { scenario: sc.name, kernel: a.name, kernelParts: a.parts, property: d.property, class: d.class };
  return {
    ...head,
    against: {
      kernel: b.name,
      kernelParts: b.parts,
      kind: d.kind,
      class: d.class,
      property: d.property,
      tried: d.tried,
      pairStates: d.states,
      ...(d.stoppedBy !== undefined ? { stoppedBy: d.stoppedBy } : {}),
      ...(d.b
        ? {
            outcome: d.b.outcome,
            classes: d.b.classes,
            finished: d.b.finished,
            skipped: d.b.skipped,
            mirrors: d.b.mirrors,
            steps: wordSteps(d.b.steps, sc),
            states: d.b.path.states.map((s) => readableState(d.models.b, s)),
          }
        : {}),
    },
  };
}
