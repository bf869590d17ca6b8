/**
 * The packed form of a KState: what the search fingerprints and keeps in its
 * frontier. Two words a packet (progress, flags and entry status in one; the
 * entry's two tuples as numbers into a table of the tuples seen so far), the
 * two hash chains as 5-bit packet numbers, the rover, and the `conntrack -S`
 * counters at 5 bits each: 24 words for 8 packets on 8 CPUs. Decoding fills a
 * reusable scratch state, so the search allocates nothing per state.
 *
 * Tuple numbers depend on the order a codec met the tuples, so two codecs
 * encode a state alike only if they met them alike. Parallel workers, which
 * each have a codec, use the portable form instead: the tuples' values, two
 * words each (five words a packet).
 */
import { IPS, type Conn } from "../kernel/net/conn.js";
import { initialState, Pc, Reply, type Fate, type KState } from "../kernel/net/state.js";
import type { Tuple } from "../kernel/net/tuple.js";
import { PairMap, pairHash } from "./pairmap.js";
import { InputError } from "../errors.js";
import type { Features } from "./features.js";

/** Packet numbers in a chain word: 5 bits each (number + 1; 0 ends the chain). */
const IDS_PER_WORD = 6;
/** The status bits the model uses: IPS_CONFIRMED (3) to IPS_NAT_CLASH (12) shifted down by 3, with
 * IPS_SEEN_REPLY (1) and IPS_ASSURED (2) in the places of bits 6 (SEQ_ADJUST) and 11 (TEMPLATE),
 * which the model never sets: ten bits. */
const STATUS_SHIFT = 3;
/** IPS_TRACKED as a literal, which the compiler folds (packed.test checks they agree). */
export const STATUS_MASK = 0x17be;
/** Slots 3 and 8 of the ten (bits 6 and 11) hold SEEN_REPLY and ASSURED. */
const HIGH_SLOTS = 0x3ff & ~((1 << 3) | (1 << 8));
// Without SEEN_REPLY and ASSURED (every scenario without conntrack-max) the ten bits are the status shifted.
const packStatus = (s: number): number => ((s & 6) === 0 ? s >>> STATUS_SHIFT : ((s >>> STATUS_SHIFT) & HIGH_SLOTS) | ((s & IPS.SEEN_REPLY) << 2) | ((s & IPS.ASSURED) << 6));
const unpackStatus = (v: number): number => ((v & 0x108) === 0 ? v << STATUS_SHIFT : ((v & HIGH_SLOTS) << STATUS_SHIFT) | ((v >>> 2) & IPS.SEEN_REPLY) | ((v >>> 6) & IPS.ASSURED));
/** Bit 31 of a packet's first word: its entry was evicted by early drop. */
const EVICTED = 1 << 31;
/** early_drop counters of a scenario with conntrack-max: 5 bits a CPU, six CPUs a word. */
const LIFE_CPUS_PER_WORD = 6;
/** Counters a word holds: two CPUs of three 5-bit counters. */
const CPUS_PER_WORD = 2;
const COUNTER_MAX = 31;

/** Where things are in a packed state. Packet i: word 2i holds progress and
 * flags (bits 0-10), uses + 1 (11-15), clashWith + 1 (16-20) and the status
 * bits (21-30); then its ORIGINAL (low 16 bits) and REPLY tuple numbers in one
 * word, or in the portable form their values in four (address << 16 | port). */
export interface PackedLayout {
  readonly words: number;
  /** Words a packet: 2, or 5 in the portable form. */
  readonly packetWords: number;
  /** tupleKey of tuple number `id`'s value words (not in the portable form). */
  tupleKeyOf(id: number): number;
  readonly tableAt: number;
  readonly bysourceAt: number;
  readonly chainWords: number;
  readonly statsAt: number;
  /** nf_nat_bysource is held up to the order of entries that no walk tells apart (see sortBysourceRuns). */
  readonly bysourceRuns: boolean;
  /** In packed state `w`, packets a's and b's entries have the same source and map it alike: the ORIGINAL
   * source and the REPLY destination, all find_appropriate_src reads of an entry. */
  sameSource(w: Int32Array, a: number, b: number): boolean;
}

