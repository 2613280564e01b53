// Batch sampling for DP-SGD, reproducible from the seed through the counter-based Philox
// generator of src/noise/philox.ts.
//
// Philox counter layout of the sampling stream (fourth word STREAM_SAMPLING), draw j = 0, 1, ...
//   Poisson sampling at step s:    counter (floor(j/4), s,     0, STREAM_SAMPLING), word j % 4
//   truncation of step s's batch:  counter (floor(j/4), s,     1, STREAM_SAMPLING), word j % 4
//   shuffle permutation of epoch e: counter (floor(j/4), e,    2, STREAM_SAMPLING), word j % 4
// Steps are 1-based, epochs 0-based. Each 32-bit word is one draw.
//
// Overflow policy. Poisson batches have a Binomial(n, q) size, but the GPU buffers hold a padded
// maximum m (real examples masked). A batch larger than m is truncated to m examples, a uniformly
// random subset (truncateBatch). The truncated mechanism equals the Poisson one except on the
// overflow event, whose probability per step is at most P[Binomial(n + 1, q) > m] (n + 1: the
// neighbouring dataset under add/remove may hold one example more). Over T steps the two runs
// differ in total variation by at most eta = T * P[overflow], and an (eps, delta)-DP mechanism
// that close to the truncated one makes the latter (eps, delta + (1 + e^eps) * eta)-DP: eta once
// for our dataset's run, e^eps * eta for the neighbour's run that the DP inequality multiplies.
// truncationDelta returns that extra delta. chooseMaxBatch picks m so that the neighbour's per-step
// overflow probability is below a target (default 1e-12): the padding is ~7 standard deviations and the
// extra delta is negligible for any realistic run.
import { philox4x32, STREAM_SAMPLING, type Key } from '../noise/philox';

const WORD_POISSON = 0;
const WORD_TRUNCATE = 1;
const WORD_SHUFFLE = 2;
const TWO32 = 4294967296;

/** Sequential 32-bit draws j = 0, 1, ... of counter (floor(j/4), c1, c2, STREAM_SAMPLING). */
class Draws {
  private block: Uint32Array = new Uint32Array(4);
  private j = 0;
  constructor(
    private readonly key: Key,
    private readonly c1: number,
    private readonly c2: number,
  ) {}
  next(): number {
    const w = this.j & 3;
    if (w === 0)
      this.block = philox4x32(
        Math.floor(this.j / 4) >>> 0,
        this.c1,
        this.c2,
        STREAM_SAMPLING,
        this.key[0],
        this.key[1],
      );
    this.j++;
    return this.block[w];
  }
  /**
   * Uniform in (0, 1) from one whole 32-bit word. Not philox's u01 (24 bits): on its 2^-24 grid
   * the probability of each gap length, hence e.g. the first example's inclusion probability,
   * is off by up to 2^-24 ~ 6e-8 absolute, 6% of q at q = 1e-6; with 32 bits it is off by at
   * most 2^-32 ~ 2.3e-10, negligible for the sampling rates the lab uses (q >> 1e-8).
   */
  uniform(): number {
    return (this.next() + 0.5) / TWO32;
  }
  /** Exactly uniform integer in [0, range), range <= 2^32, by rejection (no modulo bias). */
  int(range: number): number {
    const limit = TWO32 - (TWO32 % range);
    for (;;) {
      const w = this.next();
      if (w < limit) return w % range;
    }
  }
}

