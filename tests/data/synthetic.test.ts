// Synthetic click data: Zipf row popularity per table, determinism in the data seed, the held-out
// split, and labels drawn from the planted teacher (with the AUC helper that measures it).
// The data are a pure function of the seed, so no assertion here is flaky; the tolerances are
// still sized from the sample sizes (about 5 standard deviations) so that they mean something.
import { describe, expect, it } from 'vitest';
import { makeConfig, type Config } from '../../src/config/config';
import { auc, makeSynthetic, rankToRow, rowEffect, zipfSampler, type Dataset } from '../../src/data/synthetic';
import { Rng } from '../../src/data/rng';

function cfg(over: Partial<Config>): Config {
  return makeConfig({ batch: 16, evalSize: 0, ...over });
}

/** The Zipf pmf over 0-based ranks: P(k) = (k+1)^-s / sum_j j^-s. */
function rankPmf(R: number, s: number): number[] {
  let Z = 0;
  for (let j = 1; j <= R; j++) Z += j ** -s;
  return Array.from({ length: R }, (_, k) => (k + 1) ** -s / Z);
}

/** Pearson chi-square of counts against probabilities. */
function chiSquare(counts: ArrayLike<number>, probs: number[]): number {
  let N = 0;
  for (let i = 0; i < counts.length; i++) N += counts[i];
  let x2 = 0;
  for (let i = 0; i < probs.length; i++) x2 += (counts[i] - N * probs[i]) ** 2 / (N * probs[i]);
  return x2;
}

/** Upper quantile of chi-square(df) at z standard normal deviations (Wilson–Hilferty). */
function chiSquareBound(df: number, z = 5): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Counts of each row of table t over all bags of a split. */
function rowCounts(d: Dataset, t: number, R: number): Float64Array {
  const c = new Float64Array(R);
  for (const r of d.idx[t]) c[r]++;
  return c;
}

/** The reference AUC by definition: P(score of a positive > score of a negative), ties 1/2. */
function aucPairs(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let num = 0,
    den = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] <= 0.5) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] > 0.5) continue;
      den++;
      num += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return num / den;
}

