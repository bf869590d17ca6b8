/**
 * early_drop_list (v4.9, inferred: a v4.7/v4.8-era nf_conntrack_core.c still has
 * the early_drop that takes the first entry and stops, and early_drop_list's
 * comment "We steal the timer reference" predates the timer's removal in v4.9,
 * f330a7fdbe16; the commit that added it is not in the sources read here, so
 * this file is named after the function): early_drop
 * no longer stops at the first entry it may delete. It walks the chain and
 * deletes every entry that is neither ASSURED nor DYING (nf_ct_delete each),
 * adds their number to early_drop, and stops at the first chain where it
 * deleted any. v4.6's early_drop takes the first such entry and stops.
 * Read at gregkh/linux v5.10 net/netfilter/nf_conntrack_core.c against the
 * v4.6-era early_drop (find_string id 364786851: `ct = tmp; break;`).
 */
import type { Patch } from "../patch.js";
import { evict, evictable, heldBy } from "../functions/early_drop.js";
import { reapUnlink } from "../functions/nf_ct_gc_expired.js";
import { nf_ct_is_expired } from "../functions/time.js";

export const earlyDropList: Patch = {
  id: "early-drop-list",
  commit: "early_drop_list",
  title: "netfilter: conntrack: early_drop deletes every evictable entry of the chain (early_drop_list)",
  mainline: "v4.9",
  requires: [],
  apply: () => ({
    early_drop(ctx, st, p, choice) {
      // An expired entry of the chain goes to nf_ct_gc_expired (v4.9+, timed) and does not count: it rescues nobody.
      const gcExpired = ctx.k.nf_ct_gc_expired;
      const victims: number[] = [];
      for (const id of heldBy(st, choice)) {
        if (gcExpired && nf_ct_is_expired(ctx, st, id)) {
          if (gcExpired(ctx, st, id)) reapUnlink(st, id);
        } else if (evictable(st, id)) victims.push(id);
      }
      for (const id of victims) evict(st, id);
      st.stats[ctx.sc.packets[p]!.cpu]!.earlyDrop += victims.length;
      return victims.length;
    },
  }),
};
