// The ε lower bound of a one-run privacy audit: Steinke, Nasr and Jagielski, "Privacy Auditing with
// One (1) Training Run" (NeurIPS 2023), Theorem 1 and the numerical procedure of their appendix.
//
// m canaries are each included independently with probability 1/2; the auditor guesses "in" or
// "out" for r of them (abstaining on the rest) and gets v right. If training is (ε, δ)-DP, then
//   P[v or more correct] <= P[Binomial(r, q) >= v] + 2 m δ · max_{i=1..v} P[v-i <= Binomial(r, q) < v] / i
// with q = e^ε / (e^ε + 1), the accuracy of ε-randomized response. That right-hand side is the
// p-value of "the run is (ε, δ)-DP"; the lower bound is the largest ε it rejects at the chosen
// confidence (p-value below 1 - confidence). A bound is a statement about this one run: with
// probability at least the confidence, a mechanism that really is (ε, δ)-DP gives a bound <= ε.
import { binomialPmf, binomialTail } from './sampling';

/** q = e^ε / (1 + e^ε), written to stay finite for large ε */
export function guessAccuracy(eps: number): number {
  return 1 / (1 + Math.exp(-eps));
}

function checkCounts(m: number, r: number, v: number): void {
  const int = (x: number) => Number.isInteger(x) && x >= 0;
  if (!(int(m) && int(r) && int(v) && v <= r && r <= m))
    throw new RangeError(`need integers 0 <= correct (${v}) <= guesses (${r}) <= canaries (${m})`);
}

/**
 * The p-value of the hypothesis "(ε, δ)-DP" after v correct guesses out of r, with m canaries
 * (the paper's p_value_DP_audit): at most 1.
 */
export function auditPValue(m: number, r: number, v: number, eps: number, delta: number): number {
  checkCounts(m, r, v);
  if (!(eps >= 0)) throw new RangeError(`epsilon must be >= 0 (got ${eps})`);
  if (!(delta >= 0 && delta <= 1)) throw new RangeError(`delta must be in [0, 1] (got ${delta})`);
  const q = guessAccuracy(eps);
  const beta = binomialTail(r, q, v - 1); // P[Binomial(r, q) >= v]
  // alpha = max_i P[v - i <= Binomial(r, q) < v] / i: the δ term's worst case (their Lemma)
  let alpha = 0,
    sum = 0;
  if (delta > 0)
    for (let i = 1; i <= v; i++) {
      sum += binomialPmf(r, q, v - i);
      if (sum > i * alpha) alpha = sum / i;
    }
  return Math.min(1, beta + alpha * delta * 2 * m);
}

/**
 * The largest ε that v correct guesses out of r reject at the given confidence (default 95%):
 * the run is not (ε, δ)-DP for any ε below it, unless an event of probability 1 - confidence
 * happened. 0 when nothing can be rejected. Bisection to 1e-9: the p-value grows with ε (a larger
 * ε explains more correct guesses).
 */
export function epsilonLowerBound(m: number, r: number, v: number, delta: number, confidence = 0.95): number {
  checkCounts(m, r, v);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1) (got ${confidence})`);
  const p = 1 - confidence;
  const rejects = (eps: number) => auditPValue(m, r, v, eps, delta) < p;
  if (!rejects(0)) return 0;
  let lo = 0,
    hi = 1;
  // p-value -> 1 as ε grows (q -> 1), so this ends; v = r gives a finite bound too
  while (rejects(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 1e4) return lo;
  }
  while (hi - lo > 1e-9) {
    const mid = (lo + hi) / 2;
    if (rejects(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** One way of guessing: "in" for the kIn highest scores, "out" for the kOut lowest. */
export interface GuessRule {
  kIn: number;
  kOut: number;
}

/**
 * The guess rules an audit of m canaries tries: kIn = kOut = k and kIn = k alone, for k a
 * fixed fraction of m (2.5%, 5%, 10%, 20%, 40%). They are fixed before the scores are seen, and
 * the bound splits the confidence among them (Bonferroni), so taking the best is still valid.
 */
export function guessRules(m: number): GuessRule[] {
  const ks = [...new Set([0.025, 0.05, 0.1, 0.2, 0.4].map((f) => Math.max(1, Math.round(f * m))))].filter(
    (k) => k <= m / 2,
  );
  return ks.flatMap((k) => [
    { kIn: k, kOut: 0 },
    { kIn: k, kOut: k },
  ]);
}

export interface AuditBound {
  epsilonLower: number;
  /** guesses made and correct under the rule that gave the bound */
  guesses: number;
  correct: number;
  kIn: number;
  kOut: number;
  canaries: number;
  delta: number;
  confidence: number;
  /** rules tried (the confidence is split among them) */
  rules: number;
}

/**
 * Guesses membership from the scores (higher = more likely "in"; ties broken by canary index, which
 * is independent of membership) and returns the best bound over guessRules(m), each at
 * confidence 1 - (1 - confidence) / rules.
 */
export function auditFromScores(
  scores: ArrayLike<number>,
  member: ArrayLike<boolean | number>,
  delta: number,
  confidence = 0.95,
): AuditBound {
  const m = scores.length;
  if (member.length !== m) throw new RangeError(`scores (${m}) and membership (${member.length}) differ in length`);
  for (let i = 0; i < m; i++)
    if (!Number.isFinite(scores[i])) throw new RangeError(`score ${i} is not finite (${scores[i]})`);
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const rules = m >= 2 ? guessRules(m) : [];
  const each = 1 - (1 - confidence) / Math.max(1, rules.length);
  let best: AuditBound = {
    epsilonLower: 0,
    guesses: 0,
    correct: 0,
    kIn: 0,
    kOut: 0,
    canaries: m,
    delta,
    confidence,
    rules: rules.length,
  };
  for (const { kIn, kOut } of rules) {
    let v = 0;
    for (let j = 0; j < kIn; j++) if (member[order[j]]) v++;
    for (let j = m - kOut; j < m; j++) if (!member[order[j]]) v++;
    const eps = epsilonLowerBound(m, kIn + kOut, v, delta, each);
    if (eps > best.epsilonLower || best.guesses === 0)
      best = { ...best, epsilonLower: eps, guesses: kIn + kOut, correct: v, kIn, kOut };
  }
  return best;
}
