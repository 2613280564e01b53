import { describe, expect, it } from 'vitest';
import { auditPValue, epsilonLowerBound, auditFromScores, guessRules, guessAccuracy } from '../../src/privacy/audit';
import { Rng } from '../../src/data/rng';

/** Binomial(r, q) pmf by r convolutions with a Bernoulli(q): no factorials, no tails formula. */
function convolvedPmf(r: number, q: number): Float64Array {
  let d = new Float64Array([1]);
  for (let n = 1; n <= r; n++) {
    const e = new Float64Array(n + 1);
    for (let k = 0; k < n; k++) {
      e[k] += d[k] * (1 - q);
      e[k + 1] += d[k] * q;
    }
    d = e;
  }
  return d;
}

/** The paper's p-value, written from its statement with the convolved pmf (alpha by brute force). */
function directPValue(m: number, r: number, v: number, eps: number, delta: number): number {
  const pmf = convolvedPmf(r, Math.exp(eps) / (1 + Math.exp(eps)));
  let tail = 0;
  for (let k = v; k <= r; k++) tail += pmf[k];
  let alpha = 0;
  for (let i = 1; i <= v; i++) {
    let s = 0;
    for (let k = v - i; k < v; k++) s += pmf[k];
    alpha = Math.max(alpha, s / i);
  }
  return Math.min(1, tail + 2 * m * delta * alpha);
}

describe('one-run audit: the ε lower bound (Steinke, Nasr, Jagielski 2023)', () => {
  it('p-value equals the binomial tail + 2mδ·alpha computed directly, for several (m, r, v, ε, δ)', () => {
    const cases: [number, number, number, number, number][] = [
      [1000, 100, 90, 1.0, 1e-5],
      [1000, 100, 90, 3.0, 1e-5],
      [100, 50, 45, 2.0, 1e-3],
      [1000, 500, 400, 1.2, 0],
      [200, 200, 120, 0.3, 1e-4],
      [50, 20, 20, 4, 1e-2],
      [1000, 300, 10, 0.5, 1e-5],
    ];
    for (const [m, r, v, eps, delta] of cases) {
      const want = directPValue(m, r, v, eps, delta);
      const got = auditPValue(m, r, v, eps, delta);
      expect(Math.abs(got - want), `${[m, r, v, eps, delta]}`).toBeLessThanOrEqual(1e-10 + 1e-9 * want);
    }
  });

  it("p-values and bounds match the paper's procedure run with scipy (binom.sf, binom.pmf)", () => {
    // computed with the appendix's p_value_DP_audit / get_eps_audit in Python 3 + scipy 1.17.1
    // (bisection run to 60 halvings)
    const pv: [number, number, number, number, number, number][] = [
      [1000, 100, 90, 1.0, 1e-5, 0.0008412885614385305],
      [1000, 100, 90, 3.0, 1e-5, 0.9921808322024785],
      [100, 50, 45, 2.0, 1e-3, 0.4764125096753279],
      [1000, 500, 400, 1.2, 0, 0.05131091083427191],
    ];
    for (const [m, r, v, e, d, want] of pv) expect(auditPValue(m, r, v, e, d)).toBeCloseTo(want, 10);
    const eps: [number, number, number, number, number, number][] = [
      [1000, 100, 100, 0, 0.95, 3.4929654311522937],
      [1000, 100, 100, 1e-5, 0.95, 3.4653763478110453],
      [1000, 500, 400, 1e-5, 0.95, 1.1979686462773707],
      [1000, 1000, 620, 1e-5, 0.95, 0.3803387488296154],
      [100, 50, 45, 1e-3, 0.95, 1.3037900702073142],
      [10000, 1000, 900, 1e-6, 0.95, 2.0206455958654317],
      [1000, 200, 150, 1e-5, 0.995, 0.6696072270411225],
      [1000, 50, 50, 1e-4, 0.95, 2.481269215065907],
    ];
    for (const [m, r, v, d, conf, want] of eps)
      expect(Math.abs(epsilonLowerBound(m, r, v, d, conf) - want), `${[m, r, v, d]}`).toBeLessThan(1e-7);
  });

  it('all guesses right and δ = 0: the bound is logit((1 - confidence)^(1/r)) in closed form', () => {
    for (const r of [1, 5, 20, 100, 1000]) {
      const q = Math.pow(0.05, 1 / r);
      const want = Math.log(q / (1 - q));
      expect(Math.abs(epsilonLowerBound(2000, r, r, 0) - Math.max(0, want))).toBeLessThan(1e-7);
    }
  });

  it('the bound is the boundary of rejection: rejected just below, not just above', () => {
    for (const [m, r, v, d] of [
      [1000, 200, 170, 1e-5],
      [500, 100, 80, 1e-4],
      [1000, 1000, 600, 1e-6],
    ]) {
      const e = epsilonLowerBound(m, r, v, d);
      expect(e).toBeGreaterThan(0);
      expect(auditPValue(m, r, v, e, d)).toBeLessThan(0.05);
      expect(auditPValue(m, r, v, e + 1e-6, d)).toBeGreaterThanOrEqual(0.05);
    }
  });

  it('more correct guesses never lower the bound; δ and more confidence never raise it; chance level gives 0', () => {
    let prev = 0;
    for (let v = 50; v <= 100; v += 5) {
      const e = epsilonLowerBound(1000, 100, v, 1e-5);
      expect(e).toBeGreaterThanOrEqual(prev);
      prev = e;
    }
    expect(epsilonLowerBound(1000, 100, 90, 1e-3)).toBeLessThan(epsilonLowerBound(1000, 100, 90, 1e-6));
    expect(epsilonLowerBound(1000, 100, 90, 1e-5, 0.99)).toBeLessThan(epsilonLowerBound(1000, 100, 90, 1e-5, 0.95));
    expect(epsilonLowerBound(1000, 100, 50, 1e-5)).toBe(0);
    expect(epsilonLowerBound(1000, 0, 0, 1e-5)).toBe(0);
  });

  it('is valid: for ε-randomized response, the bound exceeds the true ε in at most ~5% of runs', () => {
    const rng = new Rng(7);
    for (const eps0 of [0.5, 2]) {
      const q = guessAccuracy(eps0);
      const r = 200,
        trials = 300;
      let over = 0;
      for (let t = 0; t < trials; t++) {
        let v = 0;
        for (let i = 0; i < r; i++) if (rng.next() < q) v++;
        if (epsilonLowerBound(r, r, v, 0) > eps0) over++;
      }
      // binomial(300, 0.05) exceeds 27 with probability < 0.2%
      expect(over / trials, `ε = ${eps0}`).toBeLessThanOrEqual(27 / 300);
    }
  });

  it('refuses impossible counts', () => {
    expect(() => epsilonLowerBound(10, 20, 5, 1e-5)).toThrow(/guesses/);
    expect(() => epsilonLowerBound(10, 5, 6, 1e-5)).toThrow(/correct/);
    expect(() => auditPValue(10, 5, 2, -1, 1e-5)).toThrow(/epsilon/);
    expect(() => auditFromScores([1, 2], [true], 1e-5)).toThrow(/length/);
    expect(() => auditFromScores([1, NaN], [true, false], 1e-5)).toThrow(/finite/);
  });
});

