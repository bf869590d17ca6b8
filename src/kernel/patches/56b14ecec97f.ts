/**
 * 56b14ecec97f "netfilter: conntrack: re-fetch conntrack after insertion" (v5.19). __nf_conntrack_confirm may merge the
 * skb's entry into the one that won and release it; nf_conntrack_confirm then delivered the cached events on `ct` as
 * read before the call, the released loser. It reads the entry from the skb again.
 */
import type { Patch } from "../patch.js";
import { confirmWrapper } from "../functions/nf_conntrack_confirm.js";

export const confirmRefetch: Patch = {
  id: "56b14ecec97f",
  commit: "56b14ecec97f",
  title: "netfilter: conntrack: re-fetch conntrack after insertion (nf_conntrack_confirm's events use the entry the skb holds)",
  mainline: "v5.19",
  requires: [],
  apply: () => ({ nf_conntrack_confirm: (ctx, st, p) => confirmWrapper(ctx, st, p, true) }),
};
