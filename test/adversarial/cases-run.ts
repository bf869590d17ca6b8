/** Adversarial cases: see harness.ts. */
import type { Case } from "./harness.js";

export const RUN_CASES: readonly Case[] = [];
