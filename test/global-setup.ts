// The CLI tests run the real command (bin/conntrack-mc.js -> dist/): build it first.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
