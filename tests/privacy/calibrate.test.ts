import { describe, it, expect } from 'vitest';
import { calibrateSigma } from '../../src/privacy/calibrate';
import { computeEpsilon, TFP_ORDERS } from '../../src/privacy/rdp';

describe('calibrateSigma', () => {
  const cases = [
    { targetEpsilon: 8, q: 0.04, steps: 2250, delta: 1e-5 },
    { targetEpsilon: 1, q: 0.04, steps: 2250, delta: 1e-5 },
    { targetEpsilon: 3, q: 256 / 60000, steps: 10000, delta: 1e-5 },
    { targetEpsilon: 0.5, q: 1e-4, steps: 100000, delta: 1e-7 },
    { targetEpsilon: 50, q: 0.5, steps: 10, delta: 1e-5 },
    { targetEpsilon: 2, q: 1, steps: 1, delta: 1e-6 },
    { targetEpsilon: 1, q: 150 / 60000, steps: 6000, delta: 1e-5, orders: TFP_ORDERS },
  ];
  for (const c of cases) {
    it(`round-trips eps=${c.targetEpsilon}, q=${c.q}, steps=${c.steps}, delta=${c.delta}`, () => {
      const sigma = calibrateSigma(c);
      const at = (s: number) =>
        computeEpsilon({ q: c.q, sigma: s, steps: c.steps, delta: c.delta, orders: c.orders }).epsilon;
      expect(at(sigma)).toBeLessThanOrEqual(c.targetEpsilon);
      expect(at(sigma * (1 - 1e-4))).toBeGreaterThan(c.targetEpsilon);
      expect(at(sigma * (1 - 1e-8))).toBeGreaterThan(c.targetEpsilon); // default tol 1e-9
    });
  }

  it("sigma for Opacus' get_noise_multiplier setting (eps 8, q 0.04, 90 epochs) is just below its 1.416", () => {
    // Opacus' bisection stops once epsilon is within 0.01 of the target and returns the upper
    // end (its test: 1.416 to 4 places); the exact root lies slightly below.
    const sigma = calibrateSigma({ targetEpsilon: 8, q: 0.04, steps: 2250, delta: 1e-5 });
    expect(sigma).toBeGreaterThan(1.41);
    expect(sigma).toBeLessThan(1.416);
  });

  it('honours a coarser tolerance', () => {
    const sigma = calibrateSigma({ targetEpsilon: 2, q: 0.01, steps: 1000, delta: 1e-5, tol: 1e-3 });
    const fine = calibrateSigma({ targetEpsilon: 2, q: 0.01, steps: 1000, delta: 1e-5 });
    expect(sigma).toBeGreaterThanOrEqual(fine);
    expect(sigma / fine - 1).toBeLessThan(1e-3);
  });

  it('throws clear errors naming the wrong input', () => {
    const ok = { targetEpsilon: 1, q: 0.01, steps: 100, delta: 1e-5 };
    expect(() => calibrateSigma({ ...ok, targetEpsilon: 0 })).toThrow(/targetEpsilon/);
    expect(() => calibrateSigma({ ...ok, targetEpsilon: -1 })).toThrow(/targetEpsilon/);
    expect(() => calibrateSigma({ ...ok, targetEpsilon: NaN })).toThrow(/targetEpsilon/);
    expect(() => calibrateSigma({ ...ok, delta: 0 })).toThrow(/delta/);
    expect(() => calibrateSigma({ ...ok, delta: 1 })).toThrow(/delta/);
    expect(() => calibrateSigma({ ...ok, q: 0 })).toThrow(/q must be in \(0, 1\]/);
    expect(() => calibrateSigma({ ...ok, q: 1.5 })).toThrow(/q must be/);
    expect(() => calibrateSigma({ ...ok, steps: 0 })).toThrow(/steps/);
    expect(() => calibrateSigma({ ...ok, steps: 2.5 })).toThrow(/steps/);
  });

  it('throws for a target below what the RDP conversion can certify with any noise', () => {
    // With delta 1e-5 and orders up to 63, epsilon >= ~0.103 however large sigma is.
    expect(() => calibrateSigma({ targetEpsilon: 0.05, q: 0.01, steps: 100, delta: 1e-5 })).toThrow(
      /unreachable.*raise targetEpsilon or delta/,
    );
    // ...but just above the floor it works (with a large sigma).
    const sigma = calibrateSigma({ targetEpsilon: 0.12, q: 0.01, steps: 100, delta: 1e-5 });
    expect(computeEpsilon({ q: 0.01, sigma, steps: 100, delta: 1e-5 }).epsilon).toBeLessThanOrEqual(0.12);
  });
});
