// The mechanisms of the sparsity-preserving algorithms (Ghazi et al., NeurIPS 2023, arXiv
// 2311.08357; docs/algorithms-fest.md), for the accountants of ./accountants:
//  - dp-adafest: per step, on the step's Poisson sample, the noisy contribution map (noise
//    multiplier sigma1) and the noisy gradient of the selected rows (sigma2). Both name the sample
//    'batch', so the accountants take them as one Gaussian at sigma_eff = (sigma1^-2 + sigma2^-2)^-1/2
//    (DESIGN §14).
//  - dp-fest: one Gaussian histogram of row counts over the whole data set before training (q = 1,
//    one step, a sample of its own), then DP-SGD's steps on the selected rows. With a public prior
//    the histogram is not released: epsilon covers the training only.
//  - dp-adafest-plus: both (DP-FEST's preselection, then DP-AdaFEST).
import { type Accountant, calibrateWith, type Mechanism } from './accountants';
import { erfcNonNegative } from './rdp';

/** The sample every training step's mechanisms share. */
export const STEP_SAMPLE = 'batch';
/** DP-FEST's histogram: the whole data set once, independent of the steps' samples. */
export const HISTOGRAM_SAMPLE = 'fest-histogram';

export interface TrainingRun {
  /** Poisson sampling rate */
  q: number;
  steps: number;
  /** noise multiplier of the gradient (sigma2 of the paper; DP-SGD's sigma) */
  sigma: number;
}

/** How DP-FEST chose its rows: a private histogram at noise multiplier `sigma`, or a public prior. */
export type FestSelection = { kind: 'histogram'; sigma: number } | { kind: 'public' };

const gaussian = (q: number, sigma: number, steps: number, sample: string): Mechanism => ({
  kind: 'poisson-gaussian',
  q,
  sigma,
  steps,
  sample,
});

function checkSigma(name: string, s: number): void {
  if (!(s > 0)) throw new RangeError(`${name} must be > 0 (got ${s}); Infinity means no release`);
}

/** DP-AdaFEST's two Gaussians per step on the step's sample; selectionSigma is sigma1. */
export function adafestMechanisms(run: TrainingRun, selectionSigma: number): Mechanism[] {
  checkSigma('the selection noise multiplier (sigma1)', selectionSigma);
  checkSigma('the gradient noise multiplier (sigma2)', run.sigma);
  return [gaussian(run.q, selectionSigma, run.steps, STEP_SAMPLE), gaussian(run.q, run.sigma, run.steps, STEP_SAMPLE)];
}

/** DP-FEST's histogram (one Gaussian over the whole data set), or nothing for a public prior. */
export function festSelectionMechanisms(selection: FestSelection): Mechanism[] {
  if (selection.kind === 'public') return [];
  checkSigma('the histogram noise multiplier', selection.sigma);
  return [gaussian(1, selection.sigma, 1, HISTOGRAM_SAMPLE)];
}

/** DP-FEST: the selection (if private), then DP-SGD's steps on the selected rows. */
export function festMechanisms(run: TrainingRun, selection: FestSelection): Mechanism[] {
  checkSigma('the gradient noise multiplier (sigma)', run.sigma);
  return [...festSelectionMechanisms(selection), gaussian(run.q, run.sigma, run.steps, STEP_SAMPLE)];
}

/** DP-AdaFEST+: DP-FEST's preselection, then DP-AdaFEST's steps. */
export function adafestPlusMechanisms(run: TrainingRun, selectionSigma: number, selection: FestSelection): Mechanism[] {
  return [...festSelectionMechanisms(selection), ...adafestMechanisms(run, selectionSigma)];
}

/** sigma1 for calibration: a fixed value, or a ratio sigma1 / sigma2 that scales with sigma2. */
export type SelectionNoise = { sigma1: number } | { ratio: number };

export interface AdafestCalibration {
  targetEpsilon: number;
  delta: number;
  q: number;
  steps: number;
  selection: SelectionNoise;
  /** relative tolerance on sigma2 (default: the accountant's) */
  tol?: number;
}

