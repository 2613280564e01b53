// The padded batch the GPU works on, shared by the trainer and the memory estimate.
import { type Config, isPrivate } from '../config/config';
import { computeEpsilon } from '../privacy/rdp';
import { chooseMaxBatch } from '../privacy/sampling';

export function isLazy(c: Config): boolean {
  return c.algo === 'lazydp' || c.algo === 'lazydp-exact';
}

/**
 * State buffers per table value of the dense table optimizer (-1: none, tables take the sparse
 * SGD path): 0 for SGD with weight decay, 1 for momentum, 2 for Adam. Each also needs a dense
 * gradient buffer. Lazy modes refuse these (config.ts).
 */
export function denseTableState(c: Config): -1 | 0 | 1 | 2 {
  if (isLazy(c) || (c.tableOptimizer === 'sgd' && c.weightDecay === 0)) return -1;
  return c.tableOptimizer === 'adam' ? 2 : c.tableOptimizer === 'momentum' ? 1 : 0;
}

const maxBatchCache = new Map<string, number>();

/**
 * Padded batch: exact for shuffle. For Poisson, the smallest maximum whose overflow costs at most
 * 1% of delta over the run, (1 + e^eps) steps P[overflow] <= delta / 100 (see
 * src/privacy/sampling.ts: an overflowing batch is truncated); 1e-6 per step for sgd.
 */
export function maxBatchFor(c: Config): number {
  if (c.sampling === 'shuffle') return c.batch;
  const key = JSON.stringify([c.algo, c.batch, c.datasetSize, c.steps, c.delta, c.sigma, c.targetEpsilon]);
  let m = maxBatchCache.get(key);
  if (m === undefined) {
    const q = c.batch / c.datasetSize;
    let tail = 1e-6;
    if (isPrivate(c)) {
      const eps = c.targetEpsilon > 0 ? c.targetEpsilon : c.sigma > 0 ? computeEpsilon({ q, sigma: c.sigma, steps: c.steps, delta: c.delta }).epsilon : Infinity;
      tail = Math.min(tail, (0.01 * c.delta) / (c.steps * (1 + Math.exp(Math.min(eps, 700)))));
    }
    m = tail > 0 ? chooseMaxBatch(c.datasetSize, q, tail) : c.datasetSize;
    maxBatchCache.set(key, m);
  }
  return m;
}
