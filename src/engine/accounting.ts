// The privacy a run spends, from its configuration: sigma (calibrated to targetEpsilon when set)
// and epsilon after any number of steps, with the delta share that truncating overflowing
// Poisson batches costs. Used by the trainer, the exported metadata and the lab's preview.
import { type Config, ConfigError, isPrivate } from '../config/config';
import { maxBatchFor } from './batch';
import { computeEpsilon } from '../privacy/rdp';
import { calibrateSigma } from '../privacy/calibrate';
import { truncationDelta } from '../privacy/sampling';

/**
 * Delta spent on truncating overflowing Poisson batches (see src/privacy/sampling.ts) by a run
 * whose Poisson accounting gives `epsilon`; 0 for shuffled batches.
 */
export function truncDelta(c: Config, steps: number, epsilon: number): number {
  if (c.sampling !== 'poisson') return 0;
  return truncationDelta(c.datasetSize, c.batch / c.datasetSize, maxBatchFor(c), steps, epsilon);
}

/** Sigma after calibration: targetEpsilon > 0 picks the smallest sigma meeting it. */
export function resolveSigma(c: Config): number {
  if (!isPrivate(c)) return 0;
  if (c.targetEpsilon > 0) {
    const q = c.batch / c.datasetSize;
    // the same reserve epsilonAfter makes, from the truncation delta at the target (an upper bound)
    const delta = c.delta - 2 * truncDelta(c, c.steps, c.targetEpsilon);
    if (!(delta > 0)) throw new ConfigError('targetEpsilon', `batch truncation alone spends delta ${c.delta}; raise delta or lower targetEpsilon`);
    return calibrateSigma({ targetEpsilon: c.targetEpsilon, q, steps: c.steps, delta });
  }
  return c.sigma;
}

/**
 * Epsilon after `steps` steps at the config's total delta: the RDP accountant's delta plus the
 * truncation delta add up to config.delta. Infinity when sigma is 0.
 */
export function epsilonAfter(c: Config, sigma: number, steps: number): number | undefined {
  if (!isPrivate(c)) return undefined;
  if (steps <= 0) return 0;
  if (!(sigma > 0)) return Infinity;
  const q = c.batch / c.datasetSize;
  // The truncation delta grows with epsilon: reserve twice the truncation delta at the plain
  // epsilon (more if needed) and check that the truncation delta at the resulting epsilon fits.
  const eps0 = computeEpsilon({ q, sigma, steps, delta: c.delta }).epsilon;
  let reserve = 2 * truncDelta(c, steps, eps0);
  for (let i = 0; i < 30; i++) {
    const rdpDelta = c.delta - reserve;
    if (!(rdpDelta > 0)) return Infinity;
    const eps = computeEpsilon({ q, sigma, steps, delta: rdpDelta }).epsilon;
    if (truncDelta(c, steps, eps) <= reserve) return eps;
    reserve *= 2;
  }
  return Infinity;
}

