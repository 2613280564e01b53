import { describe, it, expect } from 'vitest';
import { philox4x32, seedToKey, STREAM_SAMPLING } from '../../src/noise/philox';
import {
  binomialPmf,
  binomialTail,
  chooseMaxBatch,
  poissonBatch,
  SHUFFLE_WARNING,
  shuffleBatch,
  truncateBatch,
  truncationDelta,
} from '../../src/privacy/sampling';

const key = seedToKey(20240229n);

// Upper critical values at p = 1e-6 (scipy.stats.chi2.ppf(1 - 1e-6, df), SciPy 1.17.1): with a
// fixed seed the tests are deterministic, and a correct sampler would fail them only for one
// seed in a million.
const CHI2_CRIT_1E6: Record<number, number> = { 9: 44.81093787062026, 30: 82.044143136957, 1000: 1227.152421187278 };

/** Exact-ish brute force: P[Bin(n,q) = k] by direct products (small n only). */
function brutePmf(n: number, q: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c * q ** k * (1 - q) ** (n - k);
}

describe('poissonBatch', () => {
  it('batch sizes follow Binomial(n, q): chi-square goodness of fit over 20000 steps', () => {
    const n = 1000,
      q = 0.05,
      steps = 20000;
    // bins: <= 35, 36..64 one by one, >= 65 (every expected count >= 280)
    const observed = new Array<number>(31).fill(0);
    const bin = (k: number) => (k <= 35 ? 0 : k >= 65 ? 30 : k - 35);
    const perExample = new Array<number>(n).fill(0);
    for (let s = 1; s <= steps; s++) {
      const b = poissonBatch(key, s, n, q);
      observed[bin(b.length)]++;
      for (const i of b) perExample[i]++;
    }
    const expected = new Array<number>(31).fill(0);
    expected[0] = (1 - binomialTail(n, q, 35)) * steps;
    for (let k = 36; k <= 64; k++) expected[k - 35] = binomialPmf(n, q, k) * steps;
    expected[30] = binomialTail(n, q, 64) * steps;
    expect(expected.reduce((a, b) => a + b, 0)).toBeCloseTo(steps, 6);
    const chi2 = observed.reduce((acc, o, i) => acc + (o - expected[i]) ** 2 / expected[i], 0);
    expect(chi2).toBeLessThan(CHI2_CRIT_1E6[30]);

    // Each example's membership count ~ Binomial(steps, q): mean frequency ~ q, and the
    // standardised counts sum to ~ chi-square(n).
    const mean = perExample.reduce((a, b) => a + b, 0) / (n * steps);
    expect(Math.abs(mean - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / (n * steps)));
    const v = steps * q * (1 - q);
    const z2 = perExample.reduce((acc, c) => acc + (c - steps * q) ** 2 / v, 0);
    expect(z2).toBeLessThan(CHI2_CRIT_1E6[1000]);
    for (const c of perExample) expect(Math.abs(c - steps * q)).toBeLessThan(6.5 * Math.sqrt(v));
  });

  it('small q over a large dataset: mean batch size ~ n q', () => {
    const n = 2_000_000,
      q = 5e-5,
      steps = 2000;
    let total = 0,
      ordered = true;
    for (let s = 1; s <= steps; s++) {
      const b = poissonBatch(key, s, n, q);
      for (let i = 1; i < b.length; i++) ordered &&= b[i] > b[i - 1];
      if (b.length) ordered &&= b[b.length - 1] < n;
      total += b.length;
    }
    expect(ordered).toBe(true);
    const sd = Math.sqrt(steps * n * q * (1 - q));
    expect(Math.abs(total - steps * n * q)).toBeLessThan(5 * sd);
  });

  it('is reproducible from the seed, and follows the documented counter layout', () => {
    const a = poissonBatch(key, 7, 100000, 0.01);
    expect(poissonBatch(key, 7, 100000, 0.01)).toEqual(a);
    expect(poissonBatch(key, 8, 100000, 0.01)).not.toEqual(a);
    expect(poissonBatch(seedToKey(1n), 7, 100000, 0.01)).not.toEqual(a);
    // draw j = 0 is word 0 of counter (0, step, 0, STREAM_SAMPLING): the first index is its skip
    const w = philox4x32(0, 7, 0, STREAM_SAMPLING, key[0], key[1]);
    const skip0 = Math.floor(Math.log((w[0] + 0.5) / 2 ** 32) / Math.log1p(-0.01));
    expect(a[0]).toBe(skip0);
    const skip1 = Math.floor(Math.log((w[1] + 0.5) / 2 ** 32) / Math.log1p(-0.01));
    expect(a[1]).toBe(skip0 + skip1 + 1);
  });

  it('q = 1 takes everyone, q = 0 no one', () => {
    expect(Array.from(poissonBatch(key, 1, 5, 1))).toEqual([0, 1, 2, 3, 4]);
    expect(poissonBatch(key, 1, 5, 0)).toHaveLength(0);
    expect(poissonBatch(key, 1, 0, 0.5)).toHaveLength(0);
    expect(() => poissonBatch(key, 0, 5, 0.5)).toThrow(/step/);
    expect(() => poissonBatch(key, 1, 5, 1.5)).toThrow(/q/);
  });
});

