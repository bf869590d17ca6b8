/** `diagnose --html`: the diagnosis as one self-contained page (no script, no network), the text's sections as tables. */
import type { Diagnosis, Finding, ScenarioAnswer } from "../app/diagnose.js";
import { headline } from "./diagnose.js";

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const row = (cells: readonly string[], tag = "td"): string => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join("")}</tr>`;
const tableOf = (head: readonly string[], rows: readonly (readonly string[])[]): string => `<table>${row(head, "th")}${rows.map((r) => row(r)).join("")}</table>`;

const counters = (f: Finding): string => Object.entries(f.raises).map(([n, v]) => `${n} ${v}`).join(", ") || "none";
const fix = (f: Finding): string => (f.fixedIn ? `${f.fixedIn.release} ${f.fixedIn.adds.join(", ")}` : "none yet");
const findings = (a: ScenarioAnswer): string[][] =>
  a.findings.length ? a.findings.map((f) => [a.scenario, f.class, f.meaning, counters(f), f.consistency, fix(f), f.trace]) : [[a.scenario, a.verdict, a.clashResolved ? "the race happens and is resolved" : "", "", "", "", ""]];

export function renderDiagnosisPage(d: Diagnosis): string {
  const head = ["scenario", "class", "what", "counters it raises", "node's counters", "fixed in", "evidence"];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>conntrack-mc diagnose ${esc(d.kernel.given)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:16px;max-width:1200px}table{border-collapse:collapse;margin:6px 0 14px}th,td{border:1px solid #ddd;padding:3px 6px;vertical-align:top;font-size:13px}th{background:#f0f0f0}</style></head><body>
<h1>diagnose: ${esc(d.kernel.given)}, modelled as ${esc(d.kernel.modelled)}</h1>
<p><b>${esc(headline(d))}</b></p>
<p>verdict: <b>${esc(d.verdict)}</b></p>
${d.kernel.uncertain.map((u) => `<p>not known: ${esc(u)}</p>`).join("\n")}
<h2>Setting</h2><ul>${[`${d.setting.endpoints} DNS endpoints, kube-proxy ${d.setting.proxy}, resolver ${d.setting.resolver}, NodeLocal DNSCache ${d.setting.nodelocaldns ? "yes" : "no"}`, ...d.setting.notes].map((n) => `<li>${esc(n)}</li>`).join("")}</ul>
<h2>Counters</h2><p>${d.counters ? esc(`${Object.entries(d.counters.risen).map(([n, v]) => `${n} ${v}`).join(", ")} (${d.counters.since}; ${d.counters.source})`) : "not read"}</p>
<h2>The A/AAAA race</h2>${tableOf(head, findings(d.race))}
<h2>Mitigations</h2>${tableOf(["mitigation", "verdict", "in effect", "how", "classes"], d.mitigations.map((m) => [m.name, m.verdict, m.inEffect ? "yes" : "", m.how, m.classes.join(", ")]))}
<h2>Other ways to lose a query or reply</h2>${tableOf([...head.slice(0, 1), "setting", ...head.slice(1)], d.others.flatMap((o) => findings(o).map((r) => [r[0]!, o.description, ...r.slice(1)])))}
<p>live: ${esc(d.live)}</p>
</body></html>
`;
}
