// The PRV accountant (src/privacy/prv.ts) against reference values, the RDP accountant,
// calibration and phase composition.
import { describe, expect, it } from 'vitest';
import { calibrateSigma } from '../../src/privacy/calibrate';
import {
  ComposedPrv,
  composePrv,
  computePrvEpsilon,
  privacyProfile,
  profileDeltas,
  PrvPlan,
  prvEpsilon,
} from '../../src/privacy/prv';
import { computeEpsilon } from '../../src/privacy/rdp';

// Opacus' PRVAccountant (eps_error 0.01, delta_error = delta / 1000), one phase of N steps of
// the Poisson-subsampled Gaussian: lower / estimate / upper from DiscretePRV.compute_epsilon
// (Opacus reports `upper`). The first four were recorded in the design notes; all twelve were
// produced (the first four reproduced to the printed digits) by scripts/opacus-prv-reference.py
// run on pytorch/opacus at commit 4d0ebc84613d214fbfd37fbfd1390e3747a625ce (2025-09-16) with
// Python 3, numpy 2.4, scipy 1.17: Opacus' accountants/prv.py, accountants/rdp.py,
// accountants/analysis/rdp.py and accountants/analysis/prv/*.py imported unchanged (only the
// torch-importing IAccountant base replaced by a stub holding `history`), history set to
// [(sigma, q, steps)], PRVAccountant._get_dprv(eps_error=0.01, delta_error=delta/1000), then
// compute_epsilon(delta, delta_error, eps_error), printed to 6 decimals.
const OPACUS: {
  q: number;
  sigma: number;
  steps: number;
  delta: number;
  lower: number;
  estimate: number;
  upper: number;
}[] = [
  { q: 0.01, sigma: 1.2, steps: 2000, delta: 1e-5, lower: 1.84977, estimate: 1.85989, upper: 1.870011 },
  { q: 0.05, sigma: 1.5, steps: 400, delta: 1e-5, lower: 3.350229, estimate: 3.360434, upper: 3.37064 },
  { q: 0.001, sigma: 0.9, steps: 10000, delta: 1e-6, lower: 0.677161, estimate: 0.687204, upper: 0.697246 },
  { q: 0.5, sigma: 3.0, steps: 40, delta: 1e-5, lower: 4.95458, estimate: 4.964855, upper: 4.975131 },
  { q: 1, sigma: 5, steps: 10, delta: 1e-5, lower: 2.584236, estimate: 2.594386, upper: 2.604536 },
  { q: 0.002, sigma: 0.7, steps: 20000, delta: 1e-5, lower: 3.406333, estimate: 3.416567, upper: 3.426801 },
  { q: 0.0078, sigma: 1, steps: 20000, delta: 1e-6, lower: 7.651376, estimate: 7.661697, upper: 7.672017 },
  { q: 0.01, sigma: 1, steps: 20000, delta: 1e-5, lower: 9.257046, estimate: 9.267494, upper: 9.277943 },
  { q: 0.002048, sigma: 1.1, steps: 5000, delta: 1e-6, lower: 0.699369, estimate: 0.70941, upper: 0.719451 },
  { q: 0.1, sigma: 2, steps: 1000, delta: 1e-6, lower: 9.171618, estimate: 9.181992, upper: 9.192366 },
  { q: 0.25, sigma: 5, steps: 100, delta: 1e-5, lower: 2.059331, estimate: 2.069459, upper: 2.079587 },
  { q: 0.05, sigma: 0.8, steps: 500, delta: 1e-6, lower: 13.545583, estimate: 13.556223, upper: 13.566865 },
];

// q = 1: N steps of the Gaussian mechanism with noise multiplier s are one Gaussian mechanism
// with s / sqrt(N), whose exact epsilon(delta) is known (Balle & Wang 2018, Theorem 8:
// delta = Phi(1/(2s) - eps s) - e^eps Phi(-1/(2s) - eps s)). Produced with mpmath at 50 digits,
// bisection on eps to 200 halvings, printed to 15 significant digits. The accountant's band
// around the exact value is the one Opacus' own bounds give: [exact - epsError, exact + epsError]
// up to the delta error.
const EXACT: { sigma: number; steps: number; delta: number; epsilon: number }[] = [
  { sigma: 5, steps: 10, delta: 1e-5, epsilon: 2.59438338052761 },
  { sigma: 3, steps: 20, delta: 1e-6, epsilon: 7.74985684782668 },
  { sigma: 4, steps: 100, delta: 1e-6, epsilon: 14.4507769659914 },
];

