// A patch of your own that looks like a fix and is not: "a loser whose REPLY
// tuple another entry already holds goes on with that entry instead of being
// dropped". It removes the reply-clash drop of two pods masqueraded to one
// address, and hands the loser's DNS answer to the winner's pod (reply-misrouted):
//   conntrack-mc review examples/patches/merge-on-same-reply.mjs two-clients
//
// apply(base, lib) returns only the behaviours it changes; `base` is the
// kernel it is applied on, `lib` a few helpers (tupleEqual, IPS, findNode...).
export default {
  id: "merge-on-same-reply",
  title: "nf_ct_resolve_clash: also merge when the REPLY tuples are equal",
  requires: ["71d8c47fc653"],
  apply: (base, lib) => ({
    clashMergeable: (winner, loser) => lib.tupleEqual(winner.reply, loser.reply) || base.clashMergeable(winner, loser),
  }),
};
