/**
 * What finished runs of a scenario can end with, collected while the search
 * visits states: the counter totals `conntrack -S` would show, and whether a
 * clash was resolved. Shared by `compare` and `live`.
 */
import type { KState } from "../net/state.js";
import { Fate, Pc, Reply } from "../net/state.js";

/** Totals over all CPUs, as `conntrack -S` sums them. */
export interface Counters {
  readonly insert_failed: number;
  readonly drop: number;
  readonly clash_resolve: number;
  /** Only for a scenario with conntrack-max: entries evicted by early drop. */
  readonly early_drop?: number;
  /** Only for a scenario with chains: confirms refused for a chain past the limit. */
  readonly chaintoolong?: number;
}

export const counterKey = (c: Counters): string =>
  `${c.insert_failed}/${c.drop}/${c.clash_resolve}${c.early_drop !== undefined ? `/${c.early_drop}` : ""}${c.chaintoolong !== undefined ? `/${c.chaintoolong}` : ""}`;

export class RunOutcomes {
  private readonly counters = new Map<string, Counters>();
  /** Some finished run resolved a clash (merged or inserted the loser). */
  clashResolved = false;
  /** `limited`: the scenario has conntrack-max, so early_drop is counted too; `chains`: it limits chains, so chaintoolong too. */
  constructor(
    private readonly limited = false,
    private readonly chains = false,
  ) {}

  /** A `visit` callback for the search. */
  readonly visit = (s: KState): void => {
    if (!s.pkts.every((p) => p.pc === Pc.DONE && p.reply !== Reply.PENDING)) return;
    const c: Counters = {
      insert_failed: s.stats.reduce((a, x) => a + x.insertFailed, 0),
      drop: s.stats.reduce((a, x) => a + x.drop, 0),
      clash_resolve: s.stats.reduce((a, x) => a + x.clashResolve, 0),
      ...(this.limited ? { early_drop: s.stats.reduce((a, x) => a + x.earlyDrop, 0) } : {}),
      ...(this.chains ? { chaintoolong: s.stats.reduce((a, x) => a + x.chainTooLong, 0) } : {}),
    };
    this.counters.set(counterKey(c), c);
    if (s.pkts.some((p) => p.clashWith >= 0 && p.fate === Fate.ACCEPTED)) this.clashResolved = true;
  };

  /** Every distinct set of counter totals a finished run can leave, sorted. */
  counterSets(): Counters[] {
    return [...this.counters.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  }
}
