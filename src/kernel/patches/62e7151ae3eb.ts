/**
 * 62e7151ae3eb "netfilter: bridge: confirm multicast packets before passing them up the stack" (v6.8; bugzilla.kernel.org
 * 217777). A broadcast or multicast frame that goes up through br0 is copied above it (a macvlan's broadcast worker),
 * and the copies confirmed one entry on two CPUs: confirm's "already confirmed" WARN and drop. br_nf_local_in, at the
 * bridge's LOCAL_IN, now confirms such a frame's entry before it goes up, and asserts that it is confirmed after.
 */
import type { Patch } from "../patch.js";
import { br_nf_local_in } from "../functions/br_netfilter.js";

export const bridgeConfirm: Patch = {
  id: "62e7151ae3eb",
  commit: "62e7151ae3eb",
  title: "netfilter: bridge: confirm multicast packets before passing them up the stack (br_nf_local_in)",
  mainline: "v6.8",
  requires: [],
  apply: () => ({ br_nf_local_in, brLocalInAsserts: () => true }),
};
