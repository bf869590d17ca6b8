/** The mitigations of a violated scenario, as `check` prints them after its report. */
import type { MitigationResult } from "../app/mitigations.js";
import { table, type Paint } from "./text.js";

export function renderMitigations(ms: readonly MitigationResult[], scenario: string, kernel: string, paint: Paint): string {
  if (ms.length === 0) return "";
  const holding = ms.filter((m) => m.verdict === "holds");
  const rows = ms.map((m) => [m.verdict === "holds" ? paint.green("holds") : m.verdict === "violated" ? paint.red("fails") : m.verdict, m.name, m.verdict === "violated" ? `${m.how} [${m.classes.join(", ")}]` : m.how]);
  return [
    "",
    `${paint.bold("mitigations")} of ${scenario} on ${kernel}, each searched: ${holding.length} of ${ms.length} hold`,
    table(rows),
    "",
  ].join("\n");
}
