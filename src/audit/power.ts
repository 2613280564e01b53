// The power audit (`audit --power`, the lab's "power" choice): the audit of a nearly full-batch run
// of the same model, where the final-model score can show the accountant's ε.
//
// Why: the audit scores the final model. A gradient canary's final score is the sum of its noisy
// contributions, which is the optimal (Neyman-Pearson) statistic only when the canary is in every
// step. In a subsampled run (q = 1/128, 300 steps) an "in" canary adds about q·steps ≈ 2.3 units
// against noise of sd σ·√steps, while the accountant's ε comes from the subsampled composition
// whose worst case (an adversary who sees every step) the last iterate hides: the bound stays far
// below the idealised one (0.22 against 2.48 at ε 8; docs/audit.md). With q near 1 every step
// includes the canary, the run is close to the Gaussian mechanism with μ = √steps/σ, and the sum
// score reaches the idealised bound.
//
// Why q = 31/32 and not 1: at q = 1 the padded batch equals the data set, so the neighbouring
// data set's one extra example always overflows it, and the delta of truncating overflowing
// batches (src/privacy/sampling.ts) takes the whole δ. At 31/32 of 1,024 examples that overflow
// has probability about 1e-14, and an "in" canary is in 62 of 64 steps on average.
import type { Config } from '../config/config';

/** The power audit's run: examples, expected batch (q = 31/32), steps; one audit ≈ 20 s on SwiftShader. */
export const POWER_RUN = { datasetSize: 1024, batch: 992, steps: 64 } as const;
/** The ε the power audit calibrates σ to when the configuration asks for none (targetEpsilon 0). */
export const POWER_EPSILON = 8;
/** Below this sampling rate the final-model audit of the plain run cannot reach the accountant's ε. */
export const LOW_Q = 0.5;

/**
 * The configuration the power audit trains: the same model, tables, algorithm, optimiser, lr,
 * clip and δ, on 1,024 examples with q = 31/32 for 64 steps, Poisson-sampled, σ calibrated to the
 * configuration's target ε (POWER_EPSILON when it has none), without held-out evaluations until
 * the end (the audit reads none).
 */
export function powerConfig(c: Config): Config {
  return {
    ...c,
    ...POWER_RUN,
    sampling: 'poisson',
    targetEpsilon: c.targetEpsilon > 0 ? c.targetEpsilon : POWER_EPSILON,
    evalEvery: 0,
    evalSize: Math.min(c.evalSize, 256),
  };
}

/** The config keys the power run sets itself: given with --power, they would be silently replaced. */
export const POWER_KEYS = ['datasetSize', 'batch', 'steps', 'sampling'] as const;

/** The config an audit trains (before its canaries): the given one, or its power run. */
export function auditedConfig(c: Config, power: boolean): Config {
  return power ? powerConfig(c) : c;
}

/** The one line the plain audit adds when its run samples too sparsely to reach its ε; undefined otherwise. */
export function lowPowerNote(c: Config): string | undefined {
  const q = c.batch / c.datasetSize;
  if (q >= LOW_Q) return undefined;
  return (
    `this run samples each example with q = ${q.toPrecision(2)} (q·steps = ${(q * c.steps).toPrecision(3)}): ` +
    "a final-model audit of a subsampled run cannot reach the accountant's epsilon; " +
    '`audit --power` audits a full-batch run of this model that can'
  );
}
