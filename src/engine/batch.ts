// Batches: the padded batch the GPU works on (shared by the trainer and the memory estimate),
// sampling each step's examples as the accountant assumes, and assembling them into the
// arrays the GPU reads.
import { type Config, ConfigError, isPrivate } from '../config/config';
import { computeEpsilon } from '../privacy/rdp';
import { algorithm, stepNoiseMultiplier } from '../algorithms';
import { chooseMaxBatch, poissonBatch, shuffleBatch, truncateBatch } from '../privacy/sampling';
import type { LabData } from '../data/synthetic';
import { INVALID_ROW } from '../data/format';
import type { Key } from '../noise/philox';

const maxBatchCache = new Map<string, number>();

/**
 * Padded batch: exact for shuffle. For Poisson, the smallest maximum whose overflow costs at most
 * 1% of delta over the run, (1 + e^eps) steps P[overflow] <= delta / 100 (see
 * src/privacy/sampling.ts: an overflowing batch is truncated); 1e-6 per step for sgd.
 */
export function maxBatchFor(c: Config): number {
  if (c.sampling === 'shuffle') return c.batch;
  // the step's own multiplier (DP-AdaFEST's sigma_eff, below sigma): sized by the gradient's
  // sigma alone, a run given sigma would get a smaller padded batch than it needs
  const stepSigma = isPrivate(c) && c.sigma > 0 ? stepNoiseMultiplier(algorithm(c.algo), c.sigma, c) : 0;
  const key = JSON.stringify([c.algo, c.batch, c.datasetSize, c.steps, c.delta, stepSigma, c.targetEpsilon]);
  let m = maxBatchCache.get(key);
  if (m === undefined) {
    const q = c.batch / c.datasetSize;
    let tail = 1e-6;
    if (isPrivate(c)) {
      const eps =
        c.targetEpsilon > 0
          ? c.targetEpsilon
          : stepSigma > 0
            ? computeEpsilon({ q, sigma: stepSigma, steps: c.steps, delta: c.delta }).epsilon
            : Infinity;
      tail = Math.min(tail, (0.01 * c.delta) / (c.steps * (1 + Math.exp(Math.min(eps, 700)))));
    }
    m = tail > 0 ? chooseMaxBatch(c.datasetSize, q, tail) : c.datasetSize;
    maxBatchCache.set(key, m);
  }
  return m;
}

/** A data set given to the engine must have the shapes the config describes. */
export function checkData(c: Config, d: LabData): void {
  const bad = (key: string, msg: string) => {
    throw new ConfigError(key, `${msg} (data source: ${d.source})`);
  };
  if (d.rows.length !== c.tables.length || d.rows.some((r, i) => r !== c.tables[i]))
    bad('tables', `the data was hashed for tables [${d.rows.join(', ')}], the config has [${c.tables.join(', ')}]`);
  if (d.train.F !== c.dense) bad('dense', `the data has ${d.train.F} dense features, the config ${c.dense}`);
  if (d.train.L !== c.pooling) bad('pooling', `the data has ${d.train.L} indices per bag, the config ${c.pooling}`);
  if (d.train.n !== c.datasetSize)
    bad('datasetSize', `the data has ${d.train.n} training examples, the config ${c.datasetSize}`);
  for (const [name, ds] of [
    ['train', d.train],
    ['eval', d.eval],
  ] as const)
    ds.idx.forEach((a, t) => {
      for (const r of a)
        if (r !== INVALID_ROW && r >= c.tables[t])
          bad('tables', `${name} example refers to row ${r} of table ${t}, which has ${c.tables[t]} rows`);
    });
}

/** A batch given to Trainer.stepOn: at most the padded batch, of training examples. */
export function checkStepBatch(ex: ArrayLike<number>, maxBatch: number, n: number): void {
  if (ex.length > maxBatch)
    throw new RangeError(`stepOn: ${ex.length} examples, more than the padded batch of ${maxBatch}`);
  for (let i = 0; i < ex.length; i++)
    if (!(Number.isInteger(ex[i]) && ex[i] >= 0 && ex[i] < n))
      throw new RangeError(`stepOn: example ${ex[i]} is not one of the ${n} training examples`);
}

/** The examples of each step's batch, drawn from the run's key (Poisson or shuffled). */
export class BatchSampler {
  // steps whose Poisson batch was truncated; a set, since a batch is sampled again after it
  // leaves the cache (tests, the teaching view) and LazyDP samples batch s+1 during step s
  readonly overflowSteps = new Set<number>();
  private cache = new Map<number, Uint32Array>();

  constructor(
    private key: Key,
    private config: Config,
    private maxBatch: number,
  ) {}

  /** Example indices of batch s (1-based), sampled as the accountant assumes (or shuffled). */
  indices(s: number): Uint32Array {
    let b = this.cache.get(s);
    if (!b) {
      const c = this.config;
      if (c.sampling === 'shuffle') b = shuffleBatch(this.key, s, c.datasetSize, c.batch);
      else {
        b = poissonBatch(this.key, s, c.datasetSize, c.batch / c.datasetSize);
        if (b.length > this.maxBatch) {
          this.overflowSteps.add(s);
          b = truncateBatch(this.key, s, b, this.maxBatch);
        }
      }
      this.cache.set(s, b);
      this.cache.delete(s - 2);
    }
    return b;
  }
}

// The padded batch is assembled by `assemble` (CPU) or on the GPU from the resident data set
// (src/kernels/batch-gather.ts holds both; the trainer picks one, see Trainer.batchOnGpu).
export { assemble } from '../kernels/batch-gather';

/** Whether two example-id lists are the same, in order. */
export function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