describe('truncateBatch', () => {
  it('keeps exactly max examples, a sorted subset, reproducibly; small batches pass through', () => {
    const batch = poissonBatch(key, 3, 10000, 0.05);
    const t = truncateBatch(key, 3, batch, 300);
    expect(t).toHaveLength(300);
    const all = new Set(batch);
    for (let i = 0; i < t.length; i++) {
      expect(all.has(t[i])).toBe(true);
      if (i) expect(t[i]).toBeGreaterThan(t[i - 1]);
    }
    expect(truncateBatch(key, 3, batch, 300)).toEqual(t);
    expect(truncateBatch(key, 4, batch, 300)).not.toEqual(t);
    expect(truncateBatch(key, 3, batch, batch.length)).toEqual(batch);
    expect(truncateBatch(key, 3, batch, 0)).toHaveLength(0);
  });

  it('keeps a uniformly random subset (chi-square over positions)', () => {
    const batch = Uint32Array.from({ length: 10 }, (_, i) => 100 + i);
    const counts = new Array<number>(10).fill(0);
    const steps = 20000;
    for (let s = 1; s <= steps; s++) for (const i of truncateBatch(key, s, batch, 3)) counts[i - 100]++;
    const e = (steps * 3) / 10;
    // the counts of a fixed-size subset are negatively correlated, which only shrinks the
    // statistic, so the chi-square(9) bound stays valid
    const chi2 = counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(CHI2_CRIT_1E6[9]);
  });
});

describe('binomialTail', () => {
  it('matches a brute-force sum for small n', () => {
    for (const n of [1, 2, 7, 20, 60])
      for (const q of [1e-3, 0.05, 0.3, 0.5, 0.9, 0.999])
        for (let k = -1; k <= n; k++) {
          let want = 0;
          for (let i = k + 1; i <= n; i++) if (i >= 0) want += brutePmf(n, q, i);
          const got = binomialTail(n, q, k);
          if (want < 1e-280) expect(got).toBeLessThan(1e-270);
          else expect(Math.abs(got - want) / want).toBeLessThan(1e-11);
          if (k >= 0)
            expect(Math.abs(binomialPmf(n, q, k) - brutePmf(n, q, k))).toBeLessThanOrEqual(
              1e-12 * brutePmf(n, q, k) + 1e-300,
            );
        }
  });

  it('matches SciPy (binom.sf) for large n, deep in the tail', () => {
    // scipy.stats.binom.sf(k, n, q), SciPy 1.17.1
    const ref: [number, number, number, number][] = [
      [1e8, 1e-3, 103000, 1.746024571590892e-21],
      [1e8, 0.5, 50040000, 6.215889120225561e-16],
      [1000, 0.05, 80, 2.0487436910131608e-5],
      [1e6, 1e-3, 1200, 3.8057470694493895e-10],
      [1e8, 1e-5, 1000, 0.4915906328313905],
      [1e8, 1e-3, 99000, 0.9992299924538752],
    ];
    for (const [n, q, k, want] of ref) expect(Math.abs(binomialTail(n, q, k) - want) / want).toBeLessThan(1e-11);
  });

  it('edge cases', () => {
    expect(binomialTail(10, 0.3, -1)).toBe(1);
    expect(binomialTail(10, 0.3, 10)).toBe(0);
    expect(binomialTail(10, 0, 0)).toBe(0);
    expect(binomialTail(10, 1, 9)).toBe(1);
    expect(binomialTail(0, 0.5, 0)).toBe(0);
  });
});

