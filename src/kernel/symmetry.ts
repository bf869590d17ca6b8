/**
 * Symmetry reduction for the conntrack model. When every packet is the same
 * query (same tuple, same NAT hooks, no ordering between them) and each CPU
 * runs exactly one of them, swapping two packets together with their CPUs
 * changes nothing the kernel or a property can tell apart. A state is then
 * stored as a representative: packets sorted by what they are (their step,
 * entry, place in the hash chains, counters of their CPU), every reference to
 * a packet renamed to match. Ties are broken by the old order: the result is
 * always a permutation of the state, so the reduction is sound even where it
 * misses an equivalence.
 */
import type { Scenario } from "../scenario/scenario.js";
import type { CpuStats, KState, PacketState } from "./state.js";


/** Whether the scenario's packets and CPUs are interchangeable. */
export function symmetric(sc: Scenario): boolean {
  const p0 = sc.packets[0]!;
  const cpus = new Set(sc.packets.map((p) => p.cpu));
  return (
    sc.packets.length > 1 &&
    cpus.size === sc.packets.length &&
    sc.deletes.length === 0 &&
    sc.packets.every(
      (p) =>
        p.afterReply === undefined &&
        p.nat === p0.nat &&
        p.from.addr === p0.from.addr &&
        p.from.port === p0.from.port &&
        p.to.addr === p0.to.addr &&
        p.to.port === p0.to.port,
    )
  );
}

/** The representative of `s`; `cpuOf[i]` is packet i's CPU. */
export function canonicalState(s: KState, cpuOf: readonly number[]): KState {
  const n = s.pkts.length;
  const rank = (list: readonly number[], id: number): number => list.indexOf(id);
  const key = (i: number): number[] => {
    const p = s.pkts[i]!;
    const ct = p.ct;
    const st = s.stats[cpuOf[i]!]!;
    const ref = (id: number): number => (id < 0 ? -2 : id === i ? -1e6 : rank(s.table, id) + 1000 * (rank(s.bysource, id) + 1));
    return [
      p.pc,
      p.fate,
      p.reply,
      p.freed ? 1 : 0,
      p.replyOnly ? 1 : 0,
      rank(s.table, i),
      rank(s.bysource, i),
      ref(p.uses),
      ref(p.clashWith),
      ct ? ct.status : -1,
      ct ? ct.reply.src : -1,
      ct ? ct.reply.sport : -1,
      ct ? ct.reply.dst : -1,
      ct ? ct.reply.dport : -1,
      st.insertFailed,
      st.drop,
      st.clashResolve,
    ];
  };
  const keys = Array.from({ length: n }, (_, i) => key(i));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const ka = keys[a]!;
    const kb = keys[b]!;
    for (let j = 0; j < ka.length; j++) if (ka[j] !== kb[j]) return ka[j]! - kb[j]!;
    return a - b;
  });
  let identity = true;
  for (let j = 0; j < n; j++) if (order[j] !== j) identity = false;
  if (identity) return s;
  // order[newIndex] = oldIndex; rename[oldIndex] = newIndex
  const rename = new Array<number>(n);
  order.forEach((old, j) => (rename[old] = j));
  const re = (id: number): number => (id < 0 ? id : rename[id]!);
  const pkts: PacketState[] = order.map((old) => {
    const p = s.pkts[old]!;
    return { ...p, uses: re(p.uses), clashWith: re(p.clashWith) };
  });
  const stats: CpuStats[] = s.stats.slice();
  order.forEach((old, j) => (stats[cpuOf[j]!] = s.stats[cpuOf[old]!]!));
  return { pkts, table: s.table.map(re), bysource: s.bysource.map(re), rover: s.rover, stats };
}