/** Solves the symmetric positive definite system A x = b (Gaussian elimination, partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

describe('synthetic data: Zipf row popularity per table', () => {
  const R = [50, 64];
  const N = 12_000; // examples
  const L = 8; // draws per example and table: 96 000 draws per table

  for (const s of [1, 1.5]) {
    it(`exponent ${s}: every table follows the Zipf pmf, rank 0 on the row the table's bijection gives`, () => {
      const c = cfg({ tables: R, zipf: s, pooling: L, dense: 1, datasetSize: N, dataSeed: 7 });
      const d = makeSynthetic(c).train;
      for (let t = 0; t < R.length; t++) {
        const counts = rowCounts(d, t, R[t]);
        const map = rankToRow(R[t], c.dataSeed, t);
        const byRank = Array.from({ length: R[t] }, (_, k) => counts[map(k)]);
        const pmf = rankPmf(R[t], s);
        // the whole distribution over ranks
        expect(chiSquare(byRank, pmf)).toBeLessThan(chiSquareBound(R[t] - 1));
        // and, more pointedly, the head: rank 1 over rank 2 (1-based). log(c1/c2) has standard
        // deviation about sqrt(1/c1 + 1/c2) (delta method), so allow 5 of those.
        const ratio = byRank[0] / byRank[1];
        const want = 2 ** s; // Zipf's law at the head, exactly
        expect(pmf[0] / pmf[1]).toBeCloseTo(want, 12);
        const sd = Math.sqrt(1 / byRank[0] + 1 / byRank[1]);
        expect(Math.abs(Math.log(ratio / want))).toBeLessThan(5 * sd);
        // the most popular row really is rank 0, and counts fall with rank over the head
        expect(counts.indexOf(Math.max(...counts))).toBe(map(0));
        for (let k = 0; k < 4; k++) expect(byRank[k]).toBeGreaterThan(byRank[k + 1]);
      }
    });
  }

  it('the sampler is exact for any table size: head, tail and exponents below 1', () => {
    for (const [R, s] of [
      [3, 2.5],
      [7, 0.5],
      [100_000, 1.3],
      [2 ** 31 - 1, 1.05],
    ] as const) {
      const z = zipfSampler(R, s);
      const rng = new Rng(11);
      const N = 200_000;
      const K = Math.min(R, 12); // ranks 0 .. K-1, then the rest lumped together
      const counts = new Float64Array(K + 1);
      for (let i = 0; i < N; i++) {
        const k = z(() => rng.next());
        expect(Number.isInteger(k) && k >= 0 && k < R).toBe(true);
        counts[Math.min(k, K)]++;
      }
      // the pmf of the first K ranks, the tail's mass by the Euler-Maclaurin sum for huge R
      let Z = 0;
      if (R <= 1e6) for (let j = 1; j <= R; j++) Z += j ** -s;
      else {
        for (let j = 1; j < 1e6; j++) Z += j ** -s;
        Z += (R ** (1 - s) - 1e6 ** (1 - s)) / (1 - s) + (1e6 ** -s + R ** -s) / 2;
      }
      const p = Array.from({ length: K }, (_, k) => (k + 1) ** -s / Z);
      const rest = 1 - p.reduce((a, b) => a + b, 0);
      const probs = rest > 1e-12 ? [...p, rest] : p;
      expect(chiSquare(counts.subarray(0, probs.length), probs), `R ${R}, s ${s}`).toBeLessThan(
        chiSquareBound(probs.length - 1),
      );
    }
  });

  it('exponent 0 is uniform over the rows of each table', () => {
    const c = cfg({ tables: R, zipf: 0, pooling: L, dense: 1, datasetSize: N, dataSeed: 7 });
    const d = makeSynthetic(c).train;
    for (let t = 0; t < R.length; t++) {
      const counts = rowCounts(d, t, R[t]);
      const M = N * L;
      expect(chiSquare(counts, new Array(R[t]).fill(1 / R[t]))).toBeLessThan(chiSquareBound(R[t] - 1));
      // max deviation: each count is Binomial(M, 1/R); 5 sd each, with room for R of them
      const sd = Math.sqrt((M * (1 - 1 / R[t])) / R[t]);
      for (const x of counts) expect(Math.abs(x - M / R[t])).toBeLessThan(5 * sd);
    }
  });

  it('rank-to-row maps are bijections, and differ between tables of the same size', () => {
    for (const R of [1, 2, 7, 64, 1000, 4096, 65_537]) {
      for (const t of [0, 1, 5]) {
        const map = rankToRow(R, 42, t);
        const seen = new Uint8Array(R);
        let inRange = true;
        for (let k = 0; k < R; k++) {
          const r = map(k);
          if (!(Number.isInteger(r) && r >= 0 && r < R)) inRange = false;
          else seen[r]++;
        }
        expect(inRange).toBe(true);
        expect(seen.every((v) => v === 1)).toBe(true);
      }
    }
    const a = rankToRow(1000, 42, 0),
      b = rankToRow(1000, 42, 1);
    expect([0, 1, 2, 3].map(a)).not.toEqual([0, 1, 2, 3].map(b));
    // near the top of the allowed range (2^31 rows) the modular product stays exact
    const big = 2 ** 31;
    const m = rankToRow(big, 42, 3);
    for (const k of [0, 1, big - 1, big - 2, 123_456_789]) {
      const r = m(k);
      expect(Number.isInteger(r) && r >= 0 && r < big).toBe(true);
    }
    expect(m(big - 1)).not.toBe(m(big - 2));
    // exactly affine, r = (rank A + off) mod R, with no rounding of the 62-bit product
    const [m0, m1, B] = [BigInt(m(0)), BigInt(m(1)), BigInt(big)];
    for (const k of [2, 3, 1_000_003, big - 1, big - 2, 2_147_000_000]) {
      const want = (m0 + BigInt(k) * (m1 - m0 + B)) % B;
      expect(BigInt(m(k))).toBe(want);
    }
  });
});

describe('synthetic data: determinism in the data seed', () => {
  const base = { tables: [500, 300], zipf: 1.05, pooling: 3, dense: 5, datasetSize: 400, evalSize: 100 };

  it('the same seed gives identical indices, dense features, labels and probabilities', () => {
    const a = makeSynthetic(cfg({ ...base, dataSeed: 11 }));
    const b = makeSynthetic(cfg({ ...base, dataSeed: 11 }));
    for (const k of ['train', 'eval'] as const) {
      expect(b[k].dense).toEqual(a[k].dense);
      expect(b[k].labels).toEqual(a[k].labels);
      expect(b[k].prob).toEqual(a[k].prob);
      for (let t = 0; t < 2; t++) expect(b[k].idx[t]).toEqual(a[k].idx[t]);
    }
    expect(b.rows).toEqual([500, 300]);
  });

  it('a different seed gives different data', () => {
    const a = makeSynthetic(cfg({ ...base, dataSeed: 11 }));
    const b = makeSynthetic(cfg({ ...base, dataSeed: 12 }));
    for (const k of ['train', 'eval'] as const) {
      expect(b[k].dense).not.toEqual(a[k].dense);
      expect(b[k].labels).not.toEqual(a[k].labels);
      for (let t = 0; t < 2; t++) expect(b[k].idx[t]).not.toEqual(a[k].idx[t]);
    }
    // and so do the teacher's row effects
    expect(rowEffect(11, 0, 5)).not.toBe(rowEffect(12, 0, 5));
    expect(rowEffect(11, 0, 5)).toBe(rowEffect(11, 0, 5));
  });
});

describe('synthetic data: the held-out split', () => {
  const base = { tables: [2000, 100], zipf: 1.05, pooling: 2, dense: 4, dataSeed: 3 };

  it('has the configured sizes and shapes', () => {
    const d = makeSynthetic(cfg({ ...base, datasetSize: 700, evalSize: 250 }));
    expect(d.source).toBe('synthetic');
    for (const [s, n] of [
      [d.train, 700],
      [d.eval, 250],
    ] as const) {
      expect(s.n).toBe(n);
      expect([s.F, s.T, s.L]).toEqual([4, 2, 2]);
      expect(s.dense.length).toBe(n * 4);
      expect(s.labels.length).toBe(n);
      expect(s.prob!.length).toBe(n);
      expect(s.idx.length).toBe(2);
      for (let t = 0; t < 2; t++) {
        expect(s.idx[t].length).toBe(n * 2);
        expect(s.idx[t].every((r) => r < d.rows[t])).toBe(true);
      }
      expect(s.labels.every((y) => y === 0 || y === 1)).toBe(true);
    }
    const none = makeSynthetic(cfg({ ...base, datasetSize: 50, evalSize: 0 }));
    expect(none.eval.n).toBe(0);
    expect(none.eval.labels.length).toBe(0);
  });

  it('shares no example with the training split', () => {
    const d = makeSynthetic(cfg({ ...base, datasetSize: 3000, evalSize: 1000 }));
    const key = (s: Dataset, i: number) => Array.from(s.dense.subarray(i * s.F, (i + 1) * s.F)).join(',');
    const train = new Set(Array.from({ length: d.train.n }, (_, i) => key(d.train, i)));
    expect(train.size).toBe(d.train.n); // (continuous features: no repeats within a split either)
    for (let i = 0; i < d.eval.n; i++) expect(train.has(key(d.eval, i))).toBe(false);
  });

  it('the training split does not depend on the held-out size, and grows by appending', () => {
    const a = makeSynthetic(cfg({ ...base, datasetSize: 600, evalSize: 0 }));
    const b = makeSynthetic(cfg({ ...base, datasetSize: 600, evalSize: 300 }));
    expect(b.train.dense).toEqual(a.train.dense);
    expect(b.train.labels).toEqual(a.train.labels);
    for (let t = 0; t < 2; t++) expect(b.train.idx[t]).toEqual(a.train.idx[t]);
    const c = makeSynthetic(cfg({ ...base, datasetSize: 900, evalSize: 0 }));
    expect(c.train.dense.subarray(0, 600 * 4)).toEqual(a.train.dense);
    expect(c.train.labels.subarray(0, 600)).toEqual(a.train.labels);
  });

  it('is the same set of examples whatever the training set size', () => {
    const a = makeSynthetic(cfg({ ...base, datasetSize: 300, evalSize: 200 }));
    const b = makeSynthetic(cfg({ ...base, datasetSize: 5000, evalSize: 200 }));
    expect(b.eval.dense).toEqual(a.eval.dense);
    expect(b.eval.labels).toEqual(a.eval.labels);
    for (let t = 0; t < 2; t++) expect(b.eval.idx[t]).toEqual(a.eval.idx[t]);
  });

  it('is drawn independently of, and from the same distribution as, the training split', () => {
    const n = 4000;
    const d = makeSynthetic(cfg({ ...base, datasetSize: n, evalSize: n }));
    const F = 4;
    // example i of the held-out split is uncorrelated with example i of the training split
    // (a copy, shift or reuse of training draws would show): |r| < 5 / sqrt(n F)
    let sxy = 0,
      sxx = 0,
      syy = 0;
    for (let j = 0; j < n * F; j++) {
      sxy += d.train.dense[j] * d.eval.dense[j];
      sxx += d.train.dense[j] ** 2;
      syy += d.eval.dense[j] ** 2;
    }
    expect(Math.abs(sxy / Math.sqrt(sxx * syy))).toBeLessThan(5 / Math.sqrt(n * F));
    // same distribution: dense ~ N(0, 1) in both; click rates agree within 5 sd of a difference
    for (const s of [d.train, d.eval]) {
      let m = 0,
        v = 0;
      for (const x of s.dense) m += x;
      m /= s.dense.length;
      for (const x of s.dense) v += (x - m) ** 2;
      v /= s.dense.length;
      expect(Math.abs(m)).toBeLessThan(5 / Math.sqrt(s.dense.length));
      expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / s.dense.length));
    }
    const rate = (s: Dataset) => s.labels.reduce((a, y) => a + y, 0) / s.n;
    const p = (rate(d.train) + rate(d.eval)) / 2;
    expect(Math.abs(rate(d.train) - rate(d.eval))).toBeLessThan(5 * Math.sqrt((2 * p * (1 - p)) / n));
  });
});

describe('synthetic data: labels from the planted teacher', () => {
  const T = 2,
    L = 3,
    F = 3;
  const c = cfg({
    tables: [300, 80],
    zipf: 1.05,
    pooling: L,
    dense: F,
    datasetSize: 8000,
    evalSize: 4000,
    dataSeed: 5,
  });
  const d = makeSynthetic(c);
  const logit = (p: number) => Math.log(p / (1 - p));
  /** features of the teacher's logit: 1, dense features, sum of the bag's row effects */
  const feats = (s: Dataset, i: number): number[] => {
    let rows = 0;
    for (let t = 0; t < T; t++) for (let l = 0; l < L; l++) rows += rowEffect(c.dataSeed, t, s.idx[t][i * L + l]);
    return [1, ...Array.from(s.dense.subarray(i * F, (i + 1) * F)), rows];
  };
  // float32 probabilities lose the logit near 0 and 1: keep the examples where it is exact enough
  const usable = (p: number) => p > 1e-3 && p < 1 - 1e-3;

  it('the click probability is a sigmoid of one linear teacher (dense + row effects + bias), shared by both splits', () => {
    // fit the teacher's coefficients by least squares on the training split ...
    const K = F + 2;
    const A = Array.from({ length: K }, () => new Array<number>(K).fill(0));
    const b = new Array<number>(K).fill(0);
    for (let i = 0; i < d.train.n; i++) {
      const p = d.train.prob![i];
      if (!usable(p)) continue;
      const x = feats(d.train, i);
      const y = logit(p);
      for (let a = 0; a < K; a++) {
        b[a] += x[a] * y;
        for (let e = 0; e < K; e++) A[a][e] += x[a] * x[e];
      }
    }
    const coef = solve(A, b);
    expect(coef[K - 1]).toBeGreaterThan(0.1); // row effects do move the label
    expect(Math.hypot(...coef.slice(1, K - 1))).toBeGreaterThan(0.1); // and so do dense features
    // ... and it reproduces every held-out logit to float32 precision: same teacher, exact form
    let worst = 0,
      used = 0;
    for (let i = 0; i < d.eval.n; i++) {
      const p = d.eval.prob![i];
      if (!usable(p)) continue;
      used++;
      const x = feats(d.eval, i);
      worst = Math.max(worst, Math.abs(x.reduce((a, v, k) => a + v * coef[k], 0) - logit(p)));
    }
    expect(used).toBeGreaterThan(0.9 * d.eval.n);
    expect(worst).toBeLessThan(1e-3);
  });

  it('labels are Bernoulli(teacher probability): calibrated in every decile', () => {
    const s = d.train;
    const order = Array.from({ length: s.n }, (_, i) => i).sort((a, b) => s.prob![a] - s.prob![b]);
    for (let q = 0; q < 10; q++) {
      const bin = order.slice((q * s.n) / 10, ((q + 1) * s.n) / 10);
      let y = 0,
        p = 0,
        v = 0;
      for (const i of bin) {
        y += s.labels[i];
        p += s.prob![i];
        v += s.prob![i] * (1 - s.prob![i]);
      }
      expect(Math.abs(y - p)).toBeLessThan(5 * Math.sqrt(v) + 1);
    }
  });

  it('the teacher ranks held-out clicks well above chance; a score unrelated to the teacher does not', () => {
    const e = d.eval;
    let pos = 0;
    for (const y of e.labels) pos += y;
    const neg = e.n - pos;
    // the null AUC (score independent of the label) has sd sqrt((pos + neg + 1) / (12 pos neg))
    const sd = Math.sqrt((pos + neg + 1) / (12 * pos * neg));
    expect(auc(e.prob!, e.labels)).toBeGreaterThan(0.5 + 15 * sd);
    // negative control: a score drawn from another seed, unrelated to these labels, is at chance
    const other = makeSynthetic(cfg({ tables: [10], dense: 1, datasetSize: 16, evalSize: e.n, dataSeed: 99 })).eval
      .dense;
    expect(Math.abs(auc(other, e.labels) - 0.5)).toBeLessThan(5 * sd);
    // the teacher's probability is the best score there is: it beats any single dense feature
    expect(auc(e.prob!, e.labels)).toBeGreaterThan(
      auc(
        e.dense.filter((_, j) => j % F === 0),
        e.labels,
      ),
    );
  });
});