describe('chooseMaxBatch and truncationDelta', () => {
  it('picks the smallest m with tail <= target', () => {
    for (const [n, q, target] of [
      [1e6, 1e-3, 1e-12],
      [60000, 256 / 60000, 1e-12],
      [4.5e7, 2048 / 4.5e7, 1e-15],
      [1000, 0.05, 1e-6],
    ]) {
      const m = chooseMaxBatch(n, q, target);
      // the neighbour's overflow, the one truncationDelta charges (n + 1 examples)
      expect(binomialTail(n + 1, q, m)).toBeLessThanOrEqual(target);
      expect(binomialTail(n + 1, q, m - 1)).toBeGreaterThan(target);
    }
    expect(chooseMaxBatch(1e6, 1e-3)).toBe(chooseMaxBatch(1e6, 1e-3, 1e-12));
    // full batch: one slot beyond the data, so that the neighbour's batch never overflows
    expect(chooseMaxBatch(100, 1)).toBe(101);
    expect(truncationDelta(100, 1, chooseMaxBatch(100, 1), 1000, 8)).toBe(0);
    expect(chooseMaxBatch(100, 0)).toBe(0);
    expect(chooseMaxBatch(10, 0.99, 1e-12)).toBeLessThanOrEqual(11);
  });

  it('truncationDelta = (1 + e^eps) * steps * P[Bin(n+1, q) > maxBatch], capped at 1', () => {
    const n = 1e6,
      q = 1e-3,
      m = chooseMaxBatch(n, q),
      steps = 10000;
    const d = truncationDelta(n, q, m, steps, 2);
    expect(d).toBeCloseTo((1 + Math.exp(2)) * steps * binomialTail(n + 1, q, m), 20);
    expect(d).toBeLessThan(1e-6);
    expect(truncationDelta(n, q, n, steps, 2)).toBe(0);
    expect(truncationDelta(n, q, 0, steps, 2)).toBe(1);
    // the epsilon is required: without it the extra delta is not known
    expect(() => (truncationDelta as unknown as (...a: number[]) => number)(n, q, m, steps)).toThrow(/epsilon/);
  });
});

describe('shuffleBatch', () => {
  it('partitions each epoch into fixed-size batches; reproducible; warns', () => {
    expect(SHUFFLE_WARNING).toMatch(/not.*Poisson|Poisson.*not/i);
    const n = 1000,
      B = 100;
    for (const epoch of [0, 1]) {
      const seen = new Set<number>();
      for (let s = epoch * 10 + 1; s <= epoch * 10 + 10; s++) {
        const b = shuffleBatch(key, s, n, B);
        expect(b).toHaveLength(B);
        for (const i of b) seen.add(i);
      }
      expect(seen.size).toBe(n);
    }
    expect(shuffleBatch(key, 3, n, B)).toEqual(shuffleBatch(key, 3, n, B));
    expect(shuffleBatch(key, 3, n, B)).not.toEqual(shuffleBatch(key, 13, n, B));
  });

  it('a batch straddling two epochs has batchSize distinct examples', () => {
    const n = 10,
      B = 4; // steps 3, 5/6, ... straddle
    for (let s = 1; s <= 50; s++) {
      const b = shuffleBatch(key, s, n, B);
      expect(b).toHaveLength(B);
      expect(new Set(b).size).toBe(B);
    }
    expect(() => shuffleBatch(key, 1, 10, 11)).toThrow(/batchSize/);
  });
});
