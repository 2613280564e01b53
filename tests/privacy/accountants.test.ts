// The accountants behind one interface (src/privacy/accountants): the registry, the same numbers
// as the accountants' own functions, and compositions of several mechanisms per step.
import { describe, expect, it } from 'vitest';
import { ACCOUNTANTS as NAMES } from '../../src/config/config';
import {
  ACCOUNTANTS,
  accountantNamed,
  calibrateWith,
  type Mechanism,
  sigmaEff,
  UnknownAccountantError,
} from '../../src/privacy/accountants';
import { computePrvEpsilon, privacyProfile } from '../../src/privacy/prv';
import { computeEpsilon, computeRdp, OPACUS_ORDERS, rdpToEpsilon } from '../../src/privacy/rdp';

const pg = (q: number, sigma: number, steps: number, sample = 'batch'): Mechanism => ({
  kind: 'poisson-gaussian',
  q,
  sigma,
  steps,
  sample,
});

describe('the accountant registry', () => {
  it('holds exactly the names the config accepts', () => {
    expect(ACCOUNTANTS.map((a) => a.name).sort()).toEqual([...NAMES].sort());
  });
  it('throws a specific error for a name it does not hold (no fallback, names are case-sensitive)', () => {
    for (const bad of ['gdp', 'PRV', '']) {
      expect(() => accountantNamed(bad)).toThrow(UnknownAccountantError);
      expect(() => accountantNamed(bad)).toThrow(`unknown accountant '${bad}': use one of prv, rdp`);
    }
  });
});

describe('through the interface, the same numbers as before', () => {
  const [q, sigma, steps, delta] = [0.01, 1.2, 2000, 1e-5];
  it('RDP: epsilon, plan and profile equal computeEpsilon exactly', () => {
    const rdp = accountantNamed('rdp');
    expect(rdp.epsilon([pg(q, sigma, steps)], delta)).toBe(computeEpsilon({ q, sigma, steps, delta }).epsilon);
    const plan = rdp.plan([pg(q, sigma, steps)], { deltaError: delta / 1000 });
    for (const n of [1, 700, 2000])
      expect(plan.epsilon(n, delta)).toBe(computeEpsilon({ q, sigma, steps: n, delta }).epsilon);
    expect(rdp.profile([pg(q, sigma, steps)], [1e-6, 1e-5])).toEqual(
      [1e-6, 1e-5].map((d) => computeEpsilon({ q, sigma, steps, delta: d }).epsilon),
    );
    expect(rdp.epsilon([pg(0, sigma, steps)], delta)).toBe(0);
  });
  it('PRV: epsilon and profile equal computePrvEpsilon and privacyProfile exactly', () => {
    const prv = accountantNamed('prv');
    expect(prv.epsilon([pg(q, sigma, steps)], delta)).toBe(computePrvEpsilon({ q, sigma, steps, delta }).epsilon);
    expect(prv.profile([pg(q, sigma, steps)], [1e-6, 1e-5])).toEqual(
      privacyProfile([{ q, sigma, steps }], [1e-6, 1e-5]).map((e) => e.epsilon),
    );
    expect(prv.epsilon([pg(q, 0, steps)], delta)).toBe(Infinity);
  });
});

describe('several mechanisms per step', () => {
  it('independent mechanisms: RDP adds, exactly', () => {
    const a = pg(0.01, 1.2, 700, 'a');
    const b = pg(0.03, 2.5, 300, 'b');
    const sum = computeRdp(a.q, a.sigma, a.steps, OPACUS_ORDERS).map(
      (r, i) => r + computeRdp(b.q, b.sigma, b.steps, OPACUS_ORDERS)[i],
    );
    expect(accountantNamed('rdp').epsilon([a, b], 1e-5)).toBe(rdpToEpsilon(OPACUS_ORDERS, sum, 1e-5).epsilon);
  });
  it('independent mechanisms: PRV of two halves is PRV of the whole run', () => {
    const prv = accountantNamed('prv');
    expect(prv.epsilon([pg(0.01, 1.2, 500, 'first'), pg(0.01, 1.2, 500, 'second')], 1e-5)).toBe(
      prv.epsilon([pg(0.01, 1.2, 1000)], 1e-5),
    );
  });

  // DESIGN §14: DP-AdaFEST's two Gaussians on one Poisson sample are one Gaussian at sigma_eff;
  // reference values from Opacus' PRVAccountant (upper bound, eps_error 0.01) and RDPAccountant.
  const cases = [
    { s1: 3.0, s2: 1.2, q: 0.01, steps: 1000, delta: 1e-5, eff: 1.114172, prv: 1.4901, rdp: 1.668198 },
    { s1: 10.0, s2: 1.0, q: 0.02, steps: 3000, delta: 1e-6, eff: 0.995037, prv: 7.941107, rdp: 8.548706 },
  ];
  for (const c of cases) {
    it(`two Gaussians on one sample (sigma ${c.s1} and ${c.s2}, q ${c.q}, ${c.steps} steps) are one at sigma_eff`, () => {
      const pair = [pg(c.q, c.s1, c.steps, 'batch'), pg(c.q, c.s2, c.steps, 'batch')];
      const eff = sigmaEff([c.s1, c.s2]);
      expect(Math.abs(eff - c.eff)).toBeLessThan(1e-6);
      const rdp = accountantNamed('rdp').epsilon(pair, c.delta);
      expect(rdp).toBe(computeEpsilon({ q: c.q, sigma: eff, steps: c.steps, delta: c.delta }).epsilon);
      expect(Math.abs(rdp - c.rdp)).toBeLessThan(1e-6);
      expect(Math.abs(accountantNamed('prv').epsilon(pair, c.delta) - c.prv)).toBeLessThan(1e-5);
      // on independent samples each Gaussian's subsampling would count: a smaller epsilon, so
      // taking one sample's mechanisms for independent ones would understate it
      const apart = [pg(c.q, c.s1, c.steps, 'a'), pg(c.q, c.s2, c.steps, 'b')];
      expect(accountantNamed('rdp').epsilon(apart, c.delta)).toBeLessThan(rdp);
    });
  }

  it('mechanisms on one sample must share q and steps', () => {
    expect(() => accountantNamed('rdp').epsilon([pg(0.01, 1, 10, 's'), pg(0.02, 1, 10, 's')], 1e-5)).toThrow(
      /sample 's'/,
    );
  });

  it('one calibration for all: sigma for a pair scaled together meets the target, a bit less does not', () => {
    for (const acc of ACCOUNTANTS) {
      const mechanismsAt = (s: number) => [pg(0.01, 2.5 * s, 1000, 'b'), pg(0.01, s, 1000, 'b')];
      const s = calibrateWith(acc, { targetEpsilon: 2, delta: 1e-5, mechanismsAt });
      expect(acc.epsilon(mechanismsAt(s), 1e-5)).toBeLessThanOrEqual(2);
      expect(acc.epsilon(mechanismsAt(s * (1 - 10 * acc.calibrationTol)), 1e-5)).toBeGreaterThan(2);
    }
  });
});