/**
 * nf_nat_bysource as a VIEW: only find_appropriate_src reads its order, and it
 * takes the first entry of a source, so two neighbouring entries of the same
 * source that map it alike can swap places without any walk, insert (at the
 * head) or removal telling: their order is bookkeeping. With one flow that is
 * most of the list. Sorts `ids` (entry numbers, in list order) by number
 * within each run of neighbours `same` calls alike on the words `w`: the one order every such
 * arrangement is stored as. Other entries keep their places, so a walk sees
 * what it saw.
 */
export function sortBysourceRuns(ids: number[], w: Int32Array, same: (w: Int32Array, a: number, b: number) => boolean, n = ids.length): void {
  // `same` is given the words rather than closed over them, and the length (`ids[0 .. n)`) rather than a
  // trimmed array: encode calls this for every transition, and setting an array's length is slow in V8.
  for (let i = 1; i < n; i++) {
    const v = ids[i]!;
    let j = i;
    // Insertion sort, moving only within the run v belongs to.
    while (j > 0 && same(w, ids[j - 1]!, v) && ids[j - 1]! > v) {
      ids[j] = ids[j - 1]!;
      j--;
    }
    ids[j] = v;
  }
}

/** A hash of a tuple's value words (address << 16 | port, source then
 * destination), the same in both forms: symmetry sorts packets by it. */
export const tupleKey = pairHash;

export const HAS_CT = 1 << 10;
export const USES_SHIFT = 11;
export const CLASH_SHIFT = 16;
export const REF_MASK = 31;
/** Counters of CPU c: bits 15*(c&1) .. +14 of word statsAt + (c>>1). */
export const STATS_BITS = 15;
export const ID_BITS = 5;

// Errors built out of line: a template string inside encode's loop makes V8 compile it far worse.
function statusError(stray: number): Error {
  // Only a user's patch can set such bits: its input error.
  return new InputError(`an entry's status has bits 0x${(stray >>> 0).toString(16)} the model does not track (it holds IPS_SEEN_REPLY, IPS_ASSURED, IPS_CONFIRMED to IPS_FIXED_TIMEOUT and IPS_NAT_CLASH: bits 1-5, 7-10, 12): a user's patch set them`);
}
function counterError(cpu: number): Error {
  return new Error(`cpu${cpu}'s conntrack -S counters passed ${COUNTER_MAX}, the most the packed state holds`);
}

export interface StateCodec extends PackedLayout {
  /** Words `encode` writes (always exactly this many). */
  readonly words: number;
  encode(s: KState, out: Int32Array): number;
  /** A state to decode into, with its own packet, entry and counter objects. */
  scratch(): KState;
  decode(w: Int32Array, off: number, len: number, into: KState): KState;
  /** `s` encodes to `now`: make it what `base` encodes, decoding only what differs. */
  restore(s: KState, base: Int32Array, now: Int32Array, len: number): void;
}

/** IPS_CONFIRMED and IPS_DYING where a packet's first word holds the status. */
const CONFIRMED_BIT = (IPS.CONFIRMED >>> STATUS_SHIFT) << 21;
const DYING_BIT = (IPS.DYING >>> STATUS_SHIFT) << 21;

/**
 * The search's progress measure (InPlace.progress) on an encoding: the steps
 * taken so far, so that each transition adds one and the sweep keeps a single
 * level's fingerprints. A query's steps follow from where it is: S1 a hit (or
 * NOTRACK) ends it with no entry of its own, init_conntrack goes to DNAT, or
 * straight to confirm when the packet is not NATed (`nat[i]`). Then a reply
 * counts one, and an entry's life two: marked DYING, and unlinked after it
 * was confirmed. A step that kills an entry as it goes (v5.6's UDP tracker on
 * a NAT_CLASH entry) adds more than one: still an increase, which is all the
 * search needs (it checks that every transition increases the measure).
 */
