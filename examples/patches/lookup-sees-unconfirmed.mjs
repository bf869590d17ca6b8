// A patch of your own that changes a whole step: S1's lookup
// (__nf_conntrack_find_get) also returns another CPU's entry that is not
// confirmed yet, so the second packet of a flow goes on with the first one's
// entry instead of allocating its own. The kernel does not do this (an
// unconfirmed entry is private to its CPU); the search shows what would break:
//   conntrack-mc review examples/patches/lookup-sees-unconfirmed.mjs --base v5.10
export default {
  id: "lookup-sees-unconfirmed",
  title: "__nf_conntrack_find_get: also find an unconfirmed entry of the same tuple",
  requires: [],
  apply: (base, lib) => ({
    __nf_conntrack_find_get: (ctx, st, p) => {
      const t = lib.packetTuple(ctx, p);
      const other = st.pkts.findIndex((q, i) => i !== p && q.ct !== null && !q.freed && !st.table.includes(i) && lib.tupleEqual(q.ct.orig, t));
      if (other < 0) return base.__nf_conntrack_find_get(ctx, st, p);
      st.pkts[p].uses = other;
      lib.acceptQuery(ctx, st, p);
      return ctx.explain ? `hit: ${ctx.sc.packets[other].name}'s unconfirmed entry; packet accepted` : "";
    },
  }),
};
