/** `diagnose` as a screen of text: the answer first, then its evidence (docs/sre.md). */
import type { Consistency, Diagnosis, Finding, ScenarioAnswer } from "../app/diagnose.js";
import type { CounterName } from "../node/stats.js";
import { fmtInt, type Paint } from "./text.js";
import { wrap as wrapText } from "./width.js";

/** The column the labels' text starts at ("kernel    ", "counters  "). */
const IN = "          ";

const CONSISTENCY: Readonly<Record<Consistency, string>> = {
  consistent: "consistent with the node's counters",
  partly: "partly consistent with the node's counters",
  "not-shown": "not shown by the node's counters",
  "no-counter": "leaves no counter: the node's counters cannot show it",
  "not-read": "the node's counters were not read",
};

const counterList = (c: Partial<Record<CounterName, number>>): string =>
  Object.entries(c).map(([n, v]) => `${n} ${fmtInt(v)}`).join(", ") || "none";

const fixWords = (f: Finding): string =>
  f.fixedIn === null
    ? "no release fixes it yet"
    : `fixed in ${f.fixedIn.release}${f.fixedIn.adds.length ? ` (${f.fixedIn.adds.join(", ")})` : ""}`;

/** `first` then `text`, wrapped to `width` (report/width.ts), continuation lines under `indent`. */
function wrap(text: string, width: number, indent: string, first = ""): string[] {
  const line = first === "" ? indent + text : first + text;
  const lead = /^ */.exec(line)![0];
  return wrapText(line, width, indent.startsWith(lead) ? indent.slice(lead.length) : indent);
}

function headline(d: Diagnosis): string {
  const k = d.kernel.modelled;
  const holding = d.mitigations.filter((m) => m.verdict === "holds").map((m) => m.name);
  const failing = d.mitigations.filter((m) => m.verdict === "violated").map((m) => m.name);
  const mit = `${holding.length ? `${holding.join(", ")} hold here` : "no mitigation holds here"}${failing.length ? `; ${failing.join(", ")} do not` : ""}`;
  const r = d.race;
  if (r.verdict === "violated") {
    const f = r.findings;
    const classes = f.map((x) => x.class).join(", ");
    const shown = f.some((x) => x.consistency === "consistent") ? "the counters are consistent with it" : f.some((x) => x.consistency === "partly") ? "the counters are partly consistent with it" : d.counters ? "the counters do not show it" : "counters not read";
    const yours = d.yours !== r ? (d.yours.verdict === "holds" ? ` Your ${d.yours.scenario} holds: this node's setting avoids it.` : ` Your ${d.yours.scenario} does not avoid it.`) : "";
    return `On ${k} the A and AAAA queries' race is reachable (${classes}); ${shown}; ${fixWords(f[0]!)}; ${mit}.${yours}`;
  }
  const resolved = r.clashResolved ? ` is reachable and resolved (no query lost; ${r.counters.some((c) => c.clash_resolve > 0) ? "clash_resolve" : "insert_failed"} counts it)` : " is not reachable";
  const lose = d.others.filter((o) => o.verdict === "violated").map((o) => o.scenario);
  return `On ${k} the A and AAAA queries' race${resolved}. ${lose.length ? `What can still lose a query or reply: ${lose.join(", ")} (below).` : "Nothing else searched loses a query or reply."}`;
}

function findingLines(f: Finding, width: number, colours: Paint): string[] {
  const pad = IN + "  ";
  const fix = fixWords(f);
  return [
    ...wrap(`${f.class}: ${f.meaning}`, width, pad, `  ${colours.red("REACHABLE")} `),
    ...wrap(`counters it raises: ${counterList(f.raises)}; ${CONSISTENCY[f.consistency]}. ${fix[0]!.toUpperCase()}${fix.slice(1)}.`, width, pad),
    ...wrap(`trace: ${f.trace}`, width, pad),
  ];
}

