import { fileURLToPath } from "node:url";

/** The package root (this file is src/paths.ts, or dist/paths.js once built). */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const MODELS_DIR = fileURLToPath(new URL("../models/", import.meta.url));
export const PROOFS_DIR = fileURLToPath(new URL("../proofs/", import.meta.url));