describe('auc', () => {
  it('is 1 for perfectly ranked scores, 0 for reversed ones', () => {
    expect(auc([0.1, 0.2, 0.3, 0.4, 0.9], [0, 0, 1, 1, 1])).toBe(1);
    expect(auc([0.9, 0.3, 0.2, 0.1, 0.05], [0, 0, 1, 1, 1])).toBe(0);
    expect(auc([3, -1, 2, 0], [1, 0, 1, 0])).toBe(1); // input order does not matter
  });

  it('is 1/2 when every score ties', () => {
    expect(auc([0.7, 0.7, 0.7, 0.7, 0.7], [1, 0, 1, 0, 0])).toBe(0.5);
  });

  it('matches small examples worked by hand', () => {
    // positives 0.35 and 0.8 against negatives 0.1 and 0.4: 0.35 beats one, 0.8 beats both: 3/4
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    // ties count one half (average rank): positives {2, 3} vs negatives {1, 2}:
    // 2>1, 2=2 (1/2), 3>1, 3>2 -> 3.5 / 4
    expect(auc([1, 2, 2, 3], [0, 1, 0, 1])).toBe(0.875);
    // one positive tied with two of three negatives, above the third: (1 + 1/2 + 1/2) / 3
    expect(auc([5, 5, 5, 1], [1, 0, 0, 0])).toBeCloseTo(2 / 3, 15);
  });

  it('equals the pairwise definition on random scores with many ties', () => {
    let x = 12345;
    const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(rand() * 60);
      const scores = Array.from({ length: n }, () => Math.floor(rand() * 6) / 2); // heavy ties
      const labels = Array.from({ length: n }, () => (rand() < 0.4 ? 1 : 0));
      if (!labels.includes(1) || !labels.includes(0)) continue;
      expect(auc(scores, labels)).toBeCloseTo(aucPairs(scores, labels), 12);
    }
  });

  it('is NaN when any score is NaN (a diverged model has no ranking)', () => {
    expect(auc([NaN, NaN, NaN, NaN], [1, 0, 1, 0])).toBeNaN();
    expect(auc([0.1, NaN, 0.9], [1, 0, 0])).toBeNaN();
  });

  it('is 1/2 by convention when only one class is present', () => {
    expect(auc([0.1, 0.5, 0.9], [1, 1, 1])).toBe(0.5);
    expect(auc([0.1, 0.5, 0.9], [0, 0, 0])).toBe(0.5);
  });
});
