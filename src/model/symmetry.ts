/**
 * Symmetry reduction for the conntrack model. When every packet is the same
 * query (same tuple, same NAT hooks, no ordering between them) and each CPU
 * runs exactly one of them, swapping two packets together with their CPUs
 * changes nothing the kernel or a property can tell apart. A state is then
 * stored as a representative: packets sorted by what they are (their step,
 * entry, place in the hash chains, counters of their CPU), every reference to
 * a packet renamed to match. Ties are broken by the old order: the result is
 * always a permutation of the state, so the reduction is sound even where it
 * misses an equivalence. It works on the packed state (packed.ts), in place,
 * so the search allocates nothing for it. When it applies is features.ts's
 * to say (noSymmetry).
 */
import { CLASH_SHIFT, HAS_CT, ID_BITS, REF_MASK, sortBysourceRuns, STATS_BITS, tupleKey, USES_SHIFT, type PackedLayout } from "./packed.js";

/** Mixes one field into a 32-bit running hash (murmur3 style). */
function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

const IDS_PER_WORD = Math.floor(32 / ID_BITS);
const STATS_MASK = (1 << STATS_BITS) - 1;
/** Packet word bits that are not references to other packets. */
const OWN_BITS = ~((REF_MASK << USES_SHIFT) | (REF_MASK << CLASH_SHIFT));

/** Rewrites a packed state into its representative, in place; `cpuOf[i]` is
 * packet i's CPU. Packets are sorted by a hash of what they are (equal
 * packets hash equally, so the states of one class sort alike), ties kept in
 * their old order. */
export interface Canonicalizer {
  readonly canonicalize: (w: Int32Array) => void;
  /** After the last canonicalize: the CPU that CPU `cpu` of the state before is in the representative. */
  readonly actorAfter: (cpu: number) => number;
}

