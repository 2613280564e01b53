// The draws of DP-FEST and DP-AdaFEST (docs/algorithms-fest.md), addressed like every other
// draw of the lab (src/noise/philox.ts). Fourth counter word, t the table (< 2^29):
//   0xA0000000 | t  DP-FEST's histogram noise of row r:      counter (0, r, 0, 0xA0000000|t), word 0
//   0xC0000000 | t  DP-AdaFEST's count noise of touched r:   counter (0, r, s, 0xC0000000|t), word 0
//   0xE0000000 | t  crossings of untouched rows at step s:   counter (floor(j/2), 0, s, 0xE0000000|t),
//                   uniform j from words 2(j%2), 2(j%2)+1
// (tables 0..0x1FFFFFFF, sampling 0x20000000, MLP 0x40000000 and LazyDP 0x80000000|t stay apart).
// The gradient noise of a selected row is DP-SGD's own eager draw, counter (c>>2, r, s, t): a
// selected row gets exactly the noise DP-SGD would give it at that step.
import { philox4x32, normals4, type Key } from './philox';

export const STREAM_FEST_HISTOGRAM = 0xa0000000;
export const STREAM_FEST_COUNT = 0xc0000000;
export const STREAM_FEST_CROSS = 0xe0000000;
const TWO53 = 9007199254740992;

function stream(base: number, t: number): number {
  if (!(Number.isInteger(t) && t >= 0 && t < 0x20000000)) throw new RangeError(`table index ${t} out of range`);
  return (base | t) >>> 0;
}

/** The standard normal added to touched row r's clipped count at step s (times sigma1 C1). */
export function countNoise(key: Key, t: number, r: number, s: number): number {
  return normals4(philox4x32(0, r, s, stream(STREAM_FEST_COUNT, t), key[0], key[1]))[0];
}

/** The standard normal added to row r's count in DP-FEST's histogram (times its sigma and bound). */
export function histogramNoise(key: Key, t: number, r: number): number {
  return normals4(philox4x32(0, r, 0, stream(STREAM_FEST_HISTOGRAM, t), key[0], key[1]))[0];
}

/** Uniforms in (0, 1) on a 2^-53 grid, j = 0, 1, ... of table t's crossing stream at step s. */
class CrossDraws {
  private block: Uint32Array = new Uint32Array(4);
  private j = 0;
  constructor(
    private readonly key: Key,
    private readonly c3: number,
    private readonly step: number,
  ) {}
  uniform(): number {
    const w = (this.j & 1) * 2;
    if (w === 0) this.block = philox4x32(this.j >>> 1, 0, this.step, this.c3, this.key[0], this.key[1]);
    this.j++;
    return ((this.block[w] >>> 5) * 67108864 + (this.block[w + 1] >>> 6) + 0.5) / TWO53;
  }
}

/**
 * Which of table t's rows 0..rows-1 cross the threshold at step s when their count is 0, each
 * independently with probability p (crossingProbability in src/privacy/fest.ts): the candidates of DP-AdaFEST's untouched crossings, sorted.
 * Gaps between successive candidates are geometric, floor(log u / log(1 - p)) (P[gap >= k] =
 * (1 - p)^k), so the cost is O(rows * p), never a pass over the rows. The GPU then drops the
 * candidates the batch touched (their own noisy count decides for them): what is left is exactly
 * an independent Bernoulli(p) for every untouched row, i.e. thresholding dense noise; their number
 * is Binomial(untouched, p) and, given it, their positions are a uniform subset of the untouched
 * rows. (u lies on a 2^-53 grid: each gap's probabilities are exact up to about 2^-53.)
 */
export function crossingCandidates(key: Key, t: number, rows: number, s: number, p: number): Uint32Array {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`crossing probability must be in [0, 1] (got ${p})`);
  if (!(Number.isInteger(s) && s >= 1 && s < 2 ** 32)) throw new RangeError(`step must be in [1, 2^32) (got ${s})`);
  if (p === 0 || rows === 0) return new Uint32Array(0);
  if (p === 1) return Uint32Array.from({ length: rows }, (_, i) => i);
  const d = new CrossDraws(key, stream(STREAM_FEST_CROSS, t), s);
  const logNot = Math.log1p(-p);
  const out: number[] = [];
  for (let pos = -1; ;) {
    pos += Math.floor(Math.log(d.uniform()) / logNot) + 1;
    if (pos >= rows) break;
    out.push(pos);
  }
  return Uint32Array.from(out);
}

/**
 * DP-AdaFEST+: the same draws over a preselected universe of rows (DP-FEST's sorted selection of
 * the table) instead of 0..rows-1: position j of the universe crosses with probability p. Sorted,
 * as the universe is.
 */
export function candidatesAmong(key: Key, t: number, universe: Uint32Array, s: number, p: number): Uint32Array {
  return crossingCandidates(key, t, universe.length, s, p).map((j) => universe[j]);
}

/** Slots per table a candidate buffer needs for these lists (at least 1). */
export function candidatesNeeded(lists: readonly Uint32Array[]): number {
  return Math.max(1, ...lists.map((l) => l.length));
}

/**
 * Every table's candidates in one buffer of `cap` slots per table (table t at t * cap), the rest
 * INVALID_ROW. A list longer than `cap` is an error, never cut short: a dropped crossing would
 * change the mechanism the accountant counts, so the caller grows its buffer to
 * candidatesNeeded() first.
 */
export function packCandidates(lists: readonly Uint32Array[], cap: number): Uint32Array {
  const needed = candidatesNeeded(lists);
  if (needed > cap)
    throw new RangeError(`crossing candidates: ${needed} slots per table needed, the buffer has ${cap}`);
  const data = new Uint32Array(lists.length * cap).fill(0xffffffff);
  lists.forEach((l, t) => data.set(l, t * cap));
  return data;
}
