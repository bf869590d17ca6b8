/**
 * A counterexample as one self-contained HTML page (`trace --format html`): the
 * same data as `--format json`, embedded, and a small script that draws it: a
 * lane per actor, a row per step, the decisive step and its cause marked, the
 * full state after the selected step with what that step changed highlighted
 * (unchanged parts folded), each step's kernel function linked to its source.
 * No network: scripts and styles are inline, and the page opens from disk.
 */

/** Source links for a trace's kernel functions: function name -> where to read it. */
export type SourceLinks = Record<string, string>;

/** JSON text safe inside <script type="application/json">: no "</" can close the element. */
function embed(data: unknown): string {
  return JSON.stringify(data).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{padding:10px 16px;background:#fff;border-bottom:1px solid #ddd}
nav{padding:4px 16px}
#why{padding:0 16px}
#matrix{margin:12px 0;width:auto}
.matrix-cell.violated .verdict{color:#a00;font-weight:700}
.matrix-cell.holds .verdict{color:#070;font-weight:700}
button.class{display:block;margin:2px 0;font:inherit;font-size:12px}
.change{font-style:italic}
#trace-view h2{font-size:15px;margin:8px 16px}
#cx-pick{margin:0 16px}
h1{font-size:17px;margin:0 0 4px}
#why{margin:4px 0 8px;color:#333;max-width:110ch}
nav button{font:inherit;padding:2px 10px;margin-right:4px}
nav input{width:5em;font:inherit}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(300px,2fr);gap:12px;padding:12px 16px}
#lanes{overflow-x:auto}
#matrix-box{overflow-x:auto;margin:0 16px}
#summary{margin:8px 16px;font-weight:600}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #e2e2e2;padding:3px 6px;vertical-align:top;font-size:13px}
th{background:#f0f0f0;position:sticky;top:0}
tr.step{cursor:pointer}
tr.step.selected td{outline:2px solid #3367d6;outline-offset:-2px}
tr.decisive td.cell{background:rgb(255,215,215)}
tr.cause td.cell{background:rgb(255,236,179)}
td.num{width:3em;text-align:right;color:#666}
.fn{font-weight:600}
.note{color:#444}
.mark{font-weight:700;color:#a00}
#state{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto;max-height:85vh;position:sticky;top:8px}
#state h2{font-size:15px;margin:0 0 6px}
.tree details{margin-left:12px}
.tree summary{cursor:pointer}
.leaf{margin-left:24px;font-family:ui-monospace,monospace;font-size:12px}
.leaf.changed,summary.changed{background:#fff3a8}
.was{color:#888;text-decoration:line-through;margin-left:6px}
`;

/** The page's script: reads the embedded data and draws it. Keys: arrows or j/k step, Home/End, d the decisive step, g jumps. */
const SCRIPT = `
const page = JSON.parse(document.getElementById("page-data").textContent);
const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v); for (const c of kids) e.append(c); return e; };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
let current = null;
function skeleton(root, n) {
  root.replaceChildren(
    el("p", { id: "why" }),
    el("nav", {}, el("button", { id: "first", title: "Home" }, "first"), el("button", { id: "prev", title: "up, left or k" }, "prev"), el("span", { id: "pos" }),
      el("button", { id: "next", title: "down, right or j" }, "next"), el("button", { id: "last", title: "End" }, "last"),
      el("button", { id: "decisive", title: "d" }, "decisive step"), " ", el("label", {}, "jump to step ", el("input", { id: "jump", type: "number", min: "0", max: String(n), title: "g" }))),
    el("main", {}, el("section", { id: "lanes" }), el("section", { id: "state" }, el("h2", { id: "statehead" }), el("div", { id: "tree", class: "tree" }))));
}
const opened = new Set();
/** A list of plain values (status bits, the table's entries) is one value: its order is no change of its own. */
const plainList = (v) => Array.isArray(v) && v.every((x) => x === null || typeof x !== "object");
function tree(name, now, before, path) {
  if (now === null || typeof now !== "object" || plainList(now)) {
    const changed = !same(now, before);
    const leaf = el("div", { class: "leaf" + (changed ? " changed" : ""), "data-path": path }, name + ": " + JSON.stringify(now));
    if (changed) { leaf.setAttribute("data-changed", ""); if (before !== undefined) leaf.append(el("span", { class: "was" }, JSON.stringify(before))); }
    return leaf;
  }
  const changed = !same(now, before);
  const d = el("details", changed || opened.has(path) ? { open: "", "data-path": path } : { "data-path": path });
  d.addEventListener("toggle", () => { if (d.open) opened.add(path); else opened.delete(path); });
  const sum = el("summary", changed ? { class: "changed" } : {}, name);
  d.append(sum);
  const keys = Array.isArray(now) ? now.map((_, i) => String(i)) : Object.keys(now);
  const prev = before !== null && typeof before === "object" ? before : {};
  for (const k of keys) d.append(tree(k, now[k], prev[k], path ? path + "." + k : k));
  // An array that lost items: say so on the parent.
  if (Array.isArray(before) && Array.isArray(now) && before.length > now.length) { sum.setAttribute("data-changed", ""); sum.setAttribute("data-path", path); }
  if (Array.isArray(now) && now.length === 0) d.append(el("div", { class: "leaf" + (changed ? " changed" : ""), "data-path": path + ".length" }, "(empty)"));
  return d;
}
/** Draws trace \\\`data\\\` (trace --format json's object) into \\\`root\\\` and makes it the one the keys step. */
function showTrace(root, data) {
  const steps = data.steps, states = data.states, links = data.links || {};
  // Lanes in the model's actor order (CPUs, then ctnetlink, the reaper, the clock), not first appearance.
  const order = new Map(steps.map((s) => [s.actor, s.cpu]));
  const actors = [...order.keys()].sort((a, b) => order.get(a) - order.get(b));
  skeleton(root, steps.length);
  const t = { at: 0, steps };
  const head = el("tr", {}, el("th", {}, "#"), ...actors.map((a) => el("th", {}, a)));
  const rows = steps.map((s) => {
    const cls = ["step", s.decisive ? "decisive" : "", s.cause ? "cause" : ""].filter(Boolean).join(" ");
    const tr = el("tr", { class: cls, "data-step": String(s.step) }, el("td", { class: "num" }, String(s.step)));
    for (const a of actors) {
      if (a !== s.actor) { tr.append(el("td", {})); continue; }
      const base = s.function.replace(/\\(.*\\)$/, "");
      const fn = links[base] ? el("a", { href: links[base], class: "fn", target: "_blank", rel: "noreferrer" }, s.function) : el("span", { class: "fn" }, s.function);
      const who = s.packet === "-" ? "" : s.packet + ": ";
      const td = el("td", { class: "cell" }, el("div", {}, who, fn), el("div", { class: "note" }, s.note));
      if (s.decisive) td.append(el("div", { class: "mark" }, "<== " + (s.violation || "decisive")));
      if (s.cause) td.append(el("div", { class: "mark" }, "cause of step " + s.causeOf.join(", ")));
      tr.append(td);
    }
    tr.addEventListener("click", () => t.go(s.step));
    return tr;
  });
  root.querySelector("#lanes").append(el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
  t.go = (n) => {
    t.at = Math.max(0, Math.min(steps.length, Number.isFinite(n) ? Math.round(n) : t.at));
    root.querySelector("#pos").textContent = "step " + t.at + " / " + steps.length;
    root.querySelectorAll("tr.step").forEach((tr) => tr.classList.toggle("selected", Number(tr.dataset.step) === t.at));
    const box = root.querySelector("#tree");
    box.replaceChildren();
    const s = t.at > 0 ? steps[t.at - 1] : null;
    root.querySelector("#statehead").textContent = s ? "state after step " + t.at + " (" + s.actor + ", " + (s.packet === "-" ? "" : s.packet + ": ") + s.function + ")" : "initial state";
    const now = states[t.at], before = t.at > 0 ? states[t.at - 1] : now;
    for (const k of Object.keys(now)) box.append(tree(k, now[k], before[k], k));
    const row = root.querySelector('tr.step[data-step="' + t.at + '"]');
    if (row && row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
  };
  t.decisive = () => { const d = data.explanation ? data.explanation.decisiveStep : (steps.find((x) => x.decisive) || {}).step; if (d) t.go(d); };
  root.querySelector("#why").textContent = data.explanation ? data.explanation.text : "";
  root.querySelector("#first").onclick = () => t.go(0);
  root.querySelector("#prev").onclick = () => t.go(t.at - 1);
  root.querySelector("#next").onclick = () => t.go(t.at + 1);
  root.querySelector("#last").onclick = () => t.go(steps.length);
  root.querySelector("#decisive").onclick = t.decisive;
  const jump = root.querySelector("#jump");
  jump.onchange = () => t.go(Number(jump.value));
  jump.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === "Escape") { if (e.key === "Enter") t.go(Number(jump.value)); jump.value = ""; jump.blur(); e.preventDefault(); } });
  current = t;
  t.go(0);
}
document.addEventListener("keydown", (e) => {
  const t = current;
  // Not while typing a step number or choosing a counterexample, nor with a modifier (the browser's own keys).
  if (!t || (e.target && (e.target.id === "jump" || e.target.tagName === "SELECT")) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "ArrowDown" || e.key === "ArrowRight" || e.key === "j") { t.go(t.at + 1); e.preventDefault(); }
  else if (e.key === "ArrowUp" || e.key === "ArrowLeft" || e.key === "k") { t.go(t.at - 1); e.preventDefault(); }
  else if (e.key === "Home") { t.go(0); e.preventDefault(); }
  else if (e.key === "End") { t.go(t.steps.length); e.preventDefault(); }
  else if (e.key === "d") t.decisive();
  else if (e.key === "g") { const j = document.getElementById("jump"); j.value = ""; j.focus(); e.preventDefault(); }
});
/** The matrix of a check, compare or review: a cell per kernel and scenario, each class a button that opens its counterexamples. */
function showMatrix(root, data) {
  const kernels = [...new Set(data.cells.map((c) => c.kernel))], scenarios = [...new Set(data.cells.map((c) => c.scenario))];
  if (data.summary) root.append(el("p", { id: "summary" }, data.summary));
  const head = el("tr", {}, el("th", {}, "kernel"), ...scenarios.map((s) => el("th", {}, s)));
  const view = document.getElementById("trace-view");
  const rowLabel = (k) => { const c = data.cells.find((x) => x.kernel === k); return c && c.row ? el("div", { class: "note" }, c.row) : ""; };
  const rows = kernels.map((k) => el("tr", {}, el("th", {}, k, rowLabel(k)), ...scenarios.map((s) => {
    const c = data.cells.find((x) => x.kernel === k && x.scenario === s);
    if (!c) return el("td", {});
    const td = el("td", { class: "matrix-cell " + c.verdict, "data-kernel": k, "data-scenario": s }, el("div", { class: "verdict" }, c.verdict));
    for (const x of c.classes) {
      const key = k + " " + s + " " + x.class;
      const list = data.traces[key] || [];
      const b = el("button", { class: "class", "data-key": key, title: list.length + " counterexample(s)" }, x.class + " (" + x.states + ")");
      b.onclick = () => {
        const pick = el("select", { id: "cx-pick" }, ...list.map((tr, i) => el("option", { value: String(i) }, (i === 0 ? "fewest preemptions" : "the search's own") + ": " + tr.steps.length + " steps, " + tr.preemptions + " preemption" + (tr.preemptions === 1 ? "" : "s"))));
        const box = el("div", {});
        view.replaceChildren(el("h2", {}, key), pick, box);
        pick.onchange = () => showTrace(box, list[Number(pick.value)]);
        if (list.length) showTrace(box, list[0]);
        if (view.scrollIntoView) view.scrollIntoView({ block: "start" });
      };
      td.append(b);
    }
    td.append(el("div", { class: "change" }, c.change || (c.row && c.row.startsWith("vs") ? "no change" : "")));
    if (c.incomplete) td.append(el("div", { class: "mark" }, c.incomplete));
    if (c.probability !== undefined && c.probability !== null) td.append(el("div", {}, "share of schedules = " + c.probability.toFixed(4)));
    if (c.counters.length) td.append(el("div", { class: "note" }, "conntrack -S: " + c.counters.join(", ")));
    td.append(el("div", { class: "note" }, c.states.toLocaleString("en-US") + " states"));
    return td;
  })));
  root.append(el("div", { id: "matrix-box" }, el("table", { id: "matrix" }, el("thead", {}, head), el("tbody", {}, ...rows))));
  if (data.counterLegend) root.append(el("p", { class: "note" }, data.counterLegend));
  // One cell with one class (a check): open it.
  const only = root.querySelectorAll("button.class");
  if (only.length === 1) only[0].click();
}
if (page.cells) showMatrix(document.getElementById("matrix-view"), page);
else showTrace(document.getElementById("trace-view"), page);
`;

function pageHtml(title: string, data: unknown): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${escapeHtml(title)}</h1></header>
<section id="matrix-view"></section>
<section id="trace-view"></section>
<script type="application/json" id="page-data">${embed(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

/** The trace page for `data`, the object `trace --format json` prints (with its `links`). */
export function renderTraceHtml(data: { steps: readonly unknown[]; states: readonly unknown[] }, title: string): string {
  return pageHtml(title, data);
}

/** The page of a check, compare or review: `report` as its --json prints it, the cells of its matrix, each class's counterexamples. */
export function renderMatrixHtml(title: string, report: unknown, cells: readonly unknown[], traces: Record<string, unknown[]>, words: { summary?: string; counterLegend?: string } = {}): string {
  return pageHtml(title, { report, cells, traces, ...words });
}
