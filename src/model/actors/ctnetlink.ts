/**
 * ctnetlink's delete (`conntrack -D`): a scenario's `deletes` name the entries (by the packet that allocates
 * them) a user-space delete may hit, and the search interleaves its steps with every packet's. nf_ct_delete sets
 * DYING first and unlinks under the bucket locks in a later step (kernel/functions/nf_ct_delete.ts); the delete
 * sees only entries linked in the table, as the kernel's hash walk does.
 */
import { deleteStep } from "../../kernel/functions/nf_ct_delete.js";
import { lockedAgainst } from "../../kernel/functions/recycle.js";
import type { KState } from "../../kernel/net/state.js";
import type { Actor, ActorKind } from "../actor.js";

export const ctnetlink: ActorKind = {
  labels: { nf_ct_delete: "nf_ct_delete" },
  what: "user space's `conntrack -D` through ctnetlink, on the entries the scenario's `deletes` name",
  make({ sc, k }) {
    if (sc.deletes.length === 0) return [];
    const del = k.nf_ct_delete;
    /** The entries it may step on now. */
    const deletable = (s: KState): number[] =>
      sc.deletes.filter((id) => {
        const how = deleteStep(s, id);
        // With recycled memory the unlink waits for the entry's bucket locks.
        return how !== undefined && !(sc.recycle && how === "unlink" && lockedAgainst(s, id));
      });
    const target = (s: KState, choice: number): number => {
      const id = deletable(s)[choice];
      if (id === undefined) throw new Error(`ctnetlink has no step ${choice} to take`);
      return id;
    };
    const actor: Actor = {
      name: "ctnetlink",
      maxMoves: sc.packets.length + 1,
      moves: (s) => deletable(s).length,
      move: (s, choice) => ({ packet: target(s, choice), kind: "delete", function: "nf_ct_delete" }),
      step: (ctx, st, choice) => del(ctx, st, target(st, choice)),
    };
    return [actor];
  },
};
