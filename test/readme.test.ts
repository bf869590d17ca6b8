/** The README's examples are the tool's own output (regenerate with `npm run readme`). */
import { expect, it } from "vitest";
import { readmeDrift } from "../scripts/readme.js";

it("every README example matches what the tool prints now", () => {
  expect(readmeDrift()).toBeUndefined();
});
