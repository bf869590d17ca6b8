/**
 * Informal Trace Format (ITF, Apalache ADR-015, also written by Quint): a JSON
 * object with "#meta", "vars" and "states". Integers are {"#bigint": "n"},
 * maps {"#map": [[k, v], ...]}, sets {"#set": [...]}, records plain objects,
 * sequences arrays, and an option a Quint variant {"tag": "Some"|"None", ...}.
 * A state's "#meta" marks the state a decisive step led to (decisive, kind,
 * violation, packet, causeStep) and the state its cause led to (cause,
 * causeOf); the top "#meta" holds the explanation.
 */
import type { Counterexample } from "../app/check.js";
import type { ConntrackModel } from "../model/model.js";
import { readableState, type ReadableConn, type ReadableTuple } from "./readable.js";
import { wordExplanation } from "./explanation.js";

export type ItfValue = boolean | string | ItfValue[] | { [k: string]: ItfValue };

const int = (n: number): ItfValue => ({ "#bigint": String(n) });
const tuple = (t: ReadableTuple): ItfValue => ({ src: t.src, sport: int(t.sport), dst: t.dst, dport: int(t.dport) });
const conn = (c: ReadableConn): ItfValue => ({ orig: tuple(c.orig), reply: tuple(c.reply), status: { "#set": c.status } });
const none: ItfValue = { tag: "None", value: { "#tup": [] } };

export const ITF_VARS = ["packets", "table", "bysource", "rover", "stats", "mbt::actionTaken"] as const;

/** "#meta" is free-form JSON (ADR-015): plain numbers, not ITF's #bigint. */
type ItfMeta = string | number | boolean | null | readonly number[];

export function renderItf(model: ConntrackModel, cx: Counterexample, meta: { source: string; description: string }): unknown {
  const why = cx.explanation;
  const states = cx.path.states.map((s, i) => {
    const r = readableState(model, s);
    const step = i === 0 ? undefined : cx.steps[i - 1]!;
    // State i is the one step i led to: it carries that step's marks.
    const marks: Record<string, ItfMeta> = {};
    if (step?.decisive) {
      const x = step.explanation;
      Object.assign(marks, { decisive: true, kind: x?.kind ?? "dropped", violation: step.violation ?? cx.class, packet: step.packet, causeStep: x?.causeStep ?? null });
    }
    if (step?.cause) Object.assign(marks, { cause: true, causeOf: [...step.causeOf] });
    return {
      "#meta": { index: i, ...marks },
      packets: {
        "#map": Object.entries(r.packets).map(([name, p]) => [
          name,
          {
            cpu: int(p.cpu),
            next: p.next,
            fate: p.fate,
            ct: p.ct ? { tag: "Some", value: conn(p.ct) } : none,
            freed: p.freed,
            uses: p.uses,
            clashWith: p.clashWith,
          },
        ]),
      },
      table: r.table,
      bysource: r.bysource,
      rover: int(r.rover),
      stats: {
        "#map": Object.entries(r.stats).map(([cpu, c]) => [
          cpu,
          { insert_failed: int(c.insert_failed), drop: int(c.drop), clash_resolve: int(c.clash_resolve), ...(c.early_drop !== undefined ? { early_drop: int(c.early_drop) } : {}), ...(c.chaintoolong !== undefined ? { chaintoolong: int(c.chaintoolong) } : {}) },
        ]),
      },
      "mbt::actionTaken": step ? `${step.actor} ${step.packet} ${step.function}` : "init",
    };
  });
  return {
    "#meta": {
      format: "ITF",
      "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
      source: meta.source,
      description: meta.description,
      ...(why ? { explanation: wordExplanation(why, model.ctx.sc) } : {}),
    },
    vars: [...ITF_VARS],
    states,
  };
}
