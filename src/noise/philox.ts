// Philox4x32-10 (Salmon et al., SC'11), the TypeScript reference of shaders/lib/philox.wgsl.
// Every noise draw of the lab is addressed by (seed, counter), so anyone who knows the seed can
// recompute any draw; see the stream layout below.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** 32x32 -> 64-bit product as [hi, lo], exact (Math.imul gives only the low half). */
function mulhilo(a: number, b: number): [number, number] {
  const lo = Math.imul(a, b) >>> 0;
  const aH = a >>> 16,
    aL = a & 0xffff,
    bH = b >>> 16,
    bL = b & 0xffff;
  const ll = aL * bL,
    lh = aL * bH,
    hl = aH * bL,
    hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  const hi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, lo];
}

/** One Philox4x32-10 block: 4 counter words and 2 key words in, 4 random words out. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): Uint32Array {
  let x0 = c0 >>> 0,
    x1 = c1 >>> 0,
    x2 = c2 >>> 0,
    x3 = c3 >>> 0;
  k0 >>>= 0;
  k1 >>>= 0;
  for (let r = 0; r < 10; r++) {
    const [hi0, lo0] = mulhilo(M0, x0);
    const [hi1, lo1] = mulhilo(M1, x2);
    const n0 = (hi1 ^ x1 ^ k0) >>> 0;
    const n2 = (hi0 ^ x3 ^ k1) >>> 0;
    x0 = n0;
    x1 = lo1;
    x2 = n2;
    x3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return new Uint32Array([x0, x1, x2, x3]);
}

/**
 * Uniform in (0, 1), never 0 or 1: the top 24 bits, centred; exact here (double). Not exact in f32:
 * for x >> 8 >= 2^23 the half does not fit and rounds to even, and the top word would round to 1,
 * so the GPU (philox_u01 in shaders/lib/philox.wgsl) uses min(fround(u01(x)), 1 - 2^-24).
 */
export function u01(x: number): number {
  return ((x >>> 8) + 0.5) / 16777216;
}

/** Box-Muller on the pairs (u0, u1) and (u2, u3): four standard normals. */
export function normals4(w: ArrayLike<number>): [number, number, number, number] {
  const u0 = u01(w[0]),
    u1 = u01(w[1]),
    u2 = u01(w[2]),
    u3 = u01(w[3]);
  const ra = Math.sqrt(-2 * Math.log(u0));
  const rb = Math.sqrt(-2 * Math.log(u2));
  return [
    ra * Math.cos(2 * Math.PI * u1),
    ra * Math.sin(2 * Math.PI * u1),
    rb * Math.cos(2 * Math.PI * u3),
    rb * Math.sin(2 * Math.PI * u3),
  ];
}

export type Key = readonly [number, number];

/** seed (u64) -> key = (low 32 bits, high 32 bits). */
export function seedToKey(seed: bigint | string | number): Key {
  const s = BigInt(seed);
  // wrapping would quietly give two seeds one key: refuse (the config already does, this guards
  // every other caller)
  if (s < 0n || s >= 1n << 64n) throw new RangeError(`seed must be an unsigned 64-bit integer, got ${String(seed)}`);
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

/** A fresh 64-bit seed from the platform's cryptographic generator, as a decimal string. */
export function randomSeed(): string {
  const w = new Uint32Array(2);
  globalThis.crypto.getRandomValues(w);
  return ((BigInt(w[1]) << 32n) | BigInt(w[0])).toString();
}

// Stream layout (fourth counter word). Tables use their index t < 2^29 directly.
export const STREAM_MLP = 0x40000000;
export const STREAM_LAZY = 0x80000000;
export const STREAM_SAMPLING = 0x20000000;

/** Eager noise of table t, row r, column c, added at step s (1-based): counter (c>>2, r, s, t). */
export function eagerTableNoise(key: Key, t: number, r: number, c: number, s: number): number {
  return normals4(philox4x32(c >>> 2, r, s, t, key[0], key[1]))[c & 3];
}

/** LazyDP's aggregated draw for row r of table t made at step tNow: counter (c>>2, r, tNow, 0x80000000|t). */
export function lazyTableNoise(key: Key, t: number, r: number, c: number, tNow: number): number {
  return normals4(philox4x32(c >>> 2, r, tNow, (STREAM_LAZY | t) >>> 0, key[0], key[1]))[c & 3];
}

/** Noise of MLP parameter p (bottom layers then top, weight before bias) at flat index i, step s. */
export function mlpNoise(key: Key, p: number, i: number, s: number): number {
  return normals4(philox4x32(i >>> 2, p, s, STREAM_MLP, key[0], key[1]))[i & 3];
}
