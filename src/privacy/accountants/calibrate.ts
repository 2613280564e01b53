// One noise calibration for every accountant: the smallest sigma whose epsilon (the
// accountant's, for the mechanisms sigma gives) meets a target. Like Opacus'
// get_noise_multiplier, it only asks the accountant for epsilon; the accountant adds a start
// and a tolerance, and says when a target is out of reach.
import type { Accountant, Mechanism } from './accountant';

export interface Calibration {
  targetEpsilon: number;
  delta: number;
  /** the run's mechanisms at noise multiplier sigma (epsilon must not grow with sigma) */
  mechanismsAt: (sigma: number) => readonly Mechanism[];
  /** relative width of the final bracket (default: the accountant's calibrationTol) */
  tol?: number;
}

function check(p: Calibration, tol: number): void {
  if (!(p.targetEpsilon > 0 && p.targetEpsilon < Infinity))
    throw new Error(`targetEpsilon must be a finite number > 0 (got ${p.targetEpsilon})`);
  if (!(p.delta > 0 && p.delta < 1)) throw new Error(`delta must be in (0, 1) (got ${p.delta})`);
  if (!(tol > 0 && tol < 1)) throw new Error(`tol must be in (0, 1) (got ${tol})`);
}

interface Bracket {
  lo: number;
  hi: number;
  eLo: number;
  eHi: number;
}

/**
 * lo < hi with eps(lo) > target >= eps(hi), from the start by doubling and shrinking; a number
 * when the bracket fell below 1e-6 (epsilon there is astronomically large for any q > 0): that
 * sigma meets the target and is as good as the answer.
 */
function bracket(eps: (s: number) => number, start: number, target: number, unreachable: string): Bracket | number {
  let hi = start;
  let eHi = eps(hi);
  for (let i = 0; eHi > target; i++) {
    if (i > 200) throw new Error(unreachable);
    hi *= 2;
    eHi = eps(hi);
  }
  let lo = hi * 0.8;
  let eLo = eps(lo);
  while (eLo <= target) {
    hi = lo;
    eHi = eLo;
    lo *= 0.8;
    if (lo < 1e-6) return hi;
    eLo = eps(lo);
  }
  return { lo, hi, eLo, eHi };
}

/**
 * Smallest sigma (to relative tol) with epsilon(sigma) <= targetEpsilon: a bracket from the
 * accountant's start, then regula falsi on log epsilon against log sigma (Illinois variant,
 * bisecting now and then), which needs a handful of epsilons. Returns the upper end of the
 * bracket, whose epsilon meets the target. Throws an Error naming the input when no sigma can.
 */
export function calibrateWith(acc: Accountant, p: Calibration): number {
  const tol = p.tol ?? acc.calibrationTol;
  check(p, tol);
  const { targetEpsilon, delta } = p;
  const why = acc.unreachable(targetEpsilon, delta);
  if (why) throw new Error(why);
  const eps = (sigma: number) => acc.epsilon(p.mechanismsAt(sigma), delta);
  const start = acc.startSigma(p.mechanismsAt, targetEpsilon, delta);
  const unreachable = `targetEpsilon ${targetEpsilon} is unreachable with the ${acc.label} accountant at delta = ${delta}`;
  const b = bracket(eps, start, targetEpsilon, unreachable);
  return typeof b === 'number' ? b : illinois(eps, b, targetEpsilon, tol);
}

function illinois(eps: (s: number) => number, b: Bracket, target: number, tol: number): number {
  let { lo, hi } = b;
  const lt = Math.log(target);
  let fLo = Math.log(b.eLo) - lt;
  let fHi = Math.log(b.eHi) - lt; // fLo > 0 >= fHi
  let side = 0; // which end the last step moved: 1 hi, -1 lo
  for (let it = 0; it < 200 && hi - lo > tol * hi; it++) {
    const a = Math.log(lo),
      c = Math.log(hi);
    let x = Math.exp(a + ((c - a) * fLo) / (fLo - fHi));
    if (!(x > lo && x < hi) || it % 6 === 5) x = lo + (hi - lo) / 2; // bisect now and then
    if (x <= lo || x >= hi) break; // bracket at floating-point resolution
    const e = eps(x);
    const f = Math.log(e) - lt;
    // the test is on epsilon itself: its log can round to the target's
    if (e <= target) {
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