export function progressMeasure(layout: PackedLayout, nat: readonly boolean[]): (w: Int32Array, len: number) => number {
  const { words, packetWords, tableAt, chainWords } = layout;
  // Steps taken by packet i at each pc (8 a packet): a NATed packet passes
  // DNAT and SNAT, another goes from init_conntrack straight to confirm.
  const byPc = new Int8Array(nat.length * 8);
  nat.forEach((natted, i) => byPc.set(natted ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 2, 2, 3], i * 8));
  return (w, len) => {
    if (len !== words) throw new Error(`a packed state has ${words} words, got ${len}`);
    let n = 0;
    for (let i = 0; i < nat.length; i++) {
      const v = w[packetWords * i]!;
      const pc = v & 7;
      // Done without an entry: a lookup hit (one step), or dropped at init_conntrack for a full table (two).
      n += v & HAS_CT || pc !== Pc.DONE ? byPc[i * 8 + pc]! : ((v >>> 3) & 3) === 2 ? 2 : 1;
      if (((v >>> 5) & 7) > Reply.PENDING) n++;
      if (v & DYING_BIT) n++;
      if (v & CONFIRMED_BIT) n++;
    }
    // Confirmed and unlinked = confirmed less linked (only confirmed entries are linked).
    for (let k = 0; k < chainWords; k++) for (let v = w[tableAt + k]!; (v & 31) !== 0; v >>>= 5) n--;
    return n;
  };
}

/** Time words of a timed scenario: the clock and the gc worker's entry + 1, then per packet its entry's
 * timeout, a word of stream_ts (bits 0-25), expired (26) and the entry its lookup reaps + 1 (27-31), and its send time. */
const STREAM_MASK = (1 << 26) - 1;
const EXPIRED_BIT = 1 << 26;
const REAPING_SHIFT = 27;
/** The control plane's masks (KState.walk, walked, flushed, late, stale, synced, policy): a word each. */
const CTL_MASKS = 7;

/** What the codec holds beyond the packets, chains, rover and the three counters every scenario has (features.ts):
 * `limited`, the early_drop counters; `timed`, the clock, the timeouts and the reapers' progress; `chains`, the
 * chaintoolong counters; `recycle`, slots, readers, locks and the crash bits; `bysourceView`, nf_nat_bysource up
 * to the order sortBysourceRuns forgets. `portable`: tuples by value (see the top of this file). */
export interface CodecOptions {
  readonly portable: boolean;
  /** Words of the actors that keep state of their own (KState.ext), held as they are after everything else. */
  readonly ext?: number;
  readonly features: Pick<Features, "limited" | "timed" | "chains" | "recycle" | "bysourceView" | "control" | "skbs">;
}

