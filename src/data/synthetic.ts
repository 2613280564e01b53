// Synthetic click data with a planted teacher, so that loss and AUC mean something:
// - rows of table t are drawn with Zipf-like popularity: a power law x^-s on [1, R+1) floored
//   to ranks, so P(rank k) = integral of x^-s over [k, k+1) ~ (k + 1/2)^-s, Zipf's law in the
//   tail (s = 0: uniform); O(1) inversion for any R. Ranks are mapped to rows by a fixed
//   bijection so popular rows are spread over the table;
// - dense features ~ N(0, 1);
// - label ~ Bernoulli(sigmoid(teacher logit)), teacher logit = w . x + row effects of the bag
//   (beta_t[r] ~ N(0, 1), hashed from (t, r) so huge tables cost no memory) + bias.
// The teacher's own AUC on the held-out split is the ceiling a student can reach.
import type { Config } from '../config/config';
import { Rng } from './rng';
import { normals4, philox4x32 } from '../noise/philox';

export interface Dataset {
  n: number;
  F: number;
  T: number;
  L: number;
  dense: Float32Array; // [n, F]
  idx: Uint32Array[]; // per table [n, L]
  labels: Float32Array; // [n]
  /** teacher's click probability, for the teacher AUC (synthetic data only) */
  prob?: Float32Array;
}

/** A training and a held-out split, whatever their source. */
export interface LabData {
  train: Dataset;
  eval: Dataset;
  rows: number[];
  source: 'synthetic' | 'criteo';
}

export type SyntheticData = LabData;

/** Inverse CDF of a bounded continuous Zipf/Pareto on [1, R+1): a rank in [0, R). */
export function zipfRank(u: number, R: number, s: number): number {
  let x: number;
  if (s === 0) x = 1 + u * R;
  else if (Math.abs(s - 1) < 1e-9) x = Math.exp(u * Math.log(R + 1));
  else {
    const a = 1 - s;
    x = Math.pow(1 + u * (Math.pow(R + 1, a) - 1), 1 / a);
  }
  return Math.min(R - 1, Math.max(0, Math.floor(x) - 1));
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** (a * b) mod m without losing precision for a, b < 2^31. */
function mulmod(a: number, b: number, m: number): number {
  const hi = ((a * (b >>> 16)) % m) * 65536;
  return (hi + a * (b & 0xffff)) % m;
}

/** rank -> row bijection: r = (rank * A + off) mod R with gcd(A, R) = 1. */
export function rankToRow(R: number, seed: number, t: number): (rank: number) => number {
  let A = (0x9e3779b1 + 2 * t * 7919) % R || 1;
  while (gcd(A, R) !== 1) A = (A + 1) % R || 1;
  const off = (seed * 31 + t * 1013) % R;
  return (rank) => (mulmod(rank, A, R) + off) % R;
}

/** Teacher row effect beta_t[r] ~ N(0, 1), a pure function of (dataSeed, t, r). */
export function rowEffect(dataSeed: number, t: number, r: number): number {
  return normals4(philox4x32(r, t, 0, 0x10000000, dataSeed, 0x7eac4e5))[0];
}

export function makeSynthetic(c: Config): SyntheticData {
  const rows = c.tables.slice();
  const rng = new Rng(c.dataSeed);
  const F = c.dense,
    T = rows.length,
    L = c.pooling;
  const w = Array.from({ length: F }, () => rng.normal() / Math.sqrt(F));
  const maps = rows.map((R, t) => rankToRow(R, c.dataSeed, t));
  const make = (n: number, rng: Rng): Dataset => {
    const dense = new Float32Array(n * F);
    const idx = rows.map(() => new Uint32Array(n * L));
    const labels = new Float32Array(n);
    const prob = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let logit = -0.5;
      for (let f = 0; f < F; f++) {
        const x = rng.normal();
        dense[i * F + f] = x;
        logit += 1.5 * w[f] * x;
      }
      for (let t = 0; t < T; t++) {
        for (let l = 0; l < L; l++) {
          const r = maps[t](zipfRank(rng.next(), rows[t], c.zipf));
          idx[t][i * L + l] = r;
          logit += (1.5 / Math.sqrt(T * L)) * rowEffect(c.dataSeed, t, r);
        }
      }
      const p = 1 / (1 + Math.exp(-logit));
      prob[i] = p;
      labels[i] = rng.next() < p ? 1 : 0;
    }
    return { n, F, T, L, dense, idx, labels, prob };
  };
  // the held-out split has its own stream: the same examples whatever datasetSize is, so runs
  // that vary the dataset size (and so q) are scored on one held-out set
  return { train: make(c.datasetSize, rng), eval: make(c.evalSize, new Rng((c.dataSeed ^ 0x5bd1e995) >>> 0)), rows, source: 'synthetic' };
}

/** Area under the ROC curve (ties count one half). */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0,
    rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (labels[order[k]] > 0.5) {
      pos++;
      rankSum += avgRank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return 0.5;
  // a diverged model (NaN scores) has no ranking: say so rather than report a plausible number
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
