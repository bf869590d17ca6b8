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

/** Mixes one field into a 32-bit running hash (murmur3 style). */
function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The representative of `s`; `cpuOf[i]` is packet i's CPU. Packets are sorted
 * by a hash of what they are (equal packets hash equally, so the states of one
 * symmetry class sort alike), ties kept in their old order. */
export function canonicalState(s: KState, cpuOf: readonly number[]): KState {
  const n = s.pkts.length;
  const tableRank = new Int32Array(n).fill(-1);
  const bysourceRank = new Int32Array(n).fill(-1);
  s.table.forEach((id, r) => (tableRank[id] = r));
  s.bysource.forEach((id, r) => (bysourceRank[id] = r));
  // A reference names another packet by its place in the hash chains, which
  // does not depend on packet numbering.
  const ref = (id: number, self: number): number => (id < 0 ? -2 : id === self ? -3 : tableRank[id]! + 64 * (bysourceRank[id]! + 1));
  const h = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = s.pkts[i]!;
    const ct = p.ct;
    const st = s.stats[cpuOf[i]!]!;
    let x = mix(0x2545f491, p.pc);
    x = mix(x, p.fate);
    x = mix(x, p.reply);
    x = mix(x, (p.freed ? 1 : 0) | (p.replyOnly ? 2 : 0));
    x = mix(x, tableRank[i]!);
    x = mix(x, bysourceRank[i]!);
    x = mix(x, ref(p.uses, i));
    x = mix(x, ref(p.clashWith, i));
    if (ct) {
      x = mix(x, ct.status);
      x = mix(x, ct.reply.src);
      x = mix(x, ct.reply.sport);
      x = mix(x, ct.reply.dst);
      x = mix(x, ct.reply.dport);
    } else x = mix(x, -1);
    x = mix(x, st.insertFailed);
    x = mix(x, st.drop);
    h[i] = mix(x, st.clashResolve);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => h[a]! - h[b]! || a - b);
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
