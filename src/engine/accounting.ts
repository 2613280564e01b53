// The privacy a run spends, from its configuration: sigma (calibrated to targetEpsilon when set)
// and epsilon after any number of steps, with the delta share that truncating overflowing
// Poisson batches costs, by the configured accountant (src/privacy/accountants). Used by the trainer, the
// exported metadata and the lab's preview.
import { type Config, ConfigError, isPrivate } from '../config/config';
import { algorithmOf, stepNoiseMultiplier, type Algorithm } from '../algorithms';
import { maxBatchFor } from './batch';
import {
  type Accountant,
  accountantNamed,
  calibrateWith,
  type Mechanism,
  type PlannedAccount,
} from '../privacy/accountants';
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
    const acc = accountantNamed(c.accountant);
    const q = c.batch / c.datasetSize;
    // the same reserve epsilonAfter makes, from the truncation delta at the target (an upper bound)
    const delta = c.delta - 2 * truncDelta(c, c.steps, c.targetEpsilon);
    if (!(delta > 0))
      throw new ConfigError(
        'targetEpsilon',
        `batch truncation alone spends delta ${c.delta}; raise delta or lower targetEpsilon`,
      );
    try {
      const alg = algorithmOf(c);
      // the gradient's sigma is calibrated; the algorithm's other releases stay as configured
      const mechanismsAt = (sigma: number) =>
        runMechanisms(q, stepNoiseMultiplier(alg, sigma, c), c.steps, releasedBefore(c));
      return calibrateWith(acc, { targetEpsilon: c.targetEpsilon, delta, mechanismsAt });
    } catch (e) {
      throw new ConfigError('targetEpsilon', (e as Error).message + ownReleasesNote(c));
    }
  }
  return c.sigma;
}

/**
 * Why a target may be out of reach whatever the gradient's sigma: the algorithm's own releases
 * (DP-AdaFEST's noisy counts, DP-FEST's histogram) spend epsilon by themselves. Names the keys.
 */
function ownReleasesNote(c: Config): string {
  const own = algorithmOf(c).configKeys.filter((key) => /sigma/i.test(key));
  if (!own.length) return '';
  const floor = epsilonAfter(c, 1e6, c.steps) ?? 0;
  const keys = own.map((key) => `${key} ${String(c[key as keyof Config])}`).join(', ');
  const spent = Number.isFinite(floor) ? `epsilon ${floor.toFixed(3)}` : 'more than any finite epsilon';
  return `; ${c.algo}'s other releases (${keys}) alone spend ${spent} at any gradient sigma: raise ${own.join(' or ')} or targetEpsilon`;
}

// One plan per run (src/privacy/accountants: for PRV one discretisation per (mechanisms, run
// length, delta), composed for each step count asked): the trainer asks at every log point, the
// reserve loop below at several deltas of the same composition. A small cache: a lab session
// sees a handful of runs.
const plans = new Map<string, PlannedAccount>();

/**
 * What the run releases: at each step, for `steps` steps, one Gaussian on the step's Poisson
 * sample (the algorithm's mechanisms on that sample taken together), after `before`.
 */
export function runMechanisms(q: number, sigma: number, steps: number, before: Mechanism[] = []): Mechanism[] {
  return [...before, { kind: 'poisson-gaussian', q, sigma, steps, sample: 'batch' }];
}

/**
 * The releases before the first step (DP-FEST's histogram): each a Gaussian over the whole data
 * set once, on a sample of its own, composed with the steps'.
 */
export function releasedBefore(c: Config): Mechanism[] {
  const ms = algorithmOf(c).beforeTraining?.(c) ?? [];
  return ms.map((m, i) => ({
    kind: 'poisson-gaussian',
    q: 1,
    sigma: m.noiseMultiplier,
    steps: 1,
    sample: `before-training-${i}`,
  }));
}

/**
 * Epsilon before any step: what the releases before training spent (DP-FEST's histogram, whose
 * selection is in the model from the start), 0 without any; no batch yet, so no truncation.
 */
function epsilonBefore(c: Config): number {
  const before = releasedBefore(c);
  return before.length ? accountantNamed(c.accountant).epsilon(before, c.delta) : 0;
}

function planFor(acc: Accountant, mechanisms: Mechanism[], deltaError: number): PlannedAccount {
  const k = `${acc.name}|${JSON.stringify(mechanisms)}|${deltaError}`;
  const hit = plans.get(k);
  if (hit) return hit;
  if (plans.size >= 2) plans.delete(plans.keys().next().value as string);
  const plan = acc.plan(mechanisms, { deltaError });
  plans.set(k, plan);
  return plan;
}

/**
 * Epsilon at `delta` (upper bound for PRV) of `steps` steps at rate q and noise multiplier
 * sigma, by the config's accountant; an accountant name the registry does not hold throws.
 */
export function accountantEpsilon(c: Config, q: number, sigma: number, steps: number, delta: number): number {
  const acc = accountantNamed(c.accountant);
  const plan = planFor(acc, runMechanisms(q, sigma, Math.max(c.steps, steps), releasedBefore(c)), c.delta / 1000);
  return plan.epsilon(steps, delta);
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
  const sigma = stepNoiseMultiplier(algorithm, noise, c);
  if (steps <= 0) return epsilonBefore(c);
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
  return epsilonAfter(c, sigma, epsilonStep(c, steps));
}

/** The step count whose epsilon epsilonLogged gives at `steps` (where the ε chart draws the point). */
export function epsilonStep(c: Config, steps: number): number {
  if (accountantNamed(c.accountant).cheapPerStep || steps <= 0 || steps >= c.steps) return steps;
  const grid = Math.ceil(c.steps / 24);
  return Math.min(c.steps, Math.ceil(steps / grid) * grid);
}
