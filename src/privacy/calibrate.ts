// Noise calibration: the smallest noise multiplier whose epsilon (RDP, or the PRV upper bound)
// meets a target.
import { computeEpsilon, OPACUS_ORDERS, rdpToEpsilon } from './rdp';
import { computePrvEpsilon } from './prv';
import type { Accountant } from '../config/config';

export interface CalibrateParams {
  targetEpsilon: number;
  q: number;
  steps: number;
  delta: number;
  orders?: readonly number[];
  /** relative width of the final bracket (default 1e-9 for RDP, 1e-4 for PRV) */
  tol?: number;
  /** 'rdp' (default here) or 'prv' (the upper bound at epsError) */
  accountant?: Accountant;
  /** PRV only: the accountant's eps_error (default 0.01) */
  epsError?: number;
}

/**
 * Smallest sigma (to relative `tol`) with epsilon(sigma) <= targetEpsilon, by bisection on a
 * bracket found by doubling/halving. epsilon is non-increasing in sigma, so the upper end of the
 * bracket always satisfies the target and is what is returned. Throws an Error naming the input
 * when no sigma can reach the target.
 */
export function calibrateSigma(p: CalibrateParams): number {
  if (p.accountant === 'prv') return calibrateSigmaPrv(p);
  const { targetEpsilon, q, steps, delta } = p;
  const orders = p.orders ?? OPACUS_ORDERS;
  const tol = p.tol ?? 1e-9;
  if (!(targetEpsilon > 0 && targetEpsilon < Infinity))
    throw new Error(`targetEpsilon must be a finite number > 0 (got ${targetEpsilon})`);
  if (!(delta > 0 && delta < 1)) throw new Error(`delta must be in (0, 1) (got ${delta})`);
  if (!(q > 0 && q <= 1)) throw new Error(`q must be in (0, 1] (got ${q}); with q = 0 no noise is needed`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`steps must be an integer >= 1 (got ${steps})`);
  if (!(tol > 0 && tol < 1)) throw new Error(`tol must be in (0, 1) (got ${tol})`);

  // Even with infinite noise the RDP -> (eps, delta) conversion leaves
  // min_a -(log delta + log a)/(a - 1) + log((a - 1)/a) > 0; targets at or below it are out of
  // reach for these orders (larger orders or a larger delta lower the floor).
  const floor = rdpToEpsilon(orders, new Array<number>(orders.length).fill(0), delta).epsilon;
  if (targetEpsilon <= floor)
    throw new Error(
      `targetEpsilon ${targetEpsilon} is unreachable: with delta = ${delta} and these RDP orders (largest ${Math.max(...orders)}) ` +
        `epsilon cannot go below ${floor.toPrecision(6)} however large sigma is; raise targetEpsilon or delta`,
    );

  const eps = (sigma: number) => computeEpsilon({ q, sigma, steps, delta, orders }).epsilon;
  let lo: number, hi: number;
  if (eps(1) <= targetEpsilon) {
    hi = 1;
    lo = 0.5;
    // sigma -> 0 sends epsilon to infinity, so halving ends; the bound only guards the loop.
    while (eps(lo) <= targetEpsilon) {
      hi = lo;
      lo /= 2;
      if (lo < 1e-300) return hi;
    }
  } else {
    lo = 1;
    hi = 2;
    while (eps(hi) > targetEpsilon) {
      lo = hi;
      hi *= 2;
      if (hi > 2 ** 200)
        throw new Error(
          `targetEpsilon ${targetEpsilon} is unreachable for q = ${q}, steps = ${steps}, delta = ${delta}: ` +
            `it is too close to the floor ${floor.toPrecision(6)} of the RDP conversion`,
        );
    }
  }
  // Invariant: eps(lo) > target >= eps(hi).
  while (hi - lo > tol * hi) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break; // bracket at floating-point resolution
    if (eps(mid) <= targetEpsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * PRV: each epsilon is a full composition (tens to hundreds of ms), so the bracket starts at the
 * RDP answer (RDP's epsilon is larger, so its sigma meets the target) and shrinks by regula falsi
 * on log epsilon against log sigma (Illinois variant), which needs a handful of compositions.
 * Returns the upper end of the bracket, whose epsilon meets the target.
 */
function calibrateSigmaPrv(p: CalibrateParams): number {
  const { targetEpsilon, q, steps, delta } = p;
  const tol = p.tol ?? 1e-4;
  const epsError = p.epsError ?? 0.01;
  if (!(targetEpsilon > 0 && targetEpsilon < Infinity))
    throw new Error(`targetEpsilon must be a finite number > 0 (got ${targetEpsilon})`);
  if (!(delta > 0 && delta < 1)) throw new Error(`delta must be in (0, 1) (got ${delta})`);
  if (!(q > 0 && q <= 1)) throw new Error(`q must be in (0, 1] (got ${q}); with q = 0 no noise is needed`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`steps must be an integer >= 1 (got ${steps})`);
  if (!(tol > 0 && tol < 1)) throw new Error(`tol must be in (0, 1) (got ${tol})`);
  // the PRV upper bound is the estimate plus epsError: it never goes below epsError
  if (targetEpsilon <= 2 * epsError)
    throw new Error(
      `targetEpsilon ${targetEpsilon} is unreachable with the PRV accountant: ` +
        `its bound carries an error of ${epsError}; ` +
        `raise targetEpsilon above ${2 * epsError}`,
    );
  const eps = (sigma: number) => computePrvEpsilon({ q, sigma, steps, delta, epsError }).epsilon;
  let hi: number;
  try {
    hi = calibrateSigma({ targetEpsilon, q, steps, delta, tol: 1e-6 });
  } catch {
    hi = 1; // RDP cannot reach it (its conversion's floor): search from 1
  }
  let eHi = eps(hi);
  for (let i = 0; eHi > targetEpsilon; i++) {
    if (i > 60)
      throw new Error(`targetEpsilon ${targetEpsilon} is unreachable for q = ${q}, steps = ${steps}, delta = ${delta}`);
    hi *= 2;
    eHi = eps(hi);
  }
  let lo = hi * 0.8;
  let eLo = eps(lo);
  while (eLo <= targetEpsilon) {
    hi = lo;
    eHi = eLo;
    lo *= 0.8;
    if (lo < 1e-6) return hi;
    eLo = eps(lo);
  }
  // Invariant: eps(lo) > target >= eps(hi). Interpolate log eps linearly in log sigma.
  const lt = Math.log(targetEpsilon);
  let fLo = Math.log(eLo) - lt,
    fHi = Math.log(eHi) - lt; // fLo > 0 >= fHi
  let side = 0; // which end the last step moved: 1 hi, -1 lo
  for (let it = 0; it < 100 && hi - lo > tol * hi; it++) {
    const a = Math.log(lo),
      b = Math.log(hi);
    let x = Math.exp(a + ((b - a) * fLo) / (fLo - fHi));
    if (!(x > lo && x < hi) || it % 6 === 5) x = lo + (hi - lo) / 2; // bisect now and then
    const f = Math.log(eps(x)) - lt;
    if (f <= 0) {
      hi = x;
      fHi = f;
      if (side === 1) fLo /= 2; // Illinois: the end that stays put twice weighs half
      side = 1;
    } else {
      lo = x;
      fLo = f;
      if (side === -1) fHi /= 2;
      side = -1;
    }
  }
  return hi;
}
