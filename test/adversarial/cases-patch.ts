/** Adversarial cases: see harness.ts. */
import type { Case } from "./harness.js";

export const PATCH_CASES: readonly Case[] = [];
