/**
 * The HTML trace page in a real browser: Debian's Chromium, driven headless by
 * playwright-core (scripts/install-browser.sh installs it where it is missing).
 * Each page opens from disk, carries the same data as `--format json`, steps
 * through its trace with the keyboard highlighting exactly what each step
 * changed, and renders something (a screenshot that is not blank). The test
 * writes docs/trace-page.png, the picture of a page in docs/trace.md.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

const BROWSER = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const dir = mkdtempSync(join(tmpdir(), "ctmc-html-"));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/conntrack-mc.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The leaf paths a step changed, as the page marks them: every leaf that differs, and every array that got shorter. */
function changedPaths(now: Json, before: Json | undefined, path: string, out: string[]): string[] {
  // A list of plain values (status bits, the table) is one value, as the page shows it.
  const plain = Array.isArray(now) && now.every((x) => x === null || typeof x !== "object");
  if (now === null || typeof now !== "object" || plain) {
    if (JSON.stringify(now) !== JSON.stringify(before)) out.push(path);
    return out;
  }
  const prev = before !== null && typeof before === "object" ? (before as Record<string, Json>) : {};
  const keys = Array.isArray(now) ? now.map((_, i) => String(i)) : Object.keys(now);
  for (const k of keys) changedPaths((now as Record<string, Json>)[k]!, prev[k], path ? `${path}.${k}` : k, out);
  if (Array.isArray(before) && Array.isArray(now) && before.length > now.length) out.push(path);
  return out;
}

const CASES = [
  { name: "a 2-CPU drop", args: ["dns-a-aaaa", "--kernel", "v4.19"] },
  { name: "a lost reply", args: ["dns-3-packets", "--kernel", "v5.6", "--class", "reply-lost"] },
  { name: "the largest trace (3 CPUs, the gc worker and the clock: the 2025 crash)", args: ["recycled-entry-clash", "--kernel", "v5.19", "--class", "unlink-unlinked"] },
] as const;