export function stateCodec(packets: number, cpus: number, opts: CodecOptions): StateCodec {
  const { portable } = opts;
  const { limited: lifecycle, timed, chains, recycle, bysourceView: bysourceRuns, control, skbs } = opts.features;
  if (packets > 30) throw new Error("the packed state holds at most 30 packets");
  const chainWords = Math.ceil(packets / IDS_PER_WORD);
  const packetWords = portable ? 5 : 2;
  const tableAt = packetWords * packets;
  const bysourceAt = tableAt + chainWords;
  const roverAt = bysourceAt + chainWords;
  const statsAt = roverAt + 1;
  const lifeAt = statsAt + Math.ceil(cpus / CPUS_PER_WORD);
  // chaintoolong counters of a scenario with chains: laid out as the early_drop ones.
  const chainAt = lifeAt + (lifecycle ? Math.ceil(cpus / LIFE_CPUS_PER_WORD) : 0);
  const timeAt = chainAt + (chains ? Math.ceil(cpus / LIFE_CPUS_PER_WORD) : 0);
  // A recycle scenario's: the crash bits and the gc worker's reached slot and entry, then a word a packet: slot + 1, reader + 1, readerSaw + 1 (5 bits each), locked, dyingChecked.
  const recycleAt = timeAt + (timed ? 2 + 3 * packets : 0);
  // A scenario with a control plane: its step, stage and rule set in a word, then its seven entry masks.
  const ctlAt = recycleAt + (recycle ? 1 + packets : 0);
  // A scenario whose packets leave softirq or are copied (nfqueue, segments, clones): a word a packet (encodeSkb).
  const skbAt = ctlAt + (control ? 1 + CTL_MASKS : 0);
  const extAt = skbAt + (skbs ? packets : 0);
  const ext = opts.ext ?? 0;
  const words = extAt + ext;

  // Tuples seen so far, numbered in order of first sight (the same run gives
  // the same numbers). `byValue` finds a tuple a step built; `lastT`/`lastId`
  // remember, per tuple field of each packet, the object decode put there, so
  // an unchanged tuple costs one comparison.
  const tuples: Tuple[] = [];
  const keys: number[] = [];
  const byValue = new PairMap();
  const lastT: (Tuple | undefined)[] = new Array(2 * packets).fill(undefined);
  const lastId = new Int32Array(2 * packets);
  const tupleId = (slot: number, t: Tuple): number => {
    if (lastT[slot] === t) return lastId[slot]!;
    const a = (t.src << 16) | t.sport;
    const b = (t.dst << 16) | t.dport;
    let id = byValue.get(a, b);
    if (id < 0) {
      if (tuples.length === 0x10000) throw new Error("more than 65536 distinct tuples: the packed state cannot number them");
      id = tuples.push({ src: t.src, sport: t.sport, dst: t.dst, dport: t.dport }) - 1;
      keys.push(tupleKey(a, b));
      byValue.set(a, b, id);
    }
    lastT[slot] = t;
    lastId[slot] = id;
    return id;
  };
  /** Portable form: the tuple with these words, the object decode left in `slot` when it is still right. */
  const tupleAt = (slot: number, a: number, b: number): Tuple => {
    const t = lastT[slot];
    if (t && ((t.src << 16) | t.sport) === a && ((t.dst << 16) | t.dport) === b) return t;
    const u: Tuple = { src: a >>> 16, sport: a & 0xffff, dst: b >>> 16, dport: b & 0xffff };
    lastT[slot] = u;
    return u;
  };
  const tupleOf = (slot: number, id: number): Tuple => {
    const t = tuples[id]!;
    lastT[slot] = t;
    lastId[slot] = id;
    return t;
  };
  /** nf_nat_bysource's order as encoded (bysourceRuns): its first entries, the rest stale. */
  const runs: number[] = new Array<number>(packets).fill(0);
  const sameSource = (w: Int32Array, a: number, b: number): boolean => {
    const va = w[packetWords * a + 1]!;
    const vb = w[packetWords * b + 1]!;
    if (portable) return va === vb && w[packetWords * a + 4] === w[packetWords * b + 4];
    if (va === vb) return true;
    const oa = tuples[va & 0xffff]!;
    const ob = tuples[vb & 0xffff]!;
    const ra = tuples[va >>> 16]!;
    const rb = tuples[vb >>> 16]!;
    return oa.src === ob.src && oa.sport === ob.sport && ra.dst === rb.dst && ra.dport === rb.dport;
  };
  // Entry objects a scratch reuses (steps may replace pkt.ct; decode puts them back).
  const boxes = new WeakMap<KState, Conn[]>();

  /** Writes `ids[0 .. n)`. */
  const encodeChain = (ids: readonly number[], out: Int32Array, at: number, n = ids.length): void => {
    // Only within bounds: reading past an array's end is slow in V8.
    let k = 0;
    for (let w = 0; w < chainWords; w++) {
      let v = 0;
      for (let shift = 0; shift < 5 * IDS_PER_WORD && k < n; shift += 5) v |= (ids[k++]! + 1) << shift;
      out[at + w] = v;
    }
  };
  const decodeChain = (w: Int32Array, at: number, into: number[]): void => {
    let n = 0;
    for (let k = 0; k < chainWords; k++) {
      const v = w[at + k]!;
      for (let j = 0; j < IDS_PER_WORD; j++) {
        const id = (v >>> (5 * j)) & 31;
        if (id === 0) break;
        if (n < into.length) into[n] = id - 1;
        else into.push(id - 1);
        n++;
      }
    }
    // Setting length is slow in V8: only when the chain got shorter.
    if (into.length > n) into.length = n;
  };
  // The search decodes into one or two scratch states: remember the last one's boxes.
  let lastState: KState | undefined;
  let lastBoxes: Conn[] = [];
  const ownBoxes = (s: KState): Conn[] => {
    if (s === lastState) return lastBoxes;
    const own = boxes.get(s);
    if (!own) throw new Error("decode needs a state made by scratch()");
    lastState = s;
    lastBoxes = own;
    return own;
  };
  const decodePacket = (w: Int32Array, at: number, i: number, into: KState, own: Conn[]): void => {
    const v = w[at]!;
    const p = into.pkts[i]!;
    p.pc = (v & 7) as Pc;
    p.fate = ((v >>> 3) & 3) as Fate;
    p.reply = ((v >>> 5) & 7) as Reply;
    p.freed = (v & (1 << 8)) !== 0;
    p.replyOnly = (v & (1 << 9)) !== 0;
    p.evicted = (v & EVICTED) !== 0;
    p.uses = ((v >>> USES_SHIFT) & REF_MASK) - 1;
    p.clashWith = ((v >>> CLASH_SHIFT) & REF_MASK) - 1;
    if (v & HAS_CT) {
      const ct = own[i]!;
      ct.status = unpackStatus((v >>> 21) & 0x3ff);
      if (portable) {
        ct.orig = tupleAt(2 * i, w[at + 1]!, w[at + 2]!);
        ct.reply = tupleAt(2 * i + 1, w[at + 3]!, w[at + 4]!);
      } else {
        const t = w[at + 1]!;
        ct.orig = tupleOf(2 * i, t & 0xffff);
        ct.reply = tupleOf(2 * i + 1, t >>> 16);
      }
      p.ct = ct;
    } else p.ct = null;
  };
  const decodeStats = (w: Int32Array, off: number, c: number, into: KState): void => {
    const v = w[off + statsAt + (c >> 1)]! >>> (STATS_BITS * (c & 1));
    const st = into.stats[c]!;
    st.insertFailed = v & 31;
    st.drop = (v >>> 5) & 31;
    st.clashResolve = (v >>> 10) & 31;
    st.earlyDrop = lifecycle ? (w[off + lifeAt + Math.floor(c / LIFE_CPUS_PER_WORD)]! >>> (5 * (c % LIFE_CPUS_PER_WORD))) & 31 : 0;
    st.chainTooLong = chains ? (w[off + chainAt + Math.floor(c / LIFE_CPUS_PER_WORD)]! >>> (5 * (c % LIFE_CPUS_PER_WORD))) & 31 : 0;
  };
  const lifeDiffers = (a: Int32Array, b: Int32Array, c: number): boolean => {
    const w = lifeAt + ((c / LIFE_CPUS_PER_WORD) | 0);
    const v = chainAt + ((c / LIFE_CPUS_PER_WORD) | 0);
    return a[w] !== b[w] || (chains && a[v] !== b[v]);
  };
  const encodeTime = (s: KState, out: Int32Array): void => {
    out[timeAt] = s.now;
    out[timeAt + 1] = s.gc + 1;
    for (let i = 0; i < packets; i++) {
      const p = s.pkts[i]!;
      const ct = p.ct;
      if (ct && (ct.streamTs > STREAM_MASK || ct.streamTs < 0)) throw new Error(`stream_ts ${ct.streamTs} does not fit the packed state`);
      out[timeAt + 2 + 3 * i] = ct ? ct.timeout : 0;
      out[timeAt + 3 + 3 * i] = (ct ? ct.streamTs : 0) | (p.expired ? EXPIRED_BIT : 0) | ((p.reaping + 1) << REAPING_SHIFT);
      out[timeAt + 4 + 3 * i] = p.sentAt;
    }
  };
  const decodeTime = (w: Int32Array, off: number, into: KState): void => {
    into.now = w[off + timeAt]!;
    into.gc = w[off + timeAt + 1]! - 1;
    for (let i = 0; i < packets; i++) {
      const p = into.pkts[i]!;
      const v = w[off + timeAt + 3 + 3 * i]!;
      p.expired = (v & EXPIRED_BIT) !== 0;
      p.reaping = (v >>> REAPING_SHIFT) - 1;
      p.sentAt = w[off + timeAt + 4 + 3 * i]!;
      if (p.ct) {
        p.ct.timeout = w[off + timeAt + 2 + 3 * i]!;
        p.ct.streamTs = v & STREAM_MASK;
      }
    }
  };
  const decodeRecycle = (w: Int32Array, off: number, into: KState): void => {
    const g = w[off + recycleAt]!;
    into.crash = g & 15;
    into.gcReader = ((g >>> 4) & 31) - 1;
    into.gcSaw = ((g >>> 9) & 31) - 1;
    into.gcHalf = ((g >>> 14) & 31) - 1;
    for (let i = 0; i < packets; i++) {
      const v = w[off + recycleAt + 1 + i]!;
      const p = into.pkts[i]!;
      p.slot = (v & 31) - 1;
      p.reader = ((v >>> 5) & 31) - 1;
      p.readerSaw = ((v >>> 10) & 31) - 1;
      p.locked = (v & (1 << 15)) !== 0;
      p.dyingChecked = (v & (1 << 16)) !== 0;
      p.halfGc = ((v >>> 17) & 31) - 1;
    }
  };
  const encodeControl = (s: KState, out: Int32Array): void => {
    if (s.ctl < 0 || s.ctl > 63 || s.ctlPhase < 0 || s.ctlPhase > 7 || s.rules < 0 || s.rules > 31 || s.policyState < 0 || s.policyState > 3) {
      throw new Error(`the control plane's step ${s.ctl}, stage ${s.ctlPhase}, rule set ${s.rules} or policy state ${s.policyState} does not fit the packed state`);
    }
    out[ctlAt] = s.ctl | (s.ctlPhase << 6) | (s.rules << 9) | (s.policyState << 14);
    out[ctlAt + 1] = s.walk;
    out[ctlAt + 2] = s.walked;
    out[ctlAt + 3] = s.flushed;
    out[ctlAt + 4] = s.late;
    out[ctlAt + 5] = s.stale;
    out[ctlAt + 6] = s.synced;
    out[ctlAt + 7] = s.policy;
  };
  const decodeControl = (w: Int32Array, off: number, into: KState): void => {
    const v = w[off + ctlAt]!;
    into.ctl = v & 63;
    into.ctlPhase = (v >>> 6) & 7;
    into.rules = (v >>> 9) & 31;
    into.policyState = (v >>> 14) & 3;
    into.walk = w[off + ctlAt + 1]!;
    into.walked = w[off + ctlAt + 2]!;
    into.flushed = w[off + ctlAt + 3]!;
    into.late = w[off + ctlAt + 4]!;
    into.stale = w[off + ctlAt + 5]!;
    into.synced = w[off + ctlAt + 6]!;
    into.policy = w[off + ctlAt + 7]!;
  };
  // Bits 0-1 nfq, 2 thread, 3-7 qseq, 8 marked, 9 passedUp, 10 entered, 11-12 warn, 13-14 staleCt, 15 misrouted, 16-18 dropWhy, 19 attached, 20 reset, 21 timeoutSet, 22 lifetimeOff.
  const encodeSkb = (s: KState, out: Int32Array): void => {
    for (let i = 0; i < packets; i++) {
      const p = s.pkts[i]!;
      if (p.nfq > 3 || p.thread > 1 || p.qseq > 31 || p.warn > 3 || p.staleCt > 3 || p.dropWhy > 7) throw new Error(`packet ${i}'s queue place, WARN, stale use or drop reason does not fit the packed state`);
      out[skbAt + i] =
        p.nfq | (p.thread << 2) | (p.qseq << 3) | (p.marked ? 1 << 8 : 0) | (p.passedUp ? 1 << 9 : 0) | (p.entered ? 1 << 10 : 0) | (p.warn << 11) | (p.staleCt << 13) | (p.misrouted ? 1 << 15 : 0) | (p.dropWhy << 16) | (p.attached ? 1 << 19 : 0) | (p.reset ? 1 << 20 : 0) | (p.timeoutSet ? 1 << 21 : 0) | (p.lifetimeOff ? 1 << 22 : 0);
    }
  };
  const decodeSkb = (w: Int32Array, off: number, into: KState): void => {
    for (let i = 0; i < packets; i++) {
      const v = w[off + skbAt + i]!;
      const p = into.pkts[i]!;
      p.nfq = (v & 3) as KState["pkts"][number]["nfq"];
      p.thread = (v >>> 2) & 1;
      p.qseq = (v >>> 3) & 31;
      p.marked = (v & (1 << 8)) !== 0;
      p.passedUp = (v & (1 << 9)) !== 0;
      p.entered = (v & (1 << 10)) !== 0;
      p.warn = (v >>> 11) & 3;
      p.staleCt = (v >>> 13) & 3;
      p.misrouted = (v & (1 << 15)) !== 0;
      p.dropWhy = (v >>> 16) & 7;
      p.attached = (v & (1 << 19)) !== 0;
      p.reset = (v & (1 << 20)) !== 0;
      p.timeoutSet = (v & (1 << 21)) !== 0;
      p.lifetimeOff = (v & (1 << 22)) !== 0;
    }
  };
  const differs = (a: Int32Array, b: Int32Array, at: number, n: number): boolean => {
    for (let k = at; k < at + n; k++) if (a[k] !== b[k]) return true;
    return false;
  };

  return {
    words,
    packetWords,
    tupleKeyOf: (id) => keys[id]!,
    tableAt,
    bysourceAt,
    chainWords,
    statsAt,
    bysourceRuns,
    sameSource,
    encode(s, out) {
      // Status bits the packed form cannot hold, checked once after the loop (a throw inside it slows it down).
      let stray = 0;
      // A timeout in a scenario without time is not held: only a user's patch can set one.
      let clockless = 0;
      for (let i = 0; i < packets; i++) {
        const p = s.pkts[i]!;
        const ct = p.ct;
        if (ct) {
          stray |= ct.status & ~STATUS_MASK;
          if (!timed) clockless |= ct.timeout | ct.streamTs;
        }
        const at = packetWords * i;
        out[at] =
          p.pc |
          (p.fate << 3) |
          (p.reply << 5) |
          (p.freed ? 1 << 8 : 0) |
          (p.replyOnly ? 1 << 9 : 0) |
          (p.evicted ? EVICTED : 0) |
          (ct ? HAS_CT : 0) |
          ((p.uses + 1) << 11) |
          ((p.clashWith + 1) << 16) |
          (ct ? packStatus(ct.status) << 21 : 0);
        if (!portable) out[at + 1] = ct ? tupleId(2 * i, ct.orig) | (tupleId(2 * i + 1, ct.reply) << 16) : 0;
        else if (ct) {
          out[at + 1] = (ct.orig.src << 16) | ct.orig.sport;
          out[at + 2] = (ct.orig.dst << 16) | ct.orig.dport;
          out[at + 3] = (ct.reply.src << 16) | ct.reply.sport;
          out[at + 4] = (ct.reply.dst << 16) | ct.reply.dport;
        } else out[at + 1] = out[at + 2] = out[at + 3] = out[at + 4] = 0;
      }
      if (stray) throw statusError(stray);
      if (clockless) throw new InputError("an entry's timeout or stream_ts was set in a scenario without time (no reply-within, no at), which keeps neither: a user's patch set them");
      encodeChain(s.table, out, tableAt);
      if (bysourceRuns && s.bysource.length > 1) {
        // The packets' tuple words are written: sort the runs of equal ones.
        const n = s.bysource.length;
        for (let k = 0; k < n; k++) runs[k] = s.bysource[k]!;
        sortBysourceRuns(runs, out, sameSource, n);
        encodeChain(runs, out, bysourceAt, n);
      } else encodeChain(s.bysource, out, bysourceAt);
      out[roverAt] = s.rover;
      for (let w = statsAt; w < words; w++) out[w] = 0;
      for (let c = 0; c < cpus; c++) {
        const st = s.stats[c]!;
        if (st.insertFailed > COUNTER_MAX || st.drop > COUNTER_MAX || st.clashResolve > COUNTER_MAX) throw counterError(c);
        out[statsAt + (c >> 1)] |= (st.insertFailed | (st.drop << 5) | (st.clashResolve << 10)) << (15 * (c & 1));
        if (lifecycle) {
          if (st.earlyDrop > COUNTER_MAX) throw counterError(c);
          out[lifeAt + Math.floor(c / LIFE_CPUS_PER_WORD)] |= st.earlyDrop << (5 * (c % LIFE_CPUS_PER_WORD));
        } else if (st.earlyDrop !== 0) throw new Error("an early_drop counter moved in a scenario without conntrack-max");
        if (chains) {
          if (st.chainTooLong > COUNTER_MAX) throw counterError(c);
          out[chainAt + Math.floor(c / LIFE_CPUS_PER_WORD)] |= st.chainTooLong << (5 * (c % LIFE_CPUS_PER_WORD));
        } else if (st.chainTooLong !== 0) throw new Error("a chaintoolong counter moved in a scenario without chains");
      }
      if (timed) encodeTime(s, out);
      if (recycle) {
        out[recycleAt] = s.crash | ((s.gcReader + 1) << 4) | ((s.gcSaw + 1) << 9) | ((s.gcHalf + 1) << 14);
        for (let i = 0; i < packets; i++) {
          const p = s.pkts[i]!;
          out[recycleAt + 1 + i] = (p.slot + 1) | ((p.reader + 1) << 5) | ((p.readerSaw + 1) << 10) | (p.locked ? 1 << 15 : 0) | (p.dyingChecked ? 1 << 16 : 0) | ((p.halfGc + 1) << 17);
        }
      }
      if (control) encodeControl(s, out);
      if (skbs) encodeSkb(s, out);
      for (let i = 0; i < ext; i++) out[extAt + i] = s.ext[i]!;
      return words;
    },
    scratch() {
      const s = initialState(packets, cpus, ext);
      const box = (): Conn => ({ orig: { src: 0, sport: 0, dst: 0, dport: 0 }, reply: { src: 0, sport: 0, dst: 0, dport: 0 }, status: 0, timeout: 0, streamTs: 0 });
      boxes.set(s, Array.from({ length: packets }, box));
      return s;
    },
    decode(w, off, len, into) {
      if (len !== words) throw new Error(`a packed state has ${words} words, got ${len}`);
      const own = ownBoxes(into);
      for (let i = 0; i < packets; i++) decodePacket(w, off + packetWords * i, i, into, own);
      decodeChain(w, off + tableAt, into.table);
      decodeChain(w, off + bysourceAt, into.bysource);
      into.rover = w[off + roverAt]!;
      for (let c = 0; c < cpus; c++) decodeStats(w, off, c, into);
      if (timed) decodeTime(w, off, into);
      if (recycle) decodeRecycle(w, off, into);
      if (control) decodeControl(w, off, into);
      if (skbs) decodeSkb(w, off, into);
      for (let i = 0; i < ext; i++) into.ext[i] = w[off + extAt + i]!;
      return into;
    },
    restore(s, base, now, len) {
      if (len !== words) throw new Error(`a packed state has ${words} words, got ${len}`);
      const own = ownBoxes(s);
      for (let i = 0; i < packets; i++) {
        const at = packetWords * i;
        for (let k = 0; k < packetWords; k++) {
          if (base[at + k] !== now[at + k]) {
            decodePacket(base, at, i, s, own);
            break;
          }
        }
      }
      if (differs(base, now, tableAt, chainWords)) decodeChain(base, tableAt, s.table);
      if (differs(base, now, bysourceAt, chainWords)) decodeChain(base, bysourceAt, s.bysource);
      s.rover = base[roverAt]!;
      for (let c = 0; c < cpus; c++) {
        if (base[statsAt + (c >> 1)] !== now[statsAt + (c >> 1)] || ((lifecycle || chains) && lifeDiffers(base, now, c))) decodeStats(base, 0, c, s);
      }
      // After the packets: their entries (decoded above where they differ) take their timeouts here.
      if (timed) decodeTime(base, 0, s);
      if (recycle) decodeRecycle(base, 0, s);
      if (control) decodeControl(base, 0, s);
      if (skbs) decodeSkb(base, 0, s);
      for (let i = 0; i < ext; i++) s.ext[i] = base[extAt + i]!;
    },
  };
}
