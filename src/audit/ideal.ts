// The idealised one-run audit: what the audit of src/privacy/audit.ts would reach on the best case
// for it, a Gaussian mechanism whose whole release for a canary is one score, b + N(0, 1/μ²) with
// b = 1 for an "in" canary and 0 for an "out" one (Steinke, Nasr, Jagielski 2023, their idealised
// setting; DESIGN §15). A run is compared with the Gaussian mechanism of the same privacy profile
// at its δ: the μ of μ-GDP whose ε(δ) equals the run's ε.
//
// How it is computed: a seeded simulation, deterministic for a given seed. Each draw flips m fair
// coins, draws the m scores and audits them; the result is the median over the draws. Two ways of
// auditing them:
//   'audit' (default): exactly as a run is audited (auditFromScores: the same fixed guess rules,
//     the confidence split among them). This is what the CLI prints beside a measured bound.
//   'best': the best number of guesses for that draw, k highest "in" and k lowest "out", k chosen
//     after seeing the scores (every k up to 20, then a 5% geometric grid), each k at the full
//     confidence. An optimistic reference (DESIGN §15, the figures), not a valid audit.
// No closed form is used because the bound of the best rule is a maximum over rules of a
// non-linear function of a random count; the median of a few draws is what a run would typically
// get, and the spread (min, max) says how much one run varies around it.
import { auditFromScores, epsilonLowerBound } from '../privacy/audit';
import { logErfc } from '../privacy/rdp';
import { Rng } from '../data/rng';
import { median } from '../numerics/stats';

/** log Φ(x), the standard normal CDF, accurate in both tails */
function logPhi(x: number): number {
  return logErfc(-x / Math.SQRT2) - Math.LN2;
}

/**
 * δ(ε) of μ-GDP (Dong, Roth, Su 2019): Φ(-ε/μ + μ/2) - e^ε Φ(-ε/μ - μ/2). This is the exact
 * privacy profile of one Gaussian mechanism with sensitivity 1 and noise 1/μ (or of T of them
 * composed with noise multiplier σ, μ = √T / σ).
 */
export function gaussianDelta(mu: number, eps: number): number {
  if (!(mu > 0)) throw new RangeError(`mu must be > 0 (got ${mu})`);
  const a = logPhi(-eps / mu + mu / 2);
  const b = eps + logPhi(-eps / mu - mu / 2);
  return Math.max(0, Math.exp(a) * -Math.expm1(b - a));
}

