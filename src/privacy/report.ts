// What a run's epsilon does and does not cover, in one place for every output (CLI text and
// JSON, the lab, the lab's JSON download, the exported model's metadata). A number without
// these caveats would be read as a guarantee it is not.

import { isPrivate, type Accountant, type Config } from '../config/config';
import { shuffleWarning } from './sampling';

/**
 * 'none': sgd, no privacy (epsilon = infinity).
 * 'rdp-poisson': the RDP accountant for the subsampled Gaussian; a guarantee for this run.
 * 'rdp-poisson-not-guaranteed': the same number, but the run breaks an assumption behind it
 *   (shuffled fixed-size batches, or a fixed seed that lets anyone regenerate the noise).
 * 'prv-poisson', 'prv-poisson-not-guaranteed': the same with the PRV accountant (config.accountant).
 */
export type Accounting = 'none' | `${Accountant}-poisson` | `${Accountant}-poisson-not-guaranteed`;

export interface PrivacyReport {
  accounting: Accounting;
  /** epsilon at `delta` after the steps done; absent for sgd */
  epsilon?: number;
  delta: number;
  /** true only when epsilon is a differential-privacy guarantee for the trained weights */
  guaranteed: boolean;
  /** why epsilon is not a guarantee (empty when it is, or for sgd) */
  reasons: string[];
  /** outputs of the run that epsilon does not cover, and the floating-point caveat */
  notes: string[];
}

export const FIXED_SEED_WARNING =
  'fixed seed: anyone who knows the seed can regenerate the noise and subtract it, so epsilon does not hold against them (reproducible, not private)';

export const TRAINING_STATS_NOTE =
  'training loss and real examples per batch are computed from the training data without noise: they are not covered by epsilon ' +
  '(held-out AUC and loss are computed from the released model and the held-out split, so they add nothing about training examples)';

export const FLOAT_NOTE =
  'the Gaussian noise is Box-Muller from 24-bit uniforms in float32 (discrete, radius capped at about 5.9 sigma); like Opacus and ' +
  'TF Privacy, the accountant assumes ideal real-valued Gaussians';

/** Why an infinite epsilon is no guarantee: sigma 0, or so little noise that the accountant overflows. */
export function noPrivacyReason(sigma: number | undefined): string {
  const what = sigma === undefined ? 'the noise' : sigma > 0 ? `sigma ${sigma}` : 'sigma 0';
  return `epsilon = infinity (∞, no privacy): ${what} ${sigma === 0 ? 'adds no noise' : 'adds too little noise for a finite epsilon'}; raise sigma or set a target epsilon`;
}

/** Why a private run without an epsilon is reported as no guarantee. */
export const EPSILON_MISSING = 'no epsilon was computed for this run: nothing is claimed';

/** True for a private run whose epsilon is known and not finite (sigma 0 or an overflowing accountant). */
export const epsilonInfinite = (epsilon: number | undefined): boolean =>
  epsilon !== undefined && !Number.isFinite(epsilon);

/** Epsilon as people read it: "∞, no privacy" when it is not finite (never "–" or null). */
export function fmtEpsilon(epsilon: number | undefined, digits = 3): string {
  if (epsilon === undefined) return '–';
  if (!Number.isFinite(epsilon)) return '∞, no privacy';
  return Number(epsilon.toPrecision(digits)).toString();
}

/**
 * A JSON.stringify replacer: an infinite epsilon would become `null` (read as "unknown" or "none");
 * it is written as the string "Infinity" instead.
 */
export function jsonInfinity(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) && !Number.isNaN(value)
    ? value > 0
      ? 'Infinity'
      : '-Infinity'
    : value;
}

export function privacyReport(
  c: Config,
  opts: { epsilon?: number; seedFixed: boolean; sigma?: number },
): PrivacyReport {
  if (!isPrivate(c))
    return {
      accounting: 'none',
      delta: c.delta,
      guaranteed: false,
      reasons: ['sgd adds no noise: not private (epsilon = infinity)'],
      notes: [],
    };
  const reasons: string[] = [];
  // no noise, or too little for the accountant: an infinite epsilon is never a guarantee
  if (epsilonInfinite(opts.epsilon))
    reasons.push(noPrivacyReason(opts.sigma ?? (c.targetEpsilon > 0 ? undefined : c.sigma)));
  // a claim with no epsilon is no guarantee (e.g. a file written while epsilon was still computed)
  if (opts.epsilon === undefined) reasons.push(EPSILON_MISSING);
  if (c.sampling === 'shuffle') reasons.push(shuffleWarning(c.accountant));
  if (opts.seedFixed) reasons.push(FIXED_SEED_WARNING);
  return {
    accounting: reasons.length ? `${c.accountant}-poisson-not-guaranteed` : `${c.accountant}-poisson`,
    epsilon: opts.epsilon,
    delta: c.delta,
    guaranteed: reasons.length === 0,
    reasons,
    notes: [TRAINING_STATS_NOTE, FLOAT_NOTE],
  };
}

/** A short label for an epsilon shown without room for the reasons (chips, table cells). */
export function epsilonQualifier(c: Config, seedFixed: boolean, epsilon?: number): string | undefined {
  if (!isPrivate(c)) return undefined;
  if (epsilonInfinite(epsilon)) return 'no privacy: epsilon = ∞ (no effective noise)';
  if (c.sampling === 'shuffle') return 'not a guarantee: shuffle sampling';
  if (seedFixed) return 'not a guarantee: fixed seed';
  return undefined;
}