function checkStep(step: number, name = 'step'): void {
  if (!(Number.isInteger(step) && step >= 1 && step < TWO32))
    throw new RangeError(`${name} must be an integer in [1, 2^32) (got ${step})`);
}
function checkN(n: number): void {
  if (!(Number.isInteger(n) && n >= 0 && n <= TWO32))
    throw new RangeError(`n must be an integer in [0, 2^32] (got ${n})`);
}
function checkQ(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1] (got ${q})`);
}

/**
 * Poisson sampling for step `step` (1-based): each of examples 0..n-1 independently with
 * probability q; sorted ascending. O(expected batch size): the gaps between selected examples
 * are geometric, skip = floor(log(u) / log1p(-q)) (P[skip >= k] = (1 - q)^k), one draw each.
 */
export function poissonBatch(key: Key, step: number, n: number, q: number): Uint32Array {
  checkStep(step);
  checkN(n);
  checkQ(q);
  if (q === 0 || n === 0) return new Uint32Array(0);
  if (q === 1) return Uint32Array.from({ length: n }, (_, i) => i);
  const d = new Draws(key, step, WORD_POISSON);
  const logNot = Math.log1p(-q);
  const out: number[] = [];
  let pos = -1;
  for (;;) {
    pos += Math.floor(Math.log(d.uniform()) / logNot) + 1;
    if (pos >= n) break;
    out.push(pos);
  }
  return Uint32Array.from(out);
}

/**
 * Truncates a batch to at most `max` examples, keeping a uniformly random subset (partial
 * Fisher-Yates on the truncation stream of `step`); sorted ascending. A batch that fits is
 * returned as is.
 */
export function truncateBatch(key: Key, step: number, batch: Uint32Array, max: number): Uint32Array {
  checkStep(step);
  if (!(Number.isInteger(max) && max >= 0)) throw new RangeError(`max must be an integer >= 0 (got ${max})`);
  if (batch.length <= max) return batch;
  const a = batch.slice();
  const d = new Draws(key, step, WORD_TRUNCATE);
  for (let i = 0; i < max; i++) {
    const j = i + d.int(a.length - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, max).sort();
}

// ---------------------------------------------------------------------------------------------
// Binomial tail, for the padded maximum batch and the overflow delta.

const LN_2PI = Math.log(2 * Math.PI);

// stirlerr(k) = log(k!) - (k + 1/2) log k + k - log(2 pi)/2 (Loader 2000), exact-ish for small k.
const STIRLERR_SMALL: number[] = (() => {
  const t = [0];
  let logFact = 0;
  for (let k = 1; k <= 15; k++) {
    logFact += Math.log(k);
    t.push(logFact - (k + 0.5) * Math.log(k) + k - 0.5 * LN_2PI);
  }
  return t;
})();

function stirlerr(k: number): number {
  if (k <= 15) return STIRLERR_SMALL[k];
  const S0 = 1 / 12,
    S1 = 1 / 360,
    S2 = 1 / 1260,
    S3 = 1 / 1680,
    S4 = 1 / 1188;
  const kk = k * k;
  if (k > 500) return (S0 - S1 / kk) / k;
  if (k > 80) return (S0 - (S1 - S2 / kk) / kk) / k;
  if (k > 35) return (S0 - (S1 - (S2 - S3 / kk) / kk) / kk) / k;
  return (S0 - (S1 - (S2 - (S3 - S4 / kk) / kk) / kk) / kk) / k;
}

/** bd0(x, m) = x log(x/m) + m - x, without cancellation when x ~ m (Loader 2000). */
function bd0(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    let s = (x - m) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/** log P[Binomial(n, q) = k], 0 < q < 1, integer 0 <= k <= n; Loader's saddle-point form. */
function binomialLogPmf(n: number, q: number, k: number): number {
  const p1 = 1 - q;
  if (k === 0) return n * Math.log1p(-q);
  if (k === n) return n * Math.log(q);
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(k, n * q) - bd0(n - k, n * p1);
  return lc - 0.5 * (LN_2PI + Math.log(k) + Math.log1p(-k / n));
}

function checkBinomial(n: number, q: number): void {
  if (!(Number.isInteger(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER))
    throw new RangeError(`n must be an integer >= 0 (got ${n})`);
  checkQ(q);
}

/** P[Binomial(n, q) = k]. */
export function binomialPmf(n: number, q: number, k: number): number {
  checkBinomial(n, q);
  if (!Number.isInteger(k) || k < 0 || k > n) return 0;
  if (q === 0) return k === 0 ? 1 : 0;
  if (q === 1) return k === n ? 1 : 0;
  return Math.exp(binomialLogPmf(n, q, k));
}

/**
 * P[Binomial(n, q) > k], accurate to ~1e-13 relative even far in the upper tail (n up to 1e8
 * and beyond): the pmf at the tail's edge from Loader's formula, then the neighbouring terms by
 * their ratio, summed from the edge outwards until they stop mattering. Below the mean it sums
 * the (smaller) lower tail and returns 1 minus it.
 */
export function binomialTail(n: number, q: number, k: number): number {
  checkBinomial(n, q);
  if (Number.isNaN(k)) throw new RangeError('k must be a number');
  const K = Math.floor(k);
  if (K < 0) return 1;
  if (K >= n) return 0;
  if (q === 0) return 0;
  if (q === 1) return 1;
  const odds = q / (1 - q);
  if (K + 1 > n * q) {
    // upper tail: sum_{i > K} pmf(i), terms relative to pmf(K + 1)
    let t = 1,
      s = 1;
    for (let i = K + 1; i < n; i++) {
      const r = ((n - i) / (i + 1)) * odds;
      t *= r;
      s += t;
      if (r < 1 && t < s * 1e-17) break;
    }
    return Math.min(1, Math.exp(binomialLogPmf(n, q, K + 1)) * s);
  }
  // lower tail: sum_{i <= K} pmf(i), terms relative to pmf(K)
  let t = 1,
    s = 1;
  for (let i = K; i > 0; i--) {
    const r = i / (n - i + 1) / odds;
    t *= r;
    s += t;
    if (r < 1 && t < s * 1e-17) break;
  }
  return Math.max(0, 1 - Math.exp(binomialLogPmf(n, q, K)) * s);
}

/**
 * Smallest padded maximum batch m with P[Binomial(n + 1, q) > m] <= tailTarget (at most n + 1):
 * the overflow that truncationDelta charges is the neighbour's, who may hold one example more.
 * At q = 1 (full-batch gradient descent) that is n + 1, one padded slot beyond the data: with m = n
 * the neighbour's batch always overflows and truncation alone spends all of delta.
 */
export function chooseMaxBatch(n: number, q: number, tailTarget = 1e-12): number {
  checkBinomial(n, q);
  if (!(tailTarget > 0 && tailTarget < 1)) throw new RangeError(`tailTarget must be in (0, 1) (got ${tailTarget})`);
  // binomialTail is non-increasing in m: bisect on tail(lo) > target >= tail(hi).
  let lo = -1,
    hi = n + 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (binomialTail(n + 1, q, mid) <= tailTarget) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Extra delta from truncating Poisson batches of a dataset of n examples to maxBatch, over
 * `steps` steps, for a run whose Poisson accounting gives `epsilon`:
 * (1 + e^epsilon) * steps * P[Binomial(n + 1, q) > maxBatch], capped at 1 (see the overflow
 * policy at the top of this file). Report delta_rdp + this as the run's delta.
 */
export function truncationDelta(n: number, q: number, maxBatch: number, steps: number, epsilon: number): number {
  checkBinomial(n, q);
  if (!(Number.isInteger(maxBatch) && maxBatch >= 0))
    throw new RangeError(`maxBatch must be an integer >= 0 (got ${maxBatch})`);
  if (!(Number.isInteger(steps) && steps >= 0)) throw new RangeError(`steps must be an integer >= 0 (got ${steps})`);
  if (!(epsilon >= 0))
    throw new RangeError(
      `truncationDelta needs the run's epsilon (got ${epsilon}): the overflow costs (1 + e^epsilon) * steps * P[overflow] of delta`,
    );
  const eta = steps * binomialTail(n + 1, q, maxBatch);
  if (eta === 0) return 0;
  return Math.min(1, (1 + Math.exp(epsilon)) * eta);
}

