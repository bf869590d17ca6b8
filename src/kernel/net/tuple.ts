/**
 * struct nf_conntrack_tuple, reduced to what the races need. Addresses are
 * indexes into the scenario's address list; the protocol is the scenario's.
 * Tuples are immutable values: a step replaces a tuple, never edits one.
 */
export interface Tuple {
  readonly src: number;
  readonly sport: number;
  readonly dst: number;
  readonly dport: number;
}

/** A tuple of scenario address indexes and ports. */
export function tuple(src: number, sport: number, dst: number, dport: number): Tuple {
  return { src, sport, dst, dport };
}

/** nf_ct_invert_tuple: swap source and destination. */
export function invert(t: Tuple): Tuple {
  return { src: t.dst, sport: t.dport, dst: t.src, dport: t.sport };
}

/** nf_ct_tuple_equal. */
export function tupleEqual(a: Tuple, b: Tuple): boolean {
  return a.src === b.src && a.sport === b.sport && a.dst === b.dst && a.dport === b.dport;
}

/** Same source side (address and port): nf_ct_tuple_src_equal. */
export function srcEqual(a: Tuple, b: Tuple): boolean {
  return a.src === b.src && a.sport === b.sport;
}

export function formatTuple(t: Tuple, addrs: readonly string[]): string {
  return `${addrs[t.src]}:${t.sport} -> ${addrs[t.dst]}:${t.dport}`;
}
