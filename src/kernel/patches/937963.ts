/**
 * Patch 937963 = ed07d9a021df "netfilter: nf_conntrack: resolve clash for
 * matching conntracks" (v4.19; stable 4.14.173). nf_ct_resolve_clash also
 * merges when winner and loser have equal ORIGINAL and equal REPLY tuples
 * (nf_ct_match): the loser then describes the same NAT mapping, so dropping
 * it is needless. Fixes race 1 on hosts with an active NAT table.
 */
import type { Conn } from "../conn.js";
import type { Patch } from "../patch.js";
import { tupleEqual } from "../tuple.js";

/** nf_ct_match (zones and netns are equal in every scenario). */
export function nf_ct_match(a: Conn, b: Conn): boolean {
  return tupleEqual(a.orig, b.orig) && tupleEqual(a.reply, b.reply);
}

export const patch937963: Patch = {
  id: "937963",
  commit: "ed07d9a021df",
  title: "netfilter: nf_conntrack: resolve clash for matching conntracks",
  mainline: "v4.19",
  requires: ["71d8c47fc653"],
  apply: (base) => ({
    clashMergeable: (w, l) => base.clashMergeable(w, l) || nf_ct_match(w, l),
  }),
};
