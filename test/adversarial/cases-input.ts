/** Adversarial cases: see harness.ts. */
import type { Case } from "./harness.js";

export const INPUT_CASES: readonly Case[] = [];
