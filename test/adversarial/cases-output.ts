/** Adversarial cases: see harness.ts. */
import type { Case } from "./harness.js";

export const OUTPUT_CASES: readonly Case[] = [];
