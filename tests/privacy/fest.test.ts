// The mechanisms of DP-FEST and DP-AdaFEST (src/privacy/fest.ts) through both accountants.
import { describe, expect, it } from 'vitest';
import { ACCOUNTANTS, accountantNamed } from '../../src/privacy/accountants';
import {
  adafestMechanisms,
  adafestPlusMechanisms,
  calibrateAdafestSigma,
  festMechanisms,
} from '../../src/privacy/fest';
import { erfcNonNegative } from '../../src/privacy/rdp';

/** Standard normal CDF. */
const Phi = (x: number) => (x <= 0 ? erfcNonNegative(-x / Math.SQRT2) / 2 : 1 - erfcNonNegative(x / Math.SQRT2) / 2);

/** Exact epsilon of one Gaussian mechanism (Balle and Wang 2018, Theorem 8), by bisection. */
function gaussianEpsilon(sigma: number, delta: number): number {
  const d = (e: number) => Phi(-e * sigma + 1 / (2 * sigma)) - Math.exp(e) * Phi(-e * sigma - 1 / (2 * sigma));
  let lo = 0,
    hi = 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (d(mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}

const run = { q: 0.01, steps: 1000, sigma: 1.2 };

describe('DP-AdaFEST epsilon', () => {
  for (const acc of ACCOUNTANTS)
    it(`${acc.name}: with sigma1 = Infinity it is DP-SGD's epsilon at sigma2`, () => {
      const dpsgd = acc.epsilon([{ kind: 'poisson-gaussian', ...run, sample: 'batch' }], 1e-5);
      const fest = acc.epsilon(adafestMechanisms(run, Infinity), 1e-5);
      expect(Math.abs(fest - dpsgd)).toBeLessThanOrEqual(1e-12 * dpsgd);
      // a finite sigma1 costs something: more epsilon than DP-SGD's
      expect(acc.epsilon(adafestMechanisms(run, 3), 1e-5)).toBeGreaterThan(dpsgd * 1.05);
    });

  // DESIGN §14's reference values (Opacus PRVAccountant upper bound and RDPAccountant)
  const cases = [
    { s1: 3.0, s2: 1.2, q: 0.01, steps: 1000, delta: 1e-5, prv: 1.4901, rdp: 1.668198 },
    { s1: 10.0, s2: 1.0, q: 0.02, steps: 3000, delta: 1e-6, prv: 7.941107, rdp: 8.548706 },
  ];
  for (const c of cases)
    it(`sigma1 ${c.s1}, sigma2 ${c.s2}: DESIGN §14's epsilons`, () => {
      const m = adafestMechanisms({ q: c.q, steps: c.steps, sigma: c.s2 }, c.s1);
      expect(Math.abs(accountantNamed('rdp').epsilon(m, c.delta) - c.rdp)).toBeLessThan(1e-6);
      expect(Math.abs(accountantNamed('prv').epsilon(m, c.delta) - c.prv)).toBeLessThan(1e-5);
    });

  it('refuses a sigma that is not > 0, naming which', () => {
    expect(() => adafestMechanisms(run, 0)).toThrow(/sigma1/);
    expect(() => adafestMechanisms({ ...run, sigma: -1 }, 3)).toThrow(/sigma2/);
  });
});

describe('DP-FEST epsilon', () => {
  it("the histogram is one Gaussian mechanism (q = 1, one step): PRV's bound is the exact Gaussian epsilon", () => {
    const exact = gaussianEpsilon(5, 1e-5);
    const prv = accountantNamed('prv').epsilon(
      festMechanisms({ ...run, steps: 1, q: 1e-9 }, { kind: 'histogram', sigma: 5 }),
      1e-5,
    );
    // the training step at q = 1e-9 adds next to nothing; PRV is an upper bound within its eps error
    expect(prv).toBeGreaterThanOrEqual(exact - 1e-9);
    expect(prv).toBeLessThan(exact + 0.02);
  });

  for (const acc of ACCOUNTANTS)
    it(`${acc.name}: the histogram adds to the training's epsilon; a public prior adds nothing`, () => {
      const train = acc.epsilon([{ kind: 'poisson-gaussian', ...run, sample: 'batch' }], 1e-5);
      expect(acc.epsilon(festMechanisms(run, { kind: 'public' }), 1e-5)).toBe(train);
      const withHist = acc.epsilon(festMechanisms(run, { kind: 'histogram', sigma: 20 }), 1e-5);
      expect(withHist).toBeGreaterThan(train);
      // more histogram noise, less epsilon
      expect(acc.epsilon(festMechanisms(run, { kind: 'histogram', sigma: 40 }), 1e-5)).toBeLessThan(withHist);
      // DP-AdaFEST+ pays for both
      expect(acc.epsilon(adafestPlusMechanisms(run, 3, { kind: 'histogram', sigma: 20 }), 1e-5)).toBeGreaterThan(
        acc.epsilon(adafestMechanisms(run, 3), 1e-5),
      );
    });
});

describe('target-epsilon calibration of sigma2', () => {
  for (const acc of ACCOUNTANTS) {
    it(`${acc.name}: for a fixed sigma1, sigma2 meets the target and a bit less does not`, () => {
      const p = { targetEpsilon: 2, delta: 1e-5, q: 0.01, steps: 1000, selection: { sigma1: 5 } };
      const s2 = calibrateAdafestSigma(acc, p);
      const eps = (s: number) => acc.epsilon(adafestMechanisms({ q: 0.01, steps: 1000, sigma: s }, 5), 1e-5);
      expect(eps(s2)).toBeLessThanOrEqual(2);
      expect(eps(s2 * (1 - 10 * acc.calibrationTol))).toBeGreaterThan(2);
    });
    it(`${acc.name}: for a ratio sigma1 / sigma2`, () => {
      const s2 = calibrateAdafestSigma(acc, {
        targetEpsilon: 2,
        delta: 1e-5,
        q: 0.01,
        steps: 1000,
        selection: { ratio: 3 },
      });
      const eps = (s: number) => acc.epsilon(adafestMechanisms({ q: 0.01, steps: 1000, sigma: s }, 3 * s), 1e-5);
      expect(eps(s2)).toBeLessThanOrEqual(2);
      expect(eps(s2 * (1 - 10 * acc.calibrationTol))).toBeGreaterThan(2);
    });
  }
  it('a target the contribution map alone exceeds is refused, naming the selection sigma', () => {
    const p = { targetEpsilon: 0.5, delta: 1e-5, q: 0.01, steps: 1000, selection: { sigma1: 1 } };
    expect(() => calibrateAdafestSigma(accountantNamed('rdp'), p)).toThrow(/selection sigma \(sigma1\) 1: .*raise/);
    expect(() => calibrateAdafestSigma(accountantNamed('rdp'), { ...p, selection: { ratio: 0 } })).toThrow(/ratio/);
  });
});
