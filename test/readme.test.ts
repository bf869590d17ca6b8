/** The examples of README.md and docs/*.md are the tool's own output (regenerate with `npm run readme`). */
import { expect, it } from "vitest";
import { readmeDrift } from "../scripts/readme.js";

// One run of the tool per example, some of them large searches: more than the default minute.
it("every example in README.md and docs/*.md matches what the tool prints now", { timeout: 240_000 }, () => {
  expect(readmeDrift(), "stale: run `npm run readme`").toBeUndefined();
});
