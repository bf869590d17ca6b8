/**
 * b87a2f9199ea "netfilter: conntrack: add gc worker to remove timed-out
 * entries" (v4.9, inferred). A workqueue job walks the buckets without locks
 * and sends each expired entry it meets to nf_ct_gc_expired. Its schedule
 * changed (a 128th of the table per run until v5.13, the whole table from
 * 4608fdfc07e1, after the mean remaining lifetime from 2cfadb761d3d); the model
 * lets it reach any expired entry at any time, which covers them all. Its
 * early-drop mode (a table-full drop sets conntrack_gc_work.early_drop) kills
 * only while the count is at least nf_conntrack_max / 100 * 95, which is 0 for
 * every conntrack-max the model allows (1 to 7), and 0 turns the mode off: not modelled.
 */
import type { Patch } from "../patch.js";
import { gc_worker } from "../functions/nf_ct_gc_expired.js";

export const gcWorker: Patch = {
  id: "b87a2f9199ea",
  commit: "b87a2f9199ea",
  title: "netfilter: conntrack: add gc worker to remove timed-out entries",
  mainline: "v4.9",
  requires: ["f330a7fdbe16"],
  apply: () => ({ gc_worker }),
};