export function canonicalizer(layout: PackedLayout, packets: number, cpuOf: readonly number[]): Canonicalizer {
  const { tableAt, bysourceAt, chainWords, statsAt, packetWords } = layout;
  const tableRank = new Int32Array(packets);
  const bysourceRank = new Int32Array(packets);
  const h = new Int32Array(packets);
  const incoming = new Int32Array(packets);
  const order = new Int32Array(packets); // order[new] = old
  const rename = new Int32Array(packets); // rename[old] = new
  const copy = new Int32Array(layout.words);
  const packetOn = new Map(cpuOf.map((cpu, i) => [cpu, i]));
  let renamed = false;

  /** The k-th packet number + 1 of the chain at `at` (0: past its end). */
  const idAt = (w: Int32Array, at: number, k: number): number => (w[at + ((k / IDS_PER_WORD) | 0)]! >>> (ID_BITS * (k % IDS_PER_WORD))) & REF_MASK;
  /** Each entry's place in a chain; with `runs`, a run of nf_nat_bysource neighbours that sortBysourceRuns
   * orders by number shares its first place, so that the place does not depend on the numbering. */
  const ranks = (w: Int32Array, at: number, rank: Int32Array, runs = false): void => {
    rank.fill(-1);
    let prev = -1;
    for (let k = 0; k < chainWords * IDS_PER_WORD; k++) {
      const id = idAt(w, at, k);
      if (id === 0) return;
      rank[id - 1] = runs && prev >= 0 && layout.sameSource(w, prev, id - 1) ? rank[prev]! : k;
      prev = id - 1;
    }
  };
  const statsOf = (w: Int32Array, cpu: number): number => (w[statsAt + (cpu >> 1)]! >>> (STATS_BITS * (cpu & 1))) & STATS_MASK;
  // A reference names another packet by its place in the hash chains, which
  // does not depend on packet numbering. `ref` is the field + 1 (0: none).
  const refKey = (ref: number, self: number): number => (ref === 0 ? -2 : ref - 1 === self ? -3 : tableRank[ref - 1]! + 64 * (bysourceRank[ref - 1]! + 1));
  const renameRef = (ref: number): number => (ref === 0 ? 0 : rename[ref - 1]! + 1);
  const renameChain = (w: Int32Array, at: number): void => {
    for (let c = 0; c < chainWords; c++) {
      const v = copy[at + c]!;
      let out = 0;
      for (let j = 0; j < IDS_PER_WORD; j++) {
        const id = (v >>> (ID_BITS * j)) & REF_MASK;
        if (id !== 0) out |= renameRef(id) << (ID_BITS * j);
      }
      w[at + c] = out;
    }
  };

  const ids: number[] = [];
  const resortRuns = (w: Int32Array): void => {
    ids.length = 0;
    for (let k = 0; k < chainWords * IDS_PER_WORD; k++) {
      const id = idAt(w, bysourceAt, k);
      if (id === 0) break;
      ids.push(id - 1);
    }
    if (ids.length < 2) return;
    sortBysourceRuns(ids, w, layout.sameSource);
    for (let c = 0; c < chainWords; c++) w[bysourceAt + c] = 0;
    ids.forEach((id, k) => {
      const at = bysourceAt + ((k / IDS_PER_WORD) | 0);
      w[at] = w[at]! | ((id + 1) << (ID_BITS * (k % IDS_PER_WORD)));
    });
  };
  const actorAfter = (cpu: number): number => {
    const i = renamed ? packetOn.get(cpu) : undefined;
    return i === undefined ? cpu : cpuOf[rename[i]!]!;
  };
  const canonicalize = (w: Int32Array): void => {
    renamed = false;
    ranks(w, tableAt, tableRank);
    ranks(w, bysourceAt, bysourceRank, layout.bysourceRuns);
    for (let i = 0; i < packets; i++) {
      const v = w[packetWords * i]!;
      // The tuples by value, in either form, so both forms pick the same representative.
      let orig = 0;
      let reply = 0;
      if (v & HAS_CT) {
        const at = packetWords * i;
        if (packetWords === 5) {
          orig = tupleKey(w[at + 1]!, w[at + 2]!);
          reply = tupleKey(w[at + 3]!, w[at + 4]!);
        } else {
          orig = layout.tupleKeyOf(w[at + 1]! & 0xffff);
          reply = layout.tupleKeyOf(w[at + 1]! >>> 16);
        }
      }
      // Small fields share a word: chain places (< 32) and references (< 2^11).
      const places = (tableRank[i]! + 1) | ((bysourceRank[i]! + 1) << 8) | (statsOf(w, cpuOf[i]!) << 16);
      const refs = (refKey((v >>> USES_SHIFT) & REF_MASK, i) + 3) | ((refKey((v >>> CLASH_SHIFT) & REF_MASK, i) + 3) << 12);
      h[i] = mix(mix(mix(mix(mix(0x2545f491, v & OWN_BITS), orig), reply), places), refs);
    }
    // Who refers to a packet tells apart packets alike in themselves (entries of one nf_nat_bysource run share
    // a place, so an entry another packet continues with would look like its neighbour): a sum, so the
    // order of the referrers does not count.
    if (layout.bysourceRuns) {
      incoming.fill(0);
      for (let j = 0; j < packets; j++) {
        const v = w[packetWords * j]!;
        const uses = (v >>> USES_SHIFT) & REF_MASK;
        const clash = (v >>> CLASH_SHIFT) & REF_MASK;
        if (uses !== 0 && uses - 1 !== j) incoming[uses - 1] = (incoming[uses - 1]! + mix(h[j]!, 1)) | 0;
        if (clash !== 0 && clash - 1 !== j) incoming[clash - 1] = (incoming[clash - 1]! + mix(h[j]!, 2)) | 0;
      }
      for (let i = 0; i < packets; i++) if (incoming[i] !== 0) h[i] = mix(h[i]!, incoming[i]!);
    }
    // Insertion sort by (hash, old index): stable, and a dozen packets at most.
    for (let j = 0; j < packets; j++) {
      let k = j;
      for (; k > 0 && h[order[k - 1]!]! > h[j]!; k--) order[k] = order[k - 1]!;
      order[k] = j;
    }
    let identity = true;
    for (let j = 0; j < packets; j++) if (order[j] !== j) identity = false;
    if (identity) return;
    copy.set(w);
    for (let j = 0; j < packets; j++) rename[order[j]!] = j;
    renamed = true;
    for (let j = 0; j < packets; j++) {
      const old = order[j]!;
      const v = copy[packetWords * old]!;
      w[packetWords * j] =
        (v & OWN_BITS) |
        (renameRef((v >>> USES_SHIFT) & REF_MASK) << USES_SHIFT) |
        (renameRef((v >>> CLASH_SHIFT) & REF_MASK) << CLASH_SHIFT);
      for (let k = 1; k < packetWords; k++) w[packetWords * j + k] = copy[packetWords * old + k]!;
    }
    renameChain(w, tableAt);
    renameChain(w, bysourceAt);
    // Renamed, a run of equal entries may be out of the order the encoding keeps it in.
    if (layout.bysourceRuns) resortRuns(w);
    // The CPUs move with their packets: packet j's CPU gets the counters of order[j]'s.
    for (let j = 0; j < packets; j++) {
      const cpu = cpuOf[j]!;
      const at = statsAt + (cpu >> 1);
      const shift = STATS_BITS * (cpu & 1);
      w[at] = (w[at]! & ~(STATS_MASK << shift)) | (statsOf(copy, cpuOf[order[j]!]!) << shift);
    }
  };
  return { canonicalize, actorAfter };
}
