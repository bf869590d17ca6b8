/** `diagnose` as a screen of text: the answer first, then its evidence (docs/sre.md). */
import type { Consistency, Diagnosis, Finding, ScenarioAnswer } from "../app/diagnose.js";
import type { CounterName } from "../node/stats.js";
import { fmtInt, type Paint } from "./text.js";
import { wrap as wrapText } from "./width.js";

/** The column the labels' text starts at ("kernel    ", "counters  "). */
const IN = "          ";

const CONSISTENCY: Readonly<Record<Consistency, string>> = {
  consistent: "consistent with the node's counters",
  "not-shown": "not shown by the node's counters (not every counter it raises rose)",
  "no-counter": "leaves no counter: the node's counters cannot show it",
  "not-in-reading": "the node's reading lacks the counters it raises",
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

/** The release that fixes every one of `fs`: the latest of theirs, none if one has none. */
function fixOfAll(fs: readonly Finding[]): string {
  if (fs.some((f) => f.fixedIn === null)) return "no release fixes it yet";
  const last = [...fs].sort((a, b) => releaseOrder(a) - releaseOrder(b)).at(-1)!;
  return fs.length > 1 ? `${fixWords(last)} (the last of its classes to go)` : fixWords(last);
}
const releaseOrder = (f: Finding): number => {
  const [major, minor] = f.fixedIn!.release.slice(1).split(".").map(Number);
  return major! * 100 + minor!;
};

const UNDECIDED = "not decided: a budget stopped the search";

export function headline(d: Diagnosis): string {
  const k = d.kernel.modelled;
  const named = (v: string): string[] => d.mitigations.filter((m) => m.verdict === v).map((m) => m.name);
  const [holding, failing, open] = [named("holds"), named("violated"), named("incomplete")];
  const mit = [
    holding.length ? `${holding.join(", ")} hold here` : "no mitigation holds here",
    ...(failing.length ? [`${failing.join(", ")} do not`] : []),
    ...(open.length ? [`${open.join(", ")} ${UNDECIDED}`] : []),
  ].join("; ");
  const tcp = d.setting.resolver === "tcp" ? " The pods' resolver sends over TCP (use-vc): this UDP race is not theirs." : "";
  const r = d.race;
  if (r.verdict === "violated") {
    const f = r.findings;
    const classes = f.map((x) => x.class).join(", ");
    const shown = f.some((x) => x.consistency === "consistent")
      ? "the counters are consistent with it"
      : f.every((x) => x.consistency === "no-counter")
        ? "it leaves no counter to show it"
        : d.counters
          ? "the counters do not show it"
          : "counters not read";
    const y = d.yours;
    const yours = y === r ? "" : y.verdict === "holds" ? ` Your ${y.scenario} holds: this node's setting avoids it.` : y.verdict === "violated" ? ` Your ${y.scenario} does not avoid it.` : ` Your ${y.scenario}: ${UNDECIDED}.`;
    return `On ${k} the A and AAAA queries' race is reachable (${classes}); ${shown}; ${fixOfAll(f)}; ${mit}.${yours}${tcp}`;
  }
  if (r.verdict === "incomplete") return `On ${k} the A and AAAA queries' race is ${UNDECIDED} (raise --max-states, --max-seconds or --max-memory).${tcp}`;
  const counter = r.counters.some((c) => c.clash_resolve > 0) ? "clash_resolve" : "insert_failed";
  const seen = d.counters?.risen[counter] ? `; the node's ${counter} (${fmtInt(d.counters.risen[counter])}) shows it happening` : "";
  const resolved = r.clashResolved ? ` is reachable and resolved (no query lost; ${counter} counts it${seen})` : " is not reachable";
  const lose = d.others.filter((o) => o.verdict === "violated").map((o) => o.scenario);
  const undecided = d.others.filter((o) => o.verdict === "incomplete").map((o) => o.scenario);
  const rest = lose.length ? `What can still lose a query or reply: ${lose.join(", ")} (below).` : d.others.length ? "Nothing else searched loses a query or reply." : "";
  return `On ${k} the A and AAAA queries' race${resolved}. ${rest}${undecided.length ? ` ${undecided.join(", ")}: ${UNDECIDED}.` : ""}${tcp}`;
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
  if (o.verdict === "holds") return [`  ${colours.green("holds")}  ${o.scenario}`];
  if (o.verdict === "incomplete") return [`  ${colours.yellow("open ")}  ${o.scenario}: ${UNDECIDED}`];
  const fix = (f: Finding): string => (f.fixedIn ? `fixed in ${f.fixedIn.release}` : "no fix yet");
  const judged = (f: Finding): string =>
    `${f.class} (${f.consistency === "not-read" ? "" : `${CONSISTENCY[f.consistency].replace(/ with the node's counters| by the node's counters \(not every counter it raises rose\)|: the node's counters cannot show it/, "")}; `}${fix(f)})`;
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
  else if (r.verdict === "incomplete") out.push(`  ${colours.yellow("open")}: ${UNDECIDED}`);
  else out.push(`  ${colours.green("holds")}: ${r.clashResolved ? "the race happens and is resolved; the counters it leaves: " + r.counters.map((c) => `${c.insert_failed}/${c.drop}/${c.clash_resolve}`).join(", ") + " (insert_failed/drop/clash_resolve)" : "no query lost"}`);
  out.push("", colours.bold(`Mitigations on ${k.modelled}`));
  for (const m of d.mitigations) {
    const v = m.verdict === "holds" ? colours.green("holds     ") : m.verdict === "violated" ? colours.red("fails     ") : colours.yellow("open      ");
    out.push(...wrap(`${m.name}${m.inEffect ? " (in effect here)" : ""}: ${m.how}${m.classes.length ? ` [${m.classes.join(", ")}]` : ""}`, width, IN + "  ", `  ${v}`));
  }
  if (d.others.length) {
    out.push("", colours.bold(`Other ways to lose a DNS query or reply on ${k.modelled}`) + " (each only when its setting holds)");
    for (const o of d.others) out.push(...otherLines(o, width, colours));
  } else {
    out.push("", ...wrap(d.setting.nodelocaldns ? "Other ways to lose a query: not searched. Pods' queries to NodeLocal DNSCache are untracked; the cache's own queries to the cluster DNS are tracked (over TCP for cluster.local by default, force_tcp), which this answer does not model." : "Other ways to lose a query: not searched (the pods' queries go over TCP).", width, ""));
  }
  out.push("", ...wrap(d.live, width, IN, "live      "));
  return out.join("\n") + "\n";
}
