// Noise calibration for one Poisson-subsampled Gaussian phase: the smallest noise multiplier
// whose epsilon (RDP, or the PRV upper bound) meets a target, by the accountants' one
// calibration (src/privacy/accountants/calibrate.ts).
import { accountantNamed, calibrateWith, prvAccountant, rdpAccountant } from './accountants';

export interface CalibrateParams {
  targetEpsilon: number;
  q: number;
  steps: number;
  delta: number;
  orders?: readonly number[];
  /** relative width of the final bracket (default 1e-9 for RDP, 1e-4 for PRV) */
  tol?: number;
  /** an accountant's name: 'rdp' (default here) or 'prv' (the upper bound at epsError) */
  accountant?: string;
  /** PRV only: the accountant's eps_error (default 0.01) */
  epsError?: number;
}

function configured(p: CalibrateParams) {
  const name = p.accountant ?? 'rdp';
  accountantNamed(name); // an unknown name is an error, never another accountant
  if (name === 'rdp' && p.orders) return rdpAccountant({ orders: p.orders });
  if (name === 'prv' && p.epsError !== undefined) return prvAccountant({ epsError: p.epsError });
  return accountantNamed(name);
}

/**
 * Smallest sigma (to relative `tol`) with epsilon(sigma) <= targetEpsilon for `steps` steps at
 * Poisson rate q. epsilon is non-increasing in sigma, so the upper end of the final bracket
 * always satisfies the target and is what is returned. Throws an Error naming the input when no
 * sigma can reach the target.
 */
export function calibrateSigma(p: CalibrateParams): number {
  const { q, steps } = p;
  const acc = configured(p);
  if (!(p.targetEpsilon > 0 && p.targetEpsilon < Infinity))
    throw new Error(`targetEpsilon must be a finite number > 0 (got ${p.targetEpsilon})`);
  if (!(p.delta > 0 && p.delta < 1)) throw new Error(`delta must be in (0, 1) (got ${p.delta})`);
  if (!(q > 0 && q <= 1)) throw new Error(`q must be in (0, 1] (got ${q}); with q = 0 no noise is needed`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`steps must be an integer >= 1 (got ${steps})`);
  return calibrateWith(acc, {
    targetEpsilon: p.targetEpsilon,
    delta: p.delta,
    tol: p.tol,
    mechanismsAt: (sigma) => [{ kind: 'poisson-gaussian', q, sigma, steps, sample: 'batch' }],
  });
}
