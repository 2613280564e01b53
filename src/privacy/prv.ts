// PRV accountant: numerical composition of privacy loss random variables (Gopi, Lee, Wutschitz,
// "Numerical Composition of Differential Privacy", NeurIPS 2021) for the Poisson-subsampled
// Gaussian mechanism, the accountant Opacus uses by default.
//
// One step's privacy loss Y = log(P(X) / Q(X)), X ~ P, with P = (1 - q) N(0, s²) + q N(1, s²) and
// Q = N(0, s²) (noise multiplier s, sensitivity 1), is
//   Y = log(1 - q + q exp((2X - 1) / (2 s²))).
// The loss of a run is the sum of its steps' losses, and delta(eps) = E[(1 - exp(eps - Y))+].
// The paper's recipe, followed here:
//  1. a safe domain [-L, L] from the RDP accountant (Remark 5.6): the sum and each single step
//     leave at most a small share of delta_error outside it;
//  2. truncate each step's PRV to the domain and discretise it on a uniform mesh of width
//     dt = eps_error / sqrt(N log(12 / delta_error) / 2), each bin's mass at its centre, then shift
//     the mesh so the discrete mean equals the continuous (truncated) mean;
//  3. compose by FFT: the N-fold self-convolution is the inverse transform of the N-th power of
//     the transform, and phases with another sigma or q multiply their own powers in;
//  4. eps(delta) of the discrete sum is exact; Theorem 5.5 turns it into bounds:
//     upper = eps(delta - delta_error) + eps_error, lower = eps(delta + delta_error) - eps_error.
// Modules: this file holds the public accountant API (phases, options, results, prvEpsilon,
// privacyProfile and the phase/compose entry points); src/privacy/prv-loss.ts one step's privacy
// loss distribution; src/privacy/prv-mesh.ts the safe domain, truncation, the uniform mesh and the
// FFT composition (PrvPlan, ComposedPrv), re-exported from here.
import { PRV_MIN_DELTA } from '../config/config';
import { checkPhase, ComposedPrv, PrvPlan, type PrvEpsilon, type PrvPhase } from './prv-mesh';
import { PrvRefusal } from './prv-refusal';

export interface PrvOptions {
  /** additive error on epsilon (default 0.01, as Opacus) */
  epsError?: number;
  /** error on delta (default delta / 1000, as Opacus; for a profile, the smallest delta / 1000) */
  deltaError?: number;
}

// the mesh, its limits, the composition and their types live in prv-mesh.ts; importable from here as before
export type { PrvEpsilon, PrvPhase } from './prv-mesh';
export { ComposedPrv, MAX_DOMAIN, MAX_MESH, PrvPlan } from './prv-mesh';

/**
 * Smallest delta the accountant accepts: below it, float64 rounding in the FFT (about 2e-16
 * per point of the mesh) is no longer small against delta (Opacus refuses the same way).
 */
export { PRV_MIN_DELTA };

/** A delta below what float64 resolves: the RDP accountant takes it. */
function smallDelta(delta: number): PrvRefusal {
  return new PrvRefusal(
    `delta must be in [${PRV_MIN_DELTA}, 1) for the PRV accountant (got ${delta}; smaller deltas drown in float64 rounding)`,
    ['accountant', 'raise-delta'],
  );
}

/** Drops phases that release nothing and merges those with equal (q, sigma). */
function mergePhases(phases: readonly PrvPhase[]): PrvPhase[] {
  phases.forEach(checkPhase);
  const merged = new Map<string, PrvPhase>();
  for (const p of phases) {
    if (p.q === 0 || p.steps === 0) continue;
    const k = `${p.q}|${p.sigma}`;
    const m = merged.get(k);
    if (m) m.steps += p.steps;
    else merged.set(k, { ...p });
  }
  return [...merged.values()];
}

/** Discretises and composes the phases (composition commutes: their order does not matter). */
export function composePrv(phases: readonly PrvPhase[], opts: { epsError?: number; deltaError: number }): ComposedPrv {
  return new PrvPlan(mergePhases(phases), { ...opts, once: true }).compose();
}

function zeroResult(delta: number, epsError: number, deltaError: number): PrvEpsilon {
  return { epsilon: 0, lower: 0, estimate: 0, delta, epsError, deltaError };
}

/**
 * Epsilon at `delta` of the phases composed (each: `steps` steps of the Poisson-subsampled
 * Gaussian at rate q and noise multiplier sigma): upper bound, lower bound and estimate.
 */
export function prvEpsilon(phases: readonly PrvPhase[], delta: number, opts: PrvOptions = {}): PrvEpsilon {
  phases.forEach(checkPhase);
  if (!(delta < 1)) throw new RangeError(`delta must be in [${PRV_MIN_DELTA}, 1) (got ${delta})`);
  if (!(delta >= PRV_MIN_DELTA)) throw smallDelta(delta);
  const epsError = opts.epsError ?? 0.01;
  const deltaError = opts.deltaError ?? delta / 1000;
  const live = mergePhases(phases);
  if (live.length === 0) return zeroResult(delta, epsError, deltaError);
  if (live.some((p) => p.sigma === 0))
    return { epsilon: Infinity, lower: Infinity, estimate: Infinity, delta, epsError, deltaError };
  return new PrvPlan(live, { epsError, deltaError, once: true }).compose().epsilon(delta);
}

/** Epsilon of one phase: `steps` steps at rate q and noise multiplier sigma. */
export function computePrvEpsilon(p: {
  q: number;
  sigma: number;
  steps: number;
  delta: number;
  epsError?: number;
}): PrvEpsilon {
  return prvEpsilon([{ q: p.q, sigma: p.sigma, steps: p.steps }], p.delta, { epsError: p.epsError });
}

/**
 * The privacy profile: epsilon (upper bound) at each delta, from one composition made for the
 * smallest delta (its delta error is that delta / 1000, tighter than needed for the others).
 */
export function privacyProfile(
  phases: readonly PrvPhase[],
  deltas: readonly number[],
  opts: { epsError?: number } = {},
): PrvEpsilon[] {
  if (deltas.length === 0) return [];
  const dMin = Math.min(...deltas);
  if (!(dMin >= PRV_MIN_DELTA)) throw smallDelta(dMin);
  const epsError = opts.epsError ?? 0.01;
  const deltaError = dMin / 1000;
  const live = mergePhases(phases);
  if (live.length === 0) return deltas.map((d) => zeroResult(d, epsError, deltaError));
  if (live.some((p) => p.sigma === 0))
    return deltas.map((d) => ({
      epsilon: Infinity,
      lower: Infinity,
      estimate: Infinity,
      delta: d,
      epsError,
      deltaError,
    }));
  const c = new PrvPlan(live, { epsError, deltaError, once: true }).compose();
  return deltas.map((d) => c.epsilon(d));
}

/** Deltas for a profile chart: the decades from delta / 1000 (not below PRV_MIN_DELTA) to 0.1, and delta. */
export function profileDeltas(delta: number): number[] {
  const lo = Math.max(PRV_MIN_DELTA, delta / 1000);
  const out = new Set<number>([delta]);
  for (let k = Math.ceil(Math.log10(lo) - 1e-9); k <= -1; k++) out.add(Number(`1e${k}`));
  return [...out].filter((d) => d >= lo && d < 1).sort((a, b) => a - b);
}