const sigma1Of = (s: SelectionNoise, sigma2: number) => ('sigma1' in s ? s.sigma1 : s.ratio * sigma2);

/**
 * The smallest sigma2 whose DP-AdaFEST epsilon meets the target, for a fixed sigma1 or a fixed
 * ratio sigma1 / sigma2 (as the paper's experiments set them). With a fixed sigma1, sigma_eff
 * stays below sigma1 however large sigma2 is: a target that needs more is refused with a message
 * naming sigma1.
 */
export function calibrateAdafestSigma(acc: Accountant, p: AdafestCalibration): number {
  const s = p.selection;
  if ('sigma1' in s) {
    checkSigma('the selection noise multiplier (sigma1)', s.sigma1);
    // sigma2 = Infinity: the map alone, the best any sigma2 can do
    const best = acc.epsilon([gaussian(p.q, s.sigma1, p.steps, STEP_SAMPLE)], p.delta);
    if (!(best < p.targetEpsilon))
      throw new Error(
        `target epsilon ${p.targetEpsilon} is out of reach with selection sigma (sigma1) ${s.sigma1}: ` +
          `the contribution map alone already spends epsilon ${best.toPrecision(6)}; raise the selection sigma`,
      );
  } else if (!(s.ratio > 0 && s.ratio < Infinity))
    throw new RangeError(`the ratio sigma1 / sigma2 must be a finite number > 0 (got ${s.ratio})`);
  const mechanismsAt = (sigma2: number) =>
    adafestMechanisms({ q: p.q, steps: p.steps, sigma: sigma2 }, sigma1Of(s, sigma2));
  return calibrateWith(acc, { targetEpsilon: p.targetEpsilon, delta: p.delta, mechanismsAt, tol: p.tol });
}

/**
 * DP-AdaFEST's expected untouched crossings per step: each untouched row crosses with
 * p = Q(tau / (sigma1 C1)), so a step updates about sum_t R_t p rows the batch did not touch (at
 * most: the touched rows are decided by their own counts). They are the step's cost that grows
 * with the table size (docs/algorithms-fest.md).
 */
export function expectedCrossings(
  rows: readonly number[],
  c: { threshold: number; selectionSigma: number; selectionClip: number },
): { probability: number; perStep: number; rows: number } {
  const probability = crossingProbability(c.threshold, c.selectionSigma * c.selectionClip);
  const total = rows.reduce((a, b) => a + b, 0);
  return { probability, perStep: total * probability, rows: total };
}

/** One line for the CLI: the crossing probability and the expected untouched crossings per step. */
export function crossingsLine(
  rows: readonly number[],
  c: { threshold: number; selectionSigma: number; selectionClip: number },
): string {
  const e = expectedCrossings(rows, c);
  const n = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en') : x.toPrecision(3));
  const small = (x: number) => (x > 0 && x < 1e-3 ? x.toExponential(2) : x.toPrecision(3));
  return (
    `dp-adafest: an untouched row crosses tau = ${c.threshold} with p = Q(tau / (sigma1 C1)) = ` +
    `Q(${c.threshold} / (${c.selectionSigma} * ${c.selectionClip})) = ${small(e.probability)}: ` +
    `about ${n(e.perStep)} untouched rows updated per step (R p over ${e.rows.toLocaleString('en')} rows)`
  );
}

/** Q(x) = P[N(0, 1) > x]. */
export function normalTail(x: number): number {
  if (Number.isNaN(x)) throw new RangeError('normalTail: NaN');
  return x >= 0 ? erfcNonNegative(x / Math.SQRT2) / 2 : 1 - erfcNonNegative(-x / Math.SQRT2) / 2;
}

/** Probability that a row with count 0 crosses tau under noise N(0, noiseStd^2): Q(tau / noiseStd). */
export function crossingProbability(tau: number, noiseStd: number): number {
  if (!(noiseStd > 0)) throw new RangeError(`the count noise sigma1 * C1 must be > 0 (got ${noiseStd})`);
  return normalTail(tau / noiseStd);
}
