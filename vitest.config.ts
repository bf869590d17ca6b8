import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Text output fits COLUMNS when it is set (src/report/width.ts): a shell's value must not change what tests see.
    env: { COLUMNS: "" },
  },
});
