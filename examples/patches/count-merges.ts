// A patch of your own in TypeScript: the types come from the package
// (types/patch.d.ts), so a hook with a wrong argument or result is a type error
// before any search runs. It counts each merge of a clash in clash_resolve, as
// v5.6+ does (6a757c07e51f), on a release whose nf_ct_resolve_clash does not:
//   npx tsc --noEmit --strict --module nodenext --target es2022 examples/patches/count-merges.ts
//   conntrack-mc check dns-3-packets --patch examples/patches/count-merges.ts --kernel v5.0+count-merges
import type { Patch } from "conntrack-mc/patch";

export default {
  id: "count-merges",
  title: "nf_ct_resolve_clash: count every merge in clash_resolve",
  requires: ["71d8c47fc653"],
  apply: (base) => ({
    nf_ct_resolve_clash: (ctx, st, loser, winner) => {
      const r = base.nf_ct_resolve_clash(ctx, st, loser, winner);
      if (r.kind === "merge") st.stats[ctx.sc.packets[loser].cpu].clashResolve++;
      return r;
    },
  }),
} satisfies Patch;