describe('one-run audit: guesses from scores', () => {
  it('guess rules are fixed fractions of m and the confidence is split among them', () => {
    expect(guessRules(1000)).toEqual(
      [25, 50, 100, 200, 400].flatMap((k) => [
        { kIn: k, kOut: 0 },
        { kIn: k, kOut: k },
      ]),
    );
    const m = 1000;
    const member = Array.from({ length: m }, (_, i) => i % 2 === 0);
    // perfectly separating scores: every rule is right on every guess; the best is 400 "in" + 400 "out"
    const res = auditFromScores(
      member.map((b) => (b ? 1 : 0) + 0),
      member,
      1e-5,
    );
    expect(res.correct).toBe(res.guesses);
    expect(res.guesses).toBe(800);
    expect(res.epsilonLower).toBeCloseTo(epsilonLowerBound(m, 800, 800, 1e-5, 1 - 0.05 / 10), 9);
  });

  it('ties are broken by canary index; scores independent of membership give a bound near 0', () => {
    const rng = new Rng(3);
    const m = 1000;
    const member = Array.from({ length: m }, () => rng.next() < 0.5);
    const scores = Array.from({ length: m }, () => rng.next());
    expect(auditFromScores(scores, member, 1e-5).epsilonLower).toBeLessThan(0.5);
    // all tied: guesses follow the index, membership is independent of it
    expect(auditFromScores(new Array(m).fill(0), member, 1e-5).epsilonLower).toBeLessThan(0.5);
  });
});
