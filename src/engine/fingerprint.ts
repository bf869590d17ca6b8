/**
 * 64-bit fingerprints of encoded states, as two independent 32-bit murmur3-style
 * lanes. Pure JS: on Node 20 it measured about as fast as the native
 * @node-rs/xxhash, so hashing needs no native dependency.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const C3 = 0x85ebca77;
const C4 = 0xc2b2ae3d;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fingerprint of `words[0..len)`, written to out[0] (high) and out[1] (low):
 * two murmur3-style lanes with their own seeds and multipliers, in one pass.
 * Never (0,0): the fingerprint table uses that as its empty mark. */
export function fingerprint(words: Int32Array, len: number, out: Uint32Array): void {
  let a = 0x9747b28c | 0;
  let b = 0x5bd1e995 | 0;
  for (let i = 0; i < len; i++) {
    const w = words[i]!;
    let k = Math.imul(w, C1);
    k = (k << 15) | (k >>> 17);
    a ^= Math.imul(k, C2);
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let j = Math.imul(w, C3);
    j = (j << 13) | (j >>> 19);
    b ^= Math.imul(j, C4);
    b = (b << 17) | (b >>> 15);
    b = (Math.imul(b, 9) + 0x38b34ae5) | 0;
  }
  out[0] = fmix32(a ^ len);
  out[1] = fmix32(b ^ len);
  if (out[0] === 0 && out[1] === 0) out[1] = 1;
}

/** Probability that at least two of `n` distinct states share a 64-bit
 * fingerprint, assuming uniform fingerprints (TLC's "optimistic" estimate). */
export function collisionProbability(n: number): number {
  return Math.min(1, (n * (n - 1)) / 2 / 2 ** 64);
}