function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1) (got ${delta})`);
}

/** The ε of μ-GDP at δ: the smallest ε >= 0 with gaussianDelta(μ, ε) <= δ (bisection to 1e-12). */
export function gaussianEpsilon(mu: number, delta: number): number {
  checkDelta(delta);
  if (gaussianDelta(mu, 0) <= delta) return 0;
  let lo = 0,
    hi = 1;
  while (gaussianDelta(mu, hi) > delta) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1e-12 * Math.max(1, hi)) {
    const mid = (lo + hi) / 2;
    if (gaussianDelta(mu, mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The μ of the Gaussian mechanism with the same privacy profile as a run at its δ: ε(δ) of μ-GDP
 * equals eps. ε grows with μ, so bisection (relative 1e-12). Infinity for an infinite ε.
 */
export function gaussianMu(eps: number, delta: number): number {
  checkDelta(delta);
  if (!(eps >= 0)) throw new RangeError(`epsilon must be >= 0 (got ${eps})`);
  if (eps === Infinity) return Infinity;
  if (eps === 0) return 0;
  let lo = 0,
    hi = 1;
  while (gaussianEpsilon(hi, delta) < eps) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) return Infinity;
  }
  while (hi - lo > 1e-12 * hi) {
    const mid = (lo + hi) / 2;
    if (gaussianEpsilon(mid, delta) < eps) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** m canaries, fair coins, scores b + N(0, 1/μ²): one draw of the idealised audit's data. */
export function idealScores(m: number, mu: number, rng: Rng): { scores: Float64Array; member: boolean[] } {
  const member = Array.from({ length: m }, () => rng.next() < 0.5);
  const scores = Float64Array.from(member, (b) => (b ? 1 : 0) + rng.normal() / mu);
  return { scores, member };
}

export interface IdealOptions {
  delta?: number;
  confidence?: number;
  /** simulated audits; the median is reported (default 5) */
  draws?: number;
  /** seed of the simulation (default 1): the same seed gives the same numbers */
  seed?: number;
  /** how the guesses are made (see the top of this file; default 'audit') */
  rule?: 'audit' | 'best';
}

export interface IdealBound {
  /** median over the draws of the audit's ε lower bound */
  epsilonLower: number;
  /** smallest and largest bound among the draws */
  min: number;
  max: number;
  mu: number;
  /** ε of the Gaussian mechanism at δ (the run's ε when it came from idealBoundForRun) */
  epsilon: number;
  canaries: number;
  delta: number;
  confidence: number;
  draws: number;
  seed: number;
  rule: 'audit' | 'best';
}

/** The idealised audit of the Gaussian mechanism with parameter μ, m canaries (seeded simulation). */
export function idealAuditBound(m: number, mu: number, opts: IdealOptions = {}): IdealBound {
  const { delta = 1e-5, confidence = 0.95, draws = 5, seed = 1, rule = 'audit' } = opts;
  if (!(Number.isInteger(m) && m >= 2)) throw new RangeError(`canaries must be an integer >= 2 (got ${m})`);
  if (!(Number.isInteger(draws) && draws >= 1)) throw new RangeError(`draws must be an integer >= 1 (got ${draws})`);
  checkDelta(delta);
  const base = { mu, canaries: m, delta, confidence, draws, seed, rule, epsilon: Infinity };
  if (!(mu > 0) || mu === Infinity) {
    // μ = ∞: the scores separate perfectly; μ = 0 (ε = 0) leaks nothing and the bound is 0
    const all = mu > 0 ? perfectBound(m, delta, confidence) : 0;
    return { ...base, epsilonLower: all, min: all, max: all, epsilon: mu > 0 ? Infinity : 0 };
  }
  const rng = new Rng(seed);
  const bounds: number[] = [];
  for (let d = 0; d < draws; d++) {
    const { scores, member } = idealScores(m, mu, rng);
    bounds.push(
      rule === 'best'
        ? bestGuesses(scores, member, delta, confidence)
        : auditFromScores(scores, member, delta, confidence).epsilonLower,
    );
  }
  return {
    ...base,
    epsilonLower: median(bounds),
    min: Math.min(...bounds),
    max: Math.max(...bounds),
    epsilon: gaussianEpsilon(mu, delta),
  };
}

/** The 'best' rule: the largest bound over k of "in" for the k highest and "out" for the k lowest. */
function bestGuesses(scores: Float64Array, member: boolean[], delta: number, confidence: number): number {
  const m = scores.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  let best = 0;
  for (let k = 1; k <= m / 2; k = k < 20 ? k + 1 : Math.round(k * 1.05)) {
    let v = 0;
    for (let j = 0; j < k; j++) if (member[order[j]]) v++;
    for (let j = m - k; j < m; j++) if (!member[order[j]]) v++;
    best = Math.max(best, epsilonLowerBound(m, 2 * k, v, delta, confidence));
  }
  return best;
}

/** Every guess right: the most any audit of m canaries can show. */
function perfectBound(m: number, delta: number, confidence: number): number {
  const member = Array.from({ length: m }, (_, i) => i % 2 === 0);
  return auditFromScores(
    member.map((b) => (b ? 1 : 0)),
    member,
    delta,
    confidence,
  ).epsilonLower;
}

/**
 * The idealised bound beside a run's measured one: the Gaussian mechanism with the run's privacy
 * profile at its δ (gaussianMu), audited the same way with the same number of canaries.
 */
export function idealBoundForRun(m: number, eps: number, delta: number, opts: IdealOptions = {}): IdealBound {
  const mu = gaussianMu(eps, delta);
  return { ...idealAuditBound(m, mu, { ...opts, delta }), epsilon: eps };
}