describe.skipIf(!BROWSER)(`the trace page in ${BROWSER ?? "no browser (scripts/install-browser.sh could not install chromium: not root, or apt-get failed)"}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: BROWSER!, args: ["--no-sandbox", "--disable-gpu"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  describe("the pages of check, compare and review (--html FILE)", () => {
    const PAGES = [
      { name: "compare", args: ["compare", "dns-a-aaaa", "dns-3-packets", "--kernels", "v4.19,v5.6", "--json"] },
      { name: "check", args: ["check", "dns-3-packets", "--kernel", "v5.6", "--json"] },
      { name: "review", args: ["review", "examples/patches/merge-on-same-reply.mjs", "two-clients", "--json"] },
    ] as const;
    for (const pg of PAGES) {
      it(`${pg.name}: the --json report, a cell per kernel and scenario, each class opening its counterexamples`, async () => {
        const file = join(dir, `${pg.name}.html`);
        const r = cli(...pg.args, "--html", file);
        expect([0, 1], r.err).toContain(r.code);
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
        await page.goto(pathToFileURL(file).href);
        const data = JSON.parse((await page.locator("#page-data").textContent())!) as { report: unknown; cells: { kernel: string; scenario: string; classes: { class: string }[] }[]; traces: Record<string, { steps: unknown[] }[]> };
        // The same object --json printed in the same command.
        expect(data.report).toEqual(JSON.parse(r.out));
        const kernels = new Set(data.cells.map((c) => c.kernel));
        const scenarios = new Set(data.cells.map((c) => c.scenario));
        expect(await page.locator("#matrix tbody tr").count()).toBe(kernels.size);
        expect(await page.locator("td.matrix-cell").count()).toBe(data.cells.length);
        expect(scenarios.size).toBeGreaterThan(0);
        const buttons = page.locator("button.class");
        expect(await buttons.count()).toBe(data.cells.reduce((n, c) => n + c.classes.length, 0));
        expect(await buttons.count()).toBeGreaterThan(0);
        // Each class has its counterexamples; opening one draws its trace, stepping with the keys.
        for (let b = 0; b < (await buttons.count()); b++) {
          const key = (await buttons.nth(b).getAttribute("data-key"))!;
          const list = data.traces[key]!;
          expect(list.length, key).toBeGreaterThan(0);
          await buttons.nth(b).click();
          expect(await page.locator("#trace-view tr.step").count(), key).toBe(list[0]!.steps.length);
          expect(await page.locator("#cx-pick option").count(), key).toBe(list.length);
          if (list.length > 1) {
            await page.locator("#cx-pick").selectOption("1");
            expect(await page.locator("#trace-view tr.step").count(), key).toBe(list[1]!.steps.length);
          }
          await page.keyboard.press("End");
          expect(await page.locator("#pos").textContent()).toMatch(/^step (\d+) \/ \1$/);
        }
        await page.close();
      }, 120_000);
    }
  });

  for (const c of CASES) {
    describe(c.name, () => {
      let json: { steps: { step: number; decisive: boolean }[]; states: Json[]; explanation: { decisiveStep: number } | null };
      let page: Page;
      const errors: string[] = [];
      beforeAll(async () => {
        const file = join(dir, `${c.args[0]}.html`);
        const r = cli("trace", ...c.args, "--format", "html", "--out", file);
        expect(r.code, r.err).toBe(1);
        json = JSON.parse(cli("trace", ...c.args, "--format", "json").out);
        page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        page.on("pageerror", (e) => errors.push(e.message));
        // No network: a request that leaves the page is a failure.
        await page.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
        await page.goto(pathToFileURL(file).href);
      }, 60_000);
      afterAll(async () => {
        await page?.close();
      });

      it("carries the data of --format json", async () => {
        const embedded = JSON.parse((await page.locator("#page-data").textContent())!);
        expect(embedded).toEqual(json);
      });

      it("draws a lane per actor and a row per step, the decisive step and its cause marked", async () => {
        const byIndex = new Map((json.steps as unknown as { actor: string; cpu: number }[]).map((s) => [s.actor, s.cpu]));
        const actors = [...byIndex.keys()].sort((a, b) => byIndex.get(a)! - byIndex.get(b)!);
        expect(await page.locator("#lanes thead th").allTextContents()).toEqual(["#", ...actors]);
        expect(await page.locator("tr.step").count()).toBe(json.steps.length);
        const decisive = json.steps.filter((s) => s.decisive).map((s) => String(s.step));
        expect(await page.locator("tr.step.decisive").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset["step"]))).toEqual(decisive);
        expect(await page.locator("tr.step.cause").count()).toBeGreaterThan(0);
      });

      it("steps with the keyboard, and highlights exactly what each step changed", async () => {
        await page.keyboard.press("Home");
        for (let k = 1; k <= json.steps.length; k++) {
          await page.keyboard.press("ArrowDown");
          expect(await page.locator("#pos").textContent()).toBe(`step ${k} / ${json.steps.length}`);
          const marked = await page.locator("#tree [data-changed]").evaluateAll((els) => els.map((e) => e.getAttribute("data-path")!));
          const want = changedPaths(json.states[k]!, json.states[k - 1]!, "", []);
          expect(marked.sort(), `step ${k}`).toEqual(want.sort());
        }
        await page.keyboard.press("ArrowDown"); // past the end: stays at the last step
        expect(await page.locator("#pos").textContent()).toBe(`step ${json.steps.length} / ${json.steps.length}`);
        await page.keyboard.press("d");
        const d = json.explanation?.decisiveStep ?? json.steps.find((s) => s.decisive)!.step;
        expect(await page.locator("#pos").textContent()).toBe(`step ${d} / ${json.steps.length}`);
        expect(await page.locator("tr.step.selected").getAttribute("data-step")).toBe(String(d));
        // g, a step number (even a fraction), Enter: there, and the keys step again from it.
        await page.keyboard.press("g");
        await page.keyboard.type("2.5");
        await page.keyboard.press("Enter");
        expect(await page.locator("#pos").textContent()).toBe(`step 3 / ${json.steps.length}`);
        await page.keyboard.press("j");
        expect(await page.locator("#pos").textContent()).toBe(`step 4 / ${json.steps.length}`);
        expect(errors).toEqual([]);
      });

      it("renders something: a screenshot with more than a few colours", async () => {
        await page.keyboard.press("d");
        const shot = await page.screenshot({ fullPage: false });
        if (c.args[0] === "recycled-entry-clash") await page.screenshot({ path: resolve("docs/trace-page.png") });
        const probe = await browser.newPage();
        const colours = await probe.evaluate(async (b64) => {
          const img = new Image();
          img.src = `data:image/png;base64,${b64}`;
          await img.decode();
          const canvas = document.createElement("canvas");
          canvas.width = img.width;
          canvas.height = img.height;
          const g = canvas.getContext("2d")!;
          g.drawImage(img, 0, 0);
          const px = g.getImageData(0, 0, img.width, img.height).data;
          const seen = new Set<number>();
          for (let i = 0; i < px.length; i += 4 * 97) seen.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
          return seen.size;
        }, shot.toString("base64"));
        await probe.close();
        expect(colours).toBeGreaterThan(8);
        if (c.args[0] === "recycled-entry-clash") expect(readFileSync("docs/trace-page.png").length).toBeGreaterThan(10_000);
      });
    });
  }
});
