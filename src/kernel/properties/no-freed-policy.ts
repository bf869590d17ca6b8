/**
 * no-freed-policy, for a control plane that removes a timeout policy: no entry that can still be used (unconfirmed,
 * or linked) points at a freed policy, which its next packet's timeout lookup would read (docs/kernel.md, "The
 * control plane"). Before 7d6a9cdb8d3a (v7.2) nf_ct_untimeout reached only linked entries.
 */
import { freedPolicyUsers } from "../functions/nf_ct_iterate.js";
import { NONE, type KernelProperty } from "./property.js";

const FREED = Object.freeze(["timeout-use-after-free"]);

export const noFreedPolicy: KernelProperty = {
  name: "no-freed-policy",
  kind: "invariant",
  description: "no entry that can still be used points at a freed timeout policy",
  classes: { "timeout-use-after-free": "an entry's timeout extension points at a policy that was freed: nf_ct_untimeout cleared only the entries linked in the table" },
  gate: (sc) => (sc.control.some((op) => op.kind === "remove-timeout-policy") ? undefined : "needs a control plane that removes a timeout policy (control: - remove-timeout-policy)"),
  violations: (s) => (freedPolicyUsers(s).length ? FREED : NONE),
};
