/**
 * 64-bit fingerprints of encoded states, as two independent 32-bit murmur3-style
 * lanes. Pure JS: measured about as fast here as a native xxhash (design-notes).
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function lane(words: Int32Array, len: number, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < len; i++) {
    let k = Math.imul(words[i]!, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ len);
}

/** Fingerprint of `words[0..len)`, written to out[0] (high) and out[1] (low).
 * Never (0,0): the fingerprint table uses that as its empty mark. */
export function fingerprint(words: Int32Array, len: number, out: Uint32Array): void {
  out[0] = lane(words, len, 0x9747b28c);
  out[1] = lane(words, len, 0x5bd1e995);
  if (out[0] === 0 && out[1] === 0) out[1] = 1;
}

/** Probability that at least two of `n` distinct states share a 64-bit
 * fingerprint, assuming uniform fingerprints (TLC's "optimistic" estimate). */
export function collisionProbability(n: number): number {
  return Math.min(1, (n * (n - 1)) / 2 / 2 ** 64);
}