function otherLines(o: ScenarioAnswer, width: number, colours: Paint): string[] {
  if (o.verdict !== "violated") return [`  ${colours.green(o.verdict === "holds" ? "holds" : o.verdict)}  ${o.scenario}`];
  const fix = (f: Finding): string => (f.fixedIn ? `fixed in ${f.fixedIn.release}` : "no fix yet");
  const judged = (f: Finding): string =>
    `${f.class} (${f.consistency === "not-read" ? "" : `${CONSISTENCY[f.consistency].replace(/ with the node's counters| by the node's counters|: the node's counters cannot show it/, "")}; `}${fix(f)})`;
  return [
    ...wrap(`${o.scenario}: ${o.findings.map(judged).join(", ")}`, width, "         ", `  ${colours.red("LOSES")}  `),
    ...wrap(`when: ${o.description}`, width, "         "),
  ];
}

export function renderDiagnosis(d: Diagnosis, colours: Paint, width: number): string {
  const k = d.kernel;
  const out: string[] = [];
  out.push(...wrap(headline(d), width, IN, colours.bold("answer") + "    "));
  out.push("");
  out.push(...wrap(`${k.given} (${k.source})${k.distro ? `: ${k.distro}'s build` : ""}, modelled as ${k.modelled}`, width, IN, "kernel    "));
  for (const u of k.uncertain) out.push(...wrap(`not known: ${u}`, width, IN + "  ", IN));
  const s = d.setting;
  const resolver = s.resolver === "parallel" ? "A and AAAA at once (glibc)" : s.resolver;
  out.push(...wrap(`${s.endpoints} DNS endpoint${s.endpoints === 1 ? "" : "s"}, kube-proxy ${s.proxy}, resolver: ${resolver}, NodeLocal DNSCache: ${s.nodelocaldns ? "yes" : "no"}`, width, IN, "setting   "));
  for (const n of s.notes) out.push(...wrap(n, width, IN + "  ", IN + "- "));
  if (d.counters) out.push(...wrap(`${counterList(d.counters.risen)} (${d.counters.since === "boot" ? "totals since boot" : "rose between the readings"}; ${d.counters.source})`, width, IN, "counters  "));
  else out.push("counters  not read: --conntrack-stats FILE (conntrack -S, or /proc/net/stat/nf_conntrack)");
  out.push("");
  const r = d.race;
  out.push(colours.bold(`The A/AAAA race on ${k.modelled}`) + ` (${r.scenario}, ${fmtInt(r.states)} states)`);
  if (r.verdict === "violated") for (const f of r.findings) out.push(...findingLines(f, width, colours));
  else out.push(`  ${colours.green(r.verdict === "holds" ? "holds" : r.verdict)}: ${r.clashResolved ? "the race happens and is resolved; the counters it leaves: " + r.counters.map((c) => `${c.insert_failed}/${c.drop}/${c.clash_resolve}`).join(", ") + " (insert_failed/drop/clash_resolve)" : "no query lost"}`);
  out.push("", colours.bold(`Mitigations on ${k.modelled}`));
  for (const m of d.mitigations) {
    const v = m.verdict === "holds" ? colours.green("holds     ") : m.verdict === "violated" ? colours.red("fails     ") : "unknown   ";
    out.push(...wrap(`${m.name}${m.inEffect ? " (in effect here)" : ""}: ${m.how}${m.classes.length ? ` [${m.classes.join(", ")}]` : ""}`, width, IN + "  ", `  ${v}`));
  }
  if (d.others.length) {
    out.push("", colours.bold(`Other ways to lose a DNS query or reply on ${k.modelled}`) + " (each only when its setting holds)");
    for (const o of d.others) out.push(...otherLines(o, width, colours));
  } else out.push("", "Other ways to lose a query: not searched (pods' queries are untracked or go over TCP)");
  out.push("", ...wrap(d.live, width, IN, "live      "));
  return out.join("\n") + "\n";
}
