/**
 * c56716c69ce1 "netfilter: extensions: introduce extension genid count" (v5.19, with 8a75a2c17410, which removed the
 * unconfirmed lists). A helper's removal no longer reaches unconfirmed entries: after synchronize_net it bumps a
 * global genid (nf_ct_ext_bump_genid), and __nf_conntrack_confirm, before setting CONFIRMED, refuses an entry whose
 * extensions carry an older one: `if (!nf_ct_ext_valid_pre(ct->ext)) { NF_CT_STAT_INC(net, insert_failed); goto dying; }`.
 * The kill after insert (nf_ct_ext_valid_post) needs a bump inside confirm's locked section, which the model's one
 * confirm step has no room for (docs/kernel.md, "A helper removed").
 */
import type { Patch } from "../patch.js";
import { insertFailedDrop } from "../functions/verdict.js";

export const extGenid: Patch = {
  id: "c56716c69ce1",
  commit: "c56716c69ce1",
  title: "netfilter: extensions: introduce extension genid count (confirm drops an entry stamped before a removal)",
  mainline: "v5.19",
  requires: ["2843fb69980b"],
  apply: (base) => ({
    unconfirmedDyingOnDestroy: () => false,
    extGenid: () => true,
    __nf_conntrack_confirm(ctx, st, p) {
      if (!(st.stale & (1 << p))) return base.__nf_conntrack_confirm(ctx, st, p);
      insertFailedDrop(ctx, st, p);
      return ctx.explain ? { kind: "genid-drop" } : "";
    },
  }),
};
