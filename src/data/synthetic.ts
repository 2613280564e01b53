// Synthetic click data with a planted teacher, so that loss and AUC mean something:
// - rows of table t are drawn with Zipf popularity P(rank k) = k^-s / sum_j j^-s (1-based k;
//   s = 0: uniform), exact, by rejection-inversion; ranks are mapped to rows by a fixed
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

// log1p(x)/x and expm1(x)/x, continuous through 0
const log1pOverX = (x: number) => (Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x)));
const expm1OverX = (x: number) =>
  Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));

/**
 * A sampler of Zipf ranks in [0, R): P(rank k) = (k+1)^-s / sum_j j^-s exactly (s = 0:
 * uniform), by rejection-inversion (Hörmann & Derflinger 1996, the method of Apache Commons
 * RNG's RejectionInversionZipfSampler): O(1) per draw for any R, one uniform per try, few tries.
 */
export function zipfSampler(R: number, s: number): (next: () => number) => number {
  if (s === 0 || R === 1) return (next) => Math.min(R - 1, Math.floor(next() * R));
  const h = (x: number) => Math.exp(-s * Math.log(x));
  // H(x) = (x^(1-s) - 1) / (1-s), an antiderivative of h; Hinv its inverse
  const H = (x: number) => {
    const lx = Math.log(x);
    return expm1OverX((1 - s) * lx) * lx;
  };
  const Hinv = (x: number) => Math.exp(log1pOverX(Math.max(-1, x * (1 - s))) * x);
  const hx1 = H(1.5) - 1;
  const hN = H(R + 0.5);
  const sv = 2 - Hinv(H(2.5) - h(2));
  return (next) => {
    for (;;) {
      const u = hN + next() * (hx1 - hN);
      const x = Hinv(u);
      const k = Math.min(R, Math.max(1, Math.floor(x + 0.5)));
      if (k - x <= sv || u >= H(k + 0.5) - h(k)) return k - 1;
    }
  };
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
  const zipf = rows.map((R) => zipfSampler(R, c.zipf));
  const make = (n: number, rng: Rng): Dataset => {
    const next = () => rng.next();
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
          const r = maps[t](zipf[t](next));
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
  return {
    train: make(c.datasetSize, rng),
    eval: make(c.evalSize, new Rng((c.dataSeed ^ 0x5bd1e995) >>> 0)),
    rows,
    source: 'synthetic',
  };
}

/** Area under the ROC curve (ties count one half). */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0,
    rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++)
      if (labels[order[k]] > 0.5) {
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
