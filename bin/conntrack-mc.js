#!/usr/bin/env node
// Runs the compiled CLI (npm install / npm ci builds dist/ through the prepare script).
import { existsSync } from "node:fs";
const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("conntrack-mc: dist/ is missing: run `npm install` (or `npm run build`) first\n");
  process.exit(2);
}
await import(main.href);
