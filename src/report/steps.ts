/** A counterexample's steps in words: what went wrong at a decisive step. */
import type { Outcome } from "../app/explain.js";

export const OUTCOME_LABEL: Record<Outcome, string> = {
  dropped: "dropped",
  "reply-lost": "reply lost",
  "reply-misrouted": "reply misrouted",
  unanswered: "unanswered",
  "reply-evicted": "reply lost (entry evicted)",
  "reply-expired": "reply lost (entry timed out)",
  crash: "kernel error",
};
