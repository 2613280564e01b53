// The idealised one-run audit (src/audit/ideal.ts): μ-GDP's ε(δ) and its inverse, and the
// seeded simulation against DESIGN §15's table.
import { describe, expect, it } from 'vitest';
import { gaussianDelta, gaussianEpsilon, gaussianMu, idealAuditBound, idealBoundForRun } from '../../src/audit/ideal';
import { logErfc } from '../../src/privacy/rdp';

describe('μ-GDP privacy profile', () => {
  it('ε at δ 1e-5 is the ε column of DESIGN §15 (1.99, 4.38, 10.00, 16.68)', () => {
    const want: [number, number][] = [
      [0.5, 1.99],
      [1, 4.38],
      [2, 10.0],
      [3, 16.68],
    ];
    for (const [mu, eps] of want) expect(gaussianEpsilon(mu, 1e-5)).toBeCloseTo(eps, 2);
  });

  it('δ(ε) is Φ(-ε/μ + μ/2) - e^ε Φ(-ε/μ - μ/2), written here with the plain erfc; gaussianMu inverts gaussianEpsilon', () => {
    const Phi = (x: number) => Math.exp(logErfc(-x / Math.SQRT2)) / 2;
    for (const [mu, eps] of [
      [0.5, 0.3],
      [1, 1],
      [2, 3],
      [1.3, 0.05],
    ])
      expect(gaussianDelta(mu, eps)).toBeCloseTo(Phi(-eps / mu + mu / 2) - Math.exp(eps) * Phi(-eps / mu - mu / 2), 12);
    for (const mu of [0.1, 0.7, 2.5, 8]) expect(gaussianMu(gaussianEpsilon(mu, 1e-6), 1e-6)).toBeCloseTo(mu, 8);
    expect(gaussianMu(Infinity, 1e-5)).toBe(Infinity);
    expect(() => gaussianEpsilon(1, 0)).toThrow(/delta/);
  });
});

describe('idealised audit bound', () => {
  // The 'best' rule picks k after seeing one draw's scores, so one draw's bound varies a lot: at
  // m = 1,000 the five draws of each row below span 0.4 to 1 (e.g. 0.76 .. 1.79 at μ 0.5), at
  // m = 10,000 about 0.2. The table (3 draws) must lie inside the draws' range, and our median
  // within 0.5 (m 1,000) and 0.35 (m 10,000) of it: our k grid is 5% apart above k = 20, a finer
  // grid chases the noise a little further upwards, so ours sits 0-0.3 below the table.
  it("'best' rule, m = 1,000: DESIGN §15 within the simulation's spread", () => {
    const table: [number, number][] = [
      [0.5, 1.12],
      [1, 1.99],
      [2, 3.49],
      [3, 5.11],
    ];
    for (const [mu, want] of table) {
      const b = idealAuditBound(1000, mu, { rule: 'best', draws: 5, seed: 1 });
      expect(b.min, `μ ${mu}`).toBeLessThanOrEqual(want);
      expect(b.max, `μ ${mu}`).toBeGreaterThanOrEqual(want);
      expect(Math.abs(b.epsilonLower - want), `μ ${mu}: ${b.epsilonLower}`).toBeLessThanOrEqual(0.5);
    }
  }, 30_000);

  it("'best' rule, m = 10,000 at μ 1: 2.67 within the spread; more canaries give more", () => {
    const b = idealAuditBound(10_000, 1, { rule: 'best', draws: 3, seed: 1 });
    expect(Math.abs(b.epsilonLower - 2.67), `${b.epsilonLower}`).toBeLessThanOrEqual(0.35);
    expect(b.epsilonLower).toBeGreaterThan(idealAuditBound(1000, 1, { rule: 'best', draws: 3, seed: 1 }).max);
  }, 30_000);

  it("'audit' rule (the audit's own guesses) is below 'best' and below ε; deterministic per seed", () => {
    for (const mu of [0.5, 2]) {
      const a = idealAuditBound(1000, mu, { seed: 3 });
      const b = idealAuditBound(1000, mu, { seed: 3, rule: 'best' });
      expect(a.epsilonLower).toBeGreaterThan(0);
      expect(a.epsilonLower).toBeLessThan(b.epsilonLower);
      expect(a.epsilonLower).toBeLessThan(gaussianEpsilon(mu, 1e-5));
      expect(idealAuditBound(1000, mu, { seed: 3 })).toEqual(a);
    }
  });

  it("for a run: the μ whose ε(δ) is the run's ε; ε 0 gives 0, ε ∞ the perfect-guess bound", () => {
    const r = idealBoundForRun(1000, 4.38, 1e-5);
    expect(r.mu).toBeCloseTo(1, 2);
    expect(r.epsilon).toBe(4.38);
    expect(r.epsilonLower).toBe(idealAuditBound(1000, r.mu).epsilonLower);
    expect(idealBoundForRun(1000, 0, 1e-5).epsilonLower).toBe(0);
    const inf = idealBoundForRun(1000, Infinity, 1e-5);
    expect(inf.epsilonLower).toBeGreaterThanOrEqual(idealAuditBound(1000, 3).max);
    expect(() => idealAuditBound(1, 1)).toThrow(/canaries/);
  });
});
