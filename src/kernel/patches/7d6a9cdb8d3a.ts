/**
 * 7d6a9cdb8d3a "netfilter: cttimeout: detach dataplane timeout policy and repurpose refcount" (v7.2; 7.1.5;
 * CVE-2026-74347). Before it, `nfct timeout delete` freed a policy once no rule held it, after nf_ct_untimeout had
 * cleared the pointers of the entries linked in the table; an unconfirmed entry, in no bucket, kept its pointer to
 * the freed policy. Now an entry's timeout extension holds a reference, and the policy lives until the last one goes.
 */
import type { Patch } from "../patch.js";

export const timeoutRefcount: Patch = {
  id: "7d6a9cdb8d3a",
  commit: "7d6a9cdb8d3a",
  title: "netfilter: cttimeout: detach dataplane timeout policy and repurpose refcount (entries hold their policy)",
  mainline: "v7.2",
  requires: [],
  apply: () => ({ timeoutRefcounted: () => true }),
};