describe('PRV accountant', () => {
  for (const r of OPACUS) {
    it(`matches Opacus' PRV band at q ${r.q}, sigma ${r.sigma}, ${r.steps} steps, delta ${r.delta}`, () => {
      const e = computePrvEpsilon(r);
      // the reported epsilon (upper bound): not below Opacus' lower estimate, at most 1% above its upper
      expect(e.epsilon).toBeGreaterThanOrEqual(r.lower);
      expect(e.epsilon).toBeLessThanOrEqual(r.upper * 1.01);
      // the same algorithm gives the same numbers to well within the mesh error
      expect(e.epsilon).toBeCloseTo(r.upper, 4);
      expect(e.estimate).toBeCloseTo(r.estimate, 4);
      expect(e.lower).toBeCloseTo(r.lower, 4);
      expect(e.lower).toBeLessThan(e.estimate);
      expect(e.estimate).toBeLessThan(e.epsilon);
      expect(e.epsError).toBe(0.01);
      expect(e.deltaError).toBeCloseTo(r.delta / 1000, 20);
    });
  }

  for (const r of EXACT) {
    it(`brackets the exact epsilon of q = 1, sigma ${r.sigma}, ${r.steps} steps, delta ${r.delta}`, () => {
      const e = computePrvEpsilon({ q: 1, sigma: r.sigma, steps: r.steps, delta: r.delta });
      expect(e.epsilon).toBeGreaterThanOrEqual(r.epsilon);
      expect(e.epsilon).toBeLessThanOrEqual((r.epsilon + 0.01) * 1.01);
      expect(e.lower).toBeLessThanOrEqual(r.epsilon);
      expect(Math.abs(e.estimate - r.epsilon)).toBeLessThan(0.01);
    });
  }

  it('never exceeds the RDP epsilon on the same settings', () => {
    const settings = [
      ...OPACUS,
      ...EXACT.map((r) => ({ ...r, q: 1 })),
      { q: 0.002048, sigma: 1.1, steps: 5000, delta: 1e-6 },
      { q: 0.002, sigma: 0.7, steps: 20000, delta: 1e-5 },
      { q: 0.01, sigma: 5, steps: 10, delta: 1e-5 },
    ];
    for (const s of settings) {
      const prv = computePrvEpsilon(s).epsilon;
      const rdp = computeEpsilon(s).epsilon;
      expect(prv, JSON.stringify(s)).toBeLessThanOrEqual(rdp);
      expect(prv).toBeGreaterThan(0);
    }
    // the example: RDP 0.988, PRV about 0.72
    const e = computePrvEpsilon({ q: 0.002048, sigma: 1.1, steps: 5000, delta: 1e-6 });
    expect(e.epsilon).toBeGreaterThan(0.7);
    expect(e.epsilon).toBeLessThan(0.74);
  });

  it('two phases with the same sigma and q equal the single run', () => {
    const one = prvEpsilon([{ q: 0.01, sigma: 1.2, steps: 2000 }], 1e-5);
    const two = prvEpsilon(
      [
        { q: 0.01, sigma: 1.2, steps: 1200 },
        { q: 0.01, sigma: 1.2, steps: 800 },
      ],
      1e-5,
    );
    expect(two).toEqual(one);
    // without merging: a plan of two identical phases composes to the same distribution
    const plan = new PrvPlan(
      [
        { q: 0.01, sigma: 1.2, steps: 1200 },
        { q: 0.01, sigma: 1.2, steps: 800 },
      ],
      { deltaError: 1e-8 },
    );
    const single = new PrvPlan([{ q: 0.01, sigma: 1.2, steps: 2000 }], { deltaError: 1e-8 });
    const a = plan.compose().epsilon(1e-5),
      b = single.compose().epsilon(1e-5);
    expect(a.estimate).toBeCloseTo(b.estimate, 9);
    expect(a.epsilon).toBeCloseTo(b.epsilon, 9);
  });

  it('composes phases with different sigma or q (a resumed run) between the single-phase runs', () => {
    const lo = prvEpsilon([{ q: 0.01, sigma: 1.5, steps: 2000 }], 1e-5).estimate;
    const hi = prvEpsilon([{ q: 0.01, sigma: 1.0, steps: 2000 }], 1e-5).estimate;
    const mixed = prvEpsilon(
      [
        { q: 0.01, sigma: 1.0, steps: 1000 },
        { q: 0.01, sigma: 1.5, steps: 1000 },
      ],
      1e-5,
    );
    expect(mixed.estimate).toBeGreaterThan(lo + 0.05);
    expect(mixed.estimate).toBeLessThan(hi - 0.05);
    // order does not matter
    const swapped = prvEpsilon(
      [
        { q: 0.01, sigma: 1.5, steps: 1000 },
        { q: 0.01, sigma: 1.0, steps: 1000 },
      ],
      1e-5,
    );
    expect(swapped.estimate).toBeCloseTo(mixed.estimate, 9);
    // a change of q as well, still below RDP's bound for the same history
    const qs = prvEpsilon(
      [
        { q: 0.01, sigma: 1.2, steps: 1000 },
        { q: 0.02, sigma: 1.2, steps: 500 },
      ],
      1e-5,
    );
    const rdp1 = computeEpsilon({ q: 0.01, sigma: 1.2, steps: 1000, delta: 1e-5 });
    expect(qs.epsilon).toBeGreaterThan(computePrvEpsilon({ q: 0.01, sigma: 1.2, steps: 1000, delta: 1e-5 }).epsilon);
    expect(qs.epsilon).toBeGreaterThan(rdp1.epsilon * 0.5);
  });

  it('a plan made for N steps gives, for n < N, epsilon within the error band of a plan made for n', () => {
    const plan = new PrvPlan([{ q: 0.01, sigma: 1.2, steps: 2000 }], { deltaError: 1e-8 });
    for (const n of [1, 50, 700, 2000]) {
      const fromPlan = plan.compose([n]).epsilon(1e-5);
      const own = computePrvEpsilon({ q: 0.01, sigma: 1.2, steps: n, delta: 1e-5 });
      expect(Math.abs(fromPlan.estimate - own.estimate)).toBeLessThan(0.01);
      expect(fromPlan.epsilon).toBeGreaterThanOrEqual(own.lower);
    }
    let prev = 0;
    for (const n of [10, 100, 500, 1000, 2000]) {
      const e = plan.compose([n]).epsilon(1e-5).epsilon;
      expect(e).toBeGreaterThan(prev);
      prev = e;
    }
  });

  it('a plan made once composes once, as a reusable plan does every time', () => {
    const phases = [{ q: 0.01, sigma: 1.2, steps: 2000 }];
    const reusable = new PrvPlan(phases, { deltaError: 1e-8 });
    const once = new PrvPlan(phases, { deltaError: 1e-8, once: true });
    const a = reusable.compose().epsilon(1e-5);
    expect(reusable.compose().epsilon(1e-5)).toEqual(a); // its spectrum is left as it was
    expect(reusable.compose([700]).epsilon(1e-5).epsilon).toBeLessThan(a.epsilon);
    expect(reusable.compose().epsilon(1e-5)).toEqual(a);
    expect(once.compose().epsilon(1e-5)).toEqual(a);
    expect(() => once.compose()).toThrow(/compose once/);
  });

  it("the composition's block sums answer as full suffix sums over the rolled masses do", () => {
    // masses in the inverse transform's order: the one at t_i = t0 + i dt is at (i + roll) mod n
    const n = 1000, // not a multiple of the block, so the last block is partial
      roll = 377,
      t0 = -2,
      dt = 0.01;
    let s = 12345;
    const p = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      p[i] = (s / 2 ** 31) * Math.exp(-((i - 400) ** 2) / 20000);
    }
    const sum = p.reduce((a, x) => a + x, 0);
    for (let i = 0; i < n; i++) p[i] /= sum;
    const mass = (i: number) => p[(i + roll) % n];
    // delta(eps) = sum over t_j > eps of p_j (1 - exp(eps - t_j)), term by term
    const deltaOf = (eps: number) => {
      let d = 0;
      for (let j = 0; j < n; j++) if (t0 + j * dt > eps) d += mass(j) * (1 - Math.exp(eps - (t0 + j * dt)));
      return d;
    };
    const c = new ComposedPrv(t0, dt, p, roll, 0.01, 1e-9);
    for (const eps of [-1.5, 0.003, 1.234, 5]) expect(c.deltaEstimate(eps)).toBeCloseTo(deltaOf(eps), 14);
    for (const delta of [1e-3, 1e-2, 0.1]) {
      const eps = c.discreteEpsilon(delta);
      expect(deltaOf(eps)).toBeCloseTo(delta, 12);
    }
    expect(() => new ComposedPrv(t0, dt, p, n, 0.01, 1e-9)).toThrow(/roll/);
  });

  it('calibration round-trips: sigma for a target epsilon, then epsilon for that sigma', () => {
    for (const [target, q, steps, delta] of [
      [2, 0.01, 2000, 1e-5],
      [0.8, 0.002048, 5000, 1e-6],
    ] as const) {
      const sigma = calibrateSigma({ targetEpsilon: target, q, steps, delta, accountant: 'prv' });
      const eps = computePrvEpsilon({ q, sigma, steps, delta }).epsilon;
      expect(eps).toBeLessThanOrEqual(target);
      expect(eps).toBeGreaterThan(target * 0.995);
      // PRV needs less noise than RDP for the same target
      expect(sigma).toBeLessThan(calibrateSigma({ targetEpsilon: target, q, steps, delta }));
    }
  });

  it('the privacy profile: epsilon falls as delta grows, each point as from its own composition', () => {
    const phases = [{ q: 0.01, sigma: 1.2, steps: 2000 }];
    const deltas = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3];
    const prof = privacyProfile(phases, deltas);
    for (let i = 1; i < prof.length; i++) expect(prof[i].epsilon).toBeLessThan(prof[i - 1].epsilon);
    const own = prvEpsilon(phases, 1e-5);
    expect(Math.abs(prof[2].estimate - own.estimate)).toBeLessThan(0.01);
    expect(prof[2].epsilon).toBeGreaterThanOrEqual(own.lower);
    // delta(eps) and eps(delta) of the same composition agree
    const c = composePrv(phases, { deltaError: 1e-10 });
    const eps = c.epsilon(1e-5).estimate;
    expect(c.deltaEstimate(eps)).toBeCloseTo(1e-5, 12);
    // the lab's profile deltas: decades from delta / 1000 up to 0.1, with delta itself, never below PRV's floor
    expect(profileDeltas(1e-5)).toEqual([1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
    expect(profileDeltas(3e-6)).toEqual([1e-8, 1e-7, 1e-6, 3e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
    expect(profileDeltas(1e-9)[0]).toBe(1e-9);
  });

  it('edge cases: nothing released, no noise, bad input', () => {
    expect(computePrvEpsilon({ q: 0, sigma: 1, steps: 100, delta: 1e-5 }).epsilon).toBe(0);
    expect(computePrvEpsilon({ q: 0.1, sigma: 1, steps: 0, delta: 1e-5 }).epsilon).toBe(0);
    expect(computePrvEpsilon({ q: 0.1, sigma: 0, steps: 10, delta: 1e-5 }).epsilon).toBe(Infinity);
    expect(() => computePrvEpsilon({ q: 0.5, sigma: 0.05, steps: 100, delta: 1e-5 })).toThrow(
      /sigma is too small for the PRV/,
    );
    expect(() => computePrvEpsilon({ q: 1.5, sigma: 1, steps: 10, delta: 1e-5 })).toThrow(/q must be/);
    expect(() => computePrvEpsilon({ q: 0.1, sigma: -1, steps: 10, delta: 1e-5 })).toThrow(/sigma/);
    expect(() => computePrvEpsilon({ q: 0.1, sigma: 1, steps: 2.5, delta: 1e-5 })).toThrow(/steps/);
    expect(() => computePrvEpsilon({ q: 0.1, sigma: 1, steps: 10, delta: 1e-12 })).toThrow(/delta must be in \[1e-9/);
    expect(() => computePrvEpsilon({ q: 0.1, sigma: 1, steps: 10, delta: 1e-5, epsError: 0 })).toThrow(/epsError/);
  });
});
