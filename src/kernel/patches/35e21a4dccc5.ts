/**
 * 35e21a4dccc5 "netfilter: conntrack: revert ct extension genid infrastructure" (v7.2; 7.1.5), with ac46f3f35b6e
 * "nf_conntrack_helper: add refcounting from datapath": the genid made every extension of an unconfirmed entry
 * vanish after a removal, which "could lead to crash". The bump and both checks are gone; an entry's helper extension
 * holds a reference on the helper, which lives until its last entry is freed, so a packet whose entry refers to a
 * removed helper is confirmed as any other.
 */
import type { Patch } from "../patch.js";

export const revertExtGenid: Patch = {
  id: "35e21a4dccc5",
  commit: "35e21a4dccc5",
  title: "netfilter: conntrack: revert ct extension genid infrastructure (helpers refcounted from the datapath)",
  mainline: "v7.2",
  requires: ["c56716c69ce1"],
  apply: () => ({ extGenid: () => false }),
};
