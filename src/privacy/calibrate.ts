// Noise calibration: the smallest noise multiplier whose RDP epsilon meets a target.
import { computeEpsilon, OPACUS_ORDERS, rdpToEpsilon } from './rdp';

export interface CalibrateParams {
  targetEpsilon: number;
  q: number;
  steps: number;
  delta: number;
  orders?: readonly number[];
  /** relative width of the final bracket (default 1e-9) */
  tol?: number;
}

/**
 * Smallest sigma (to relative `tol`) with epsilon(sigma) <= targetEpsilon, by bisection on a
 * bracket found by doubling/halving. epsilon is non-increasing in sigma, so the upper end of the
 * bracket always satisfies the target and is what is returned. Throws an Error naming the input
 * when no sigma can reach the target.
 */
export function calibrateSigma(p: CalibrateParams): number {
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
