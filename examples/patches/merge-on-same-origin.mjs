// A patch of your own, to check before you send it: "resolve every clash of
// one flow by merging, whatever endpoint DNAT chose" (a tempting, wrong fix for
// race 3). Apply it to a release: --patch examples/patches/merge-on-same-origin.mjs
// --kernel v5.0+merge-on-same-origin
//
// apply(base, lib) returns only the behaviours it changes; `base` is the
// kernel it is applied on, `lib` a few helpers (tupleEqual, IPS, findNode...).
export default {
  id: "merge-on-same-origin",
  title: "nf_ct_resolve_clash: merge when the ORIGINAL tuples are equal, ignoring REPLY",
  requires: ["71d8c47fc653"],
  apply: (base, lib) => ({
    clashMergeable: (winner, loser) => lib.tupleEqual(winner.orig, loser.orig),
  }),
};
