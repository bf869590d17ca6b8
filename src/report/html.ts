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
header{padding:10px 16px;background:#fff;border-bottom:1px solid #ddd;position:sticky;top:0;z-index:2}
h1{font-size:17px;margin:0 0 4px}
#why{margin:4px 0 8px;color:#333;max-width:110ch}
nav button{font:inherit;padding:2px 10px;margin-right:4px}
nav input{width:5em;font:inherit}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:12px;padding:12px 16px}
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
#state{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto;max-height:85vh;position:sticky;top:90px}
#state h2{font-size:15px;margin:0 0 6px}
.tree details{margin-left:12px}
.tree summary{cursor:pointer}
.leaf{margin-left:24px;font-family:ui-monospace,monospace;font-size:12px}
.leaf.changed,summary.changed{background:#fff3a8}
.was{color:#888;text-decoration:line-through;margin-left:6px}
`;

/** The page's script: reads the embedded data and draws it. Keys: arrows or j/k step, Home/End, d the decisive step, g jumps. */
const SCRIPT = `
const data = JSON.parse(document.getElementById("trace-data").textContent);
const steps = data.steps, states = data.states, links = data.links || {};
const actors = [...new Set(steps.map((s) => s.actor))];
let at = 0;
const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v); for (const c of kids) e.append(c); return e; };
function lanes() {
  const head = el("tr", {}, el("th", {}, "#"), ...actors.map((a) => el("th", {}, a)));
  const rows = steps.map((s) => {
    const cls = ["step", s.decisive ? "decisive" : "", s.cause ? "cause" : ""].filter(Boolean).join(" ");
    const tr = el("tr", { class: cls, "data-step": String(s.step) }, el("td", { class: "num" }, String(s.step)));
    for (const a of actors) {
      if (a !== s.actor) { tr.append(el("td", {})); continue; }
      const base = s.function.replace(/\\(.*\\)$/, "");
      const fn = links[base] ? el("a", { href: links[base], class: "fn", target: "_blank", rel: "noreferrer" }, s.function) : el("span", { class: "fn" }, s.function);
      const td = el("td", { class: "cell" }, el("div", {}, (s.packet === "-" ? "" : s.packet + ": "), fn), el("div", { class: "note" }, s.note));
      if (s.decisive) td.append(el("div", { class: "mark" }, "<== " + (s.violation || "decisive")));
      if (s.cause) td.append(el("div", { class: "mark" }, "cause of step " + s.causeOf.join(", ")));
      tr.append(td);
    }
    tr.addEventListener("click", () => go(s.step));
    return tr;
  });
  document.getElementById("lanes").append(el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function tree(name, now, before, path) {
  if (now === null || typeof now !== "object") {
    const changed = !same(now, before);
    const leaf = el("div", { class: "leaf" + (changed ? " changed" : ""), "data-path": path }, name + ": " + JSON.stringify(now));
    if (changed) { leaf.setAttribute("data-changed", ""); if (before !== undefined) leaf.append(el("span", { class: "was" }, JSON.stringify(before))); }
    return leaf;
  }
  const changed = !same(now, before);
  const d = el("details", changed ? { open: "", "data-path": path } : { "data-path": path });
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
function go(n) {
  at = Math.max(0, Math.min(steps.length, n));
  document.getElementById("pos").textContent = "step " + at + " / " + steps.length;
  document.querySelectorAll("tr.step").forEach((tr) => tr.classList.toggle("selected", Number(tr.dataset.step) === at));
  const box = document.getElementById("tree");
  box.replaceChildren();
  const s = at > 0 ? steps[at - 1] : null;
  document.getElementById("statehead").textContent = s ? "state after step " + at + " (" + s.actor + ", " + (s.packet === "-" ? "" : s.packet + ": ") + s.function + ")" : "initial state";
  const now = states[at], before = at > 0 ? states[at - 1] : now;
  for (const k of Object.keys(now)) box.append(tree(k, now[k], before[k], k));
  const row = document.querySelector('tr.step[data-step="' + at + '"]');
  if (row && row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
}
lanes();
document.getElementById("why").textContent = data.explanation ? data.explanation.text : "";
document.getElementById("first").onclick = () => go(0);
document.getElementById("prev").onclick = () => go(at - 1);
document.getElementById("next").onclick = () => go(at + 1);
document.getElementById("last").onclick = () => go(steps.length);
const decisive = () => { const s = data.explanation ? data.explanation.decisiveStep : (steps.find((x) => x.decisive) || {}).step; if (s) go(s); };
document.getElementById("decisive").onclick = decisive;
document.getElementById("jump").onchange = (e) => go(Number(e.target.value));
document.addEventListener("keydown", (e) => {
  if (e.target && e.target.id === "jump") return;
  if (e.key === "ArrowDown" || e.key === "ArrowRight" || e.key === "j") { go(at + 1); e.preventDefault(); }
  else if (e.key === "ArrowUp" || e.key === "ArrowLeft" || e.key === "k") { go(at - 1); e.preventDefault(); }
  else if (e.key === "Home") go(0);
  else if (e.key === "End") go(steps.length);
  else if (e.key === "d") decisive();
  else if (e.key === "g") { document.getElementById("jump").focus(); e.preventDefault(); }
});
go(0);
`;

/** The trace page for `data`, the object `trace --format json` prints (with its `links`). */
export function renderTraceHtml(data: { steps: readonly unknown[]; states: readonly unknown[] }, title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${escapeHtml(title)}</h1><p id="why"></p>
<nav><button id="first" title="Home">first</button><button id="prev" title="up, left or k">prev</button><span id="pos"></span>
<button id="next" title="down, right or j">next</button><button id="last" title="End">last</button>
<button id="decisive" title="d">decisive step</button> <label>jump to step <input id="jump" type="number" min="0" max="${data.steps.length}" title="g"></label></nav></header>
<main><section id="lanes"></section><section id="state"><h2 id="statehead"></h2><div id="tree" class="tree"></div></section></main>
<script type="application/json" id="trace-data">${embed(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
