/**
 * 87e389b4c200 "netfilter: conntrack: small conntrack lookup optimization" (v5.3). ____nf_conntrack_find no
 * longer passes over DYING entries, __nf_conntrack_find_get no longer refuses a DYING candidate, and a candidate
 * whose key changed once referenced (its memory recycled) is put back and the lookup misses instead of walking
 * again. The commit's reasoning: DYING may be set right after the test, so the test guaranteed nothing; the
 * reference keeps the entry alive, and a newer entry of the same tuple is confirm's clash handling's business.
 * So a packet may now go on with an entry a deleter is removing (docs/kernel.md, "Lookup and DYING entries").
 */
import type { Patch } from "../patch.js";

export const lookupKeepsDying: Patch = {
  id: "87e389b4c200",
  commit: "87e389b4c200",
  title: "netfilter: conntrack: small conntrack lookup optimization (the lookup returns DYING entries)",
  mainline: "v5.3",
  requires: [],
  apply: () => ({ lookupSkipsDying: () => false }),
};
