// The privacy a run spends, from its configuration: sigma (calibrated to targetEpsilon when set)
// and epsilon after any number of steps, with the delta share that truncating overflowing
// Poisson batches costs, by the configured accountant (PRV or RDP). Used by the trainer, the
// exported metadata and the lab's preview.
import { type Config, ConfigError, isPrivate } from '../config/config';
import { algorithmOf, stepNoiseMultiplier, type Algorithm } from '../algorithms';
import { maxBatchFor } from './batch';
import { computeEpsilon } from '../privacy/rdp';
import { calibrateSigma } from '../privacy/calibrate';
import { type ComposedPrv, PrvPlan } from '../privacy/prv';
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
    if (!(delta > 0))
      throw new ConfigError(
        'targetEpsilon',
        `batch truncation alone spends delta ${c.delta}; raise delta or lower targetEpsilon`,
      );
    try {
      return calibrateSigma({ targetEpsilon: c.targetEpsilon, q, steps: c.steps, delta, accountant: c.accountant });
    } catch (e) {
      throw new ConfigError('targetEpsilon', (e as Error).message);
    }
  }
  return c.sigma;
}

// PRV: one discretisation per (q, sigma, run length, delta), composed for each step count asked
// (src/privacy/prv.ts, PrvPlan): the trainer asks at every log point, the reserve loop below at
// several deltas of the same composition. Small caches: a lab session sees a handful of runs.
const plans = new Map<string, PrvPlan>();
const composed = new Map<string, ComposedPrv>();
function remember<V>(m: Map<string, V>, k: string, v: V, cap: number): V {
  if (m.size >= cap) m.delete(m.keys().next().value as string);
  m.set(k, v);
  return v;
}

function prvComposition(c: Config, q: number, sigma: number, steps: number): ComposedPrv {
  const maxSteps = Math.max(c.steps, steps);
  const pk = `${q}|${sigma}|${maxSteps}|${c.delta}`;
  const ck = `${pk}|${steps}`;
  const hit = composed.get(ck);
  if (hit) return hit;
  const make = () => new PrvPlan([{ q, sigma, steps: maxSteps }], { deltaError: c.delta / 1000 });
  const plan = plans.get(pk) ?? remember(plans, pk, make(), 2);
  return remember(composed, ck, plan.compose([steps]), 8);
}

/** Epsilon at `delta` (upper bound for PRV) of `steps` steps at rate q and noise multiplier sigma. */
export function accountantEpsilon(c: Config, q: number, sigma: number, steps: number, delta: number): number {
  if (c.accountant === 'rdp') return computeEpsilon({ q, sigma, steps, delta }).epsilon;
  let comp: ComposedPrv;
  try {
    comp = prvComposition(c, q, sigma, steps);
  } catch (e) {
    // out of PRV's range (so little noise that even RDP's bound is in the hundreds): no finite epsilon
    if (e instanceof RangeError) return Infinity;
    throw e;
  }
  // the composition was made for delta error c.delta / 1000; far below that it says nothing
  if (!(delta > 2 * comp.deltaError)) return Infinity;
  return comp.epsilon(delta).epsilon;
}

/**
 * Epsilon after `steps` steps at the config's total delta: the accountant's delta plus the
 * truncation delta add up to config.delta. Infinity when sigma is 0. The accountant composes the
 * mechanisms the algorithm declares per step (`algorithm`: tests of the refusal only); a private
 * algorithm that declares none is an error, never a number.
 */
export function epsilonAfter(
  c: Config,
  noise: number,
  steps: number,
  algorithm: Algorithm = algorithmOf(c),
): number | undefined {
  if (!algorithm.private) return undefined;
  const sigma = stepNoiseMultiplier(algorithm, noise);
  if (steps <= 0) return 0;
  if (!(sigma > 0)) return Infinity;
  const q = c.batch / c.datasetSize;
  // The truncation delta grows with epsilon: reserve twice the truncation delta at the plain
  // epsilon (more if needed) and check that the truncation delta at the resulting epsilon fits.
  const eps0 = accountantEpsilon(c, q, sigma, steps, c.delta);
  let reserve = 2 * truncDelta(c, steps, eps0);
  for (let i = 0; i < 30; i++) {
    const rdpDelta = c.delta - reserve;
    if (!(rdpDelta > 0)) return Infinity;
    const eps = accountantEpsilon(c, q, sigma, steps, rdpDelta);
    if (truncDelta(c, steps, eps) <= reserve) return eps;
    reserve *= 2;
  }
  return Infinity;
}

/**
 * Epsilon for a log point during training (the trainer's chart), cheap at every call: with PRV
 * each new step count is a composition (an FFT of up to 2^22 points), so the steps are rounded
 * up to one of 24 points of the run; epsilon grows with steps, so the value is an upper bound
 * for the steps done, and it is exact at the end of the run. RDP is exact at every point.
 */
export function epsilonLogged(c: Config, sigma: number, steps: number): number | undefined {
  if (c.accountant === 'rdp' || steps <= 0 || steps >= c.steps) return epsilonAfter(c, sigma, steps);
  const grid = Math.ceil(c.steps / 24);
  return epsilonAfter(c, sigma, Math.min(c.steps, Math.ceil(steps / grid) * grid));
}