// ---------------------------------------------------------------------------------------------
// Shuffling (fixed-size batches)

/** The shuffle caveat, naming the accountant in use (PRV or RDP; both assume Poisson sampling). */
export function shuffleWarning(accountant?: 'prv' | 'rdp'): string {
  const who = accountant ? `the ${accountant.toUpperCase()} accountant's` : "the accountant's";
  return (
    'shuffle sampling (fixed-size batches from a per-epoch permutation) does not match ' +
    `${who} assumption of Poisson sampling: the reported epsilon is not a guarantee for it`
  );
}

/** The caveat where the accountant is not known (a tooltip); it names neither. */
export const SHUFFLE_WARNING = shuffleWarning();

// The permutation of an epoch costs O(n); consecutive steps reuse it (two entries: a batch can
// straddle two epochs).
const permCache: { k0: number; k1: number; n: number; epoch: number; perm: Uint32Array }[] = [];

function epochPermutation(key: Key, epoch: number, n: number): Uint32Array {
  const hit = permCache.find((c) => c.k0 === key[0] && c.k1 === key[1] && c.n === n && c.epoch === epoch);
  if (hit) return hit.perm;
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const d = new Draws(key, epoch, WORD_SHUFFLE);
  for (let i = n - 1; i > 0; i--) {
    const j = d.int(i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  permCache.push({ k0: key[0], k1: key[1], n, epoch, perm });
  if (permCache.length > 2) permCache.shift();
  return perm;
}

/**
 * Fixed-size batch for step `step` (1-based) from per-epoch random permutations: the steps read
 * the concatenation perm_0, perm_1, ... batchSize at a time, so epoch = floor((step-1)*batchSize/n).
 * A batch straddling two epochs takes the rest of one permutation and the head of the next,
 * skipping examples it already holds (never twice in one batch). Sorted ascending.
 * See SHUFFLE_WARNING: the accountant does not cover this sampling.
 */
export function shuffleBatch(key: Key, step: number, n: number, batchSize: number): Uint32Array {
  checkStep(step);
  checkN(n);
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= n))
    throw new RangeError(`batchSize must be an integer in [1, n] (got ${batchSize}, n = ${n})`);
  const start = (step - 1) * batchSize;
  if (!Number.isSafeInteger(start + batchSize)) throw new RangeError('step * batchSize is too large');
  const epoch = Math.floor(start / n);
  if (epoch >= TWO32) throw new RangeError('epoch index exceeds 2^32');
  const offset = start - epoch * n;
  const perm = epochPermutation(key, epoch, n);
  if (offset + batchSize <= n) return perm.slice(offset, offset + batchSize).sort();
  const out = new Uint32Array(batchSize);
  out.set(perm.subarray(offset));
  let filled = n - offset;
  const held = new Set(out.subarray(0, filled));
  const next = epochPermutation(key, epoch + 1, n);
  for (let i = 0; filled < batchSize; i++) if (!held.has(next[i])) out[filled++] = next[i];
  return out.sort();
}
