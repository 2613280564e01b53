// DP-AdaFEST's sampled crossings of untouched rows (src/noise/fest.ts) against thresholding dense
// noise: the count per step and the positions, over many steps with a fixed seed.
import { describe, expect, it } from 'vitest';
import { candidatesAmong, crossingCandidates, packCandidates } from '../../src/noise/fest';
import { crossingProbability } from '../../src/privacy/fest';
import { seedToKey } from '../../src/noise/philox';
import { binomialPmf } from '../../src/privacy/sampling';
import { Rng } from '../../src/data/rng';

const key = seedToKey(20231114n);
// scipy.stats.chi2.ppf(1 - 1e-6, df): a correct sampler fails for one seed in a million
const CHI2_CRIT_1E6: Record<number, number> = { 9: 44.81093787062026, 30: 82.044143136957 };

const R = 31; // rows of the table
const tau = 1.5,
  noiseStd = 1.2; // sigma1 * C1
const p = crossingProbability(tau, noiseStd);
const steps = 6000;
const rng = new Rng(7);
/** A fresh touched set per step: 1..10 random rows (so the untouched count U varies). */
const touchedSets = Array.from({ length: steps }, () => {
  const k = 1 + Math.floor(rng.next() * 10);
  const s = new Set<number>();
  while (s.size < k) s.add(Math.floor(rng.next() * R));
  return s;
});

/** The GPU filter's rule on the CPU: candidates the batch touched are dropped. */
const sampled = (step: number, prob = p) =>
  Array.from(crossingCandidates(key, 0, R, step + 1, prob)).filter((r) => !touchedSets[step].has(r));
/** Dense thresholding: every untouched row's noisy count 0 + N(0, noiseStd^2) against tau. */
const denseRng = new Rng(99);
const dense = (step: number) => {
  const out: number[] = [];
  for (let r = 0; r < R; r++) if (!touchedSets[step].has(r) && denseRng.normal() * noiseStd > tau) out.push(r);
  return out;
};

/** Chi-square of counts per step against the mixture of Binomial(U_s, p) over the steps (bins 0..9, >= 9). */
function countChi2(counts: number[]): number {
  const obs = new Array<number>(10).fill(0);
  const exp = new Array<number>(10).fill(0);
  counts.forEach((k, s) => {
    obs[Math.min(k, 9)]++;
    const U = R - touchedSets[s].size;
    let below = 0;
    for (let j = 0; j < 9; j++) {
      const pm = binomialPmf(U, p, j);
      exp[j] += pm;
      below += pm;
    }
    exp[9] += 1 - below;
  });
  return obs.reduce((a, o, i) => a + (o - exp[i]) ** 2 / exp[i], 0);
}

/** Chi-square of each row's crossings against p times the steps it was untouched (df R - 1 = 30). */
function positionChi2(lists: number[][]): number {
  const obs = new Array<number>(R).fill(0);
  const exp = new Array<number>(R).fill(0);
  lists.forEach((l, s) => {
    for (const r of l) obs[r]++;
    for (let r = 0; r < R; r++) if (!touchedSets[s].has(r)) exp[r] += p;
  });
  // conditional on the total, the counts are multinomial: Pearson's statistic with df R - 1
  const total = obs.reduce((a, b) => a + b, 0);
  const scale = total / exp.reduce((a, b) => a + b, 0);
  return obs.reduce((a, o, r) => a + (o - exp[r] * scale) ** 2 / (exp[r] * scale), 0);
}

describe('sampled crossings of untouched rows', () => {
  const lists = touchedSets.map((_, s) => sampled(s));
  const denseLists = touchedSets.map((_, s) => dense(s));

  it('p is Q(tau / (sigma1 C1))', () => {
    expect(p).toBeCloseTo(0.10564977366685535, 12); // scipy.stats.norm.sf(1.25)
    expect(crossingProbability(-1.5, 1.2)).toBeCloseTo(1 - 0.10564977366685535, 12);
  });

  it('never choose a touched row, and are sorted, distinct rows of the table', () => {
    lists.forEach((l, s) => {
      for (const r of l) expect(touchedSets[s].has(r)).toBe(false);
      for (let i = 1; i < l.length; i++) expect(l[i]).toBeGreaterThan(l[i - 1]);
      if (l.length) expect(l[l.length - 1]).toBeLessThan(R);
    });
  });

  it('their number per step is Binomial(untouched, p), as dense thresholding gives (chi-square)', () => {
    expect(countChi2(lists.map((l) => l.length))).toBeLessThan(CHI2_CRIT_1E6[9]);
    expect(countChi2(denseLists.map((l) => l.length))).toBeLessThan(CHI2_CRIT_1E6[9]);
    // the same mean as the dense simulation, within 5 standard errors
    const mean = (ls: number[][]) => ls.reduce((a, l) => a + l.length, 0) / steps;
    const sd = Math.sqrt((R * p) / steps);
    expect(Math.abs(mean(lists) - mean(denseLists))).toBeLessThan(5 * Math.SQRT2 * sd);
  });

  it('their positions are uniform over the untouched rows (chi-square)', () => {
    expect(positionChi2(lists)).toBeLessThan(CHI2_CRIT_1E6[30]);
    expect(positionChi2(denseLists)).toBeLessThan(CHI2_CRIT_1E6[30]);
  });

  it('the tests see a wrong sampler: a 20% larger p fails the count test, a skewed one the positions', () => {
    expect(countChi2(touchedSets.map((_, s) => sampled(s, p * 1.2).length))).toBeGreaterThan(CHI2_CRIT_1E6[9]);
    // drop crossings in the first third of the table half the time: positions no longer uniform
    const skewed = lists.map((l, s) => l.filter((r) => r >= R / 3 || s % 2 === 0));
    expect(positionChi2(skewed)).toBeGreaterThan(CHI2_CRIT_1E6[30]);
  });

  it('are reproducible from the seed and differ by step and table', () => {
    const a = crossingCandidates(key, 3, 1e6, 5, 1e-3);
    expect(crossingCandidates(key, 3, 1e6, 5, 1e-3)).toEqual(a);
    expect(crossingCandidates(key, 3, 1e6, 6, 1e-3)).not.toEqual(a);
    expect(crossingCandidates(key, 4, 1e6, 5, 1e-3)).not.toEqual(a);
    // cost ~ rows * p, not rows: 1e9 rows at p = 1e-7 draw ~100
    expect(Math.abs(crossingCandidates(key, 0, 1e9, 1, 1e-7).length - 100)).toBeLessThan(60);
  });

  it('DP-AdaFEST+: the same draws over a preselected universe, mapped to its rows', () => {
    const universe = Uint32Array.of(4, 9, 17, 23, 40, 41, 77, 90);
    const pos = crossingCandidates(key, 2, universe.length, 3, 0.5);
    expect(pos.length).toBeGreaterThan(0);
    expect(Array.from(candidatesAmong(key, 2, universe, 3, 0.5))).toEqual(Array.from(pos, (j) => universe[j]));
  });

  it('pack per table, refusing to cut a list short', () => {
    const d = packCandidates([Uint32Array.of(1, 5), Uint32Array.of(2)], 3);
    expect(Array.from(d)).toEqual([1, 5, 0xffffffff, 2, 0xffffffff, 0xffffffff]);
    expect(() => packCandidates([Uint32Array.of(1, 5)], 1)).toThrow(/2 slots per table needed, the buffer has 1/);
  });
});
