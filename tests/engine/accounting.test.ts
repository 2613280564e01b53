// The engine's privacy report: epsilon at the config's delta, with the Poisson padding's
// truncation delta paid out of it; calibration to a target epsilon.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { epsilonAfter, epsilonLogged, maxBatchFor, resolveSigma } from '../../src/engine';
import { computePrvEpsilon } from '../../src/privacy/prv';
import { computeEpsilon } from '../../src/privacy/rdp';
import { truncationDelta, binomialTail } from '../../src/privacy/sampling';

describe('engine accounting', () => {
  const c = makeConfig({
    algo: 'dpsgd',
    batch: 256,
    datasetSize: 32768,
    steps: 300,
    sigma: 1,
    delta: 1e-5,
    accountant: 'rdp',
  });
  it('Poisson padding keeps the overflow cost within 1% of delta', () => {
    const m = maxBatchFor(c);
    const q = c.batch / c.datasetSize;
    expect(m).toBeGreaterThan(c.batch);
    expect(m).toBeLessThan(c.batch * 2);
    const eps = epsilonAfter(c, 1, c.steps)!;
    expect(truncationDelta(c.datasetSize, q, m, c.steps, eps)).toBeLessThanOrEqual(0.01 * c.delta);
    expect(binomialTail(c.datasetSize, q, m - 1)).toBeGreaterThan(binomialTail(c.datasetSize, q, m));
  });
  it('epsilon is at least the pure Poisson RDP epsilon at delta, and equals it for shuffle (labelled elsewhere)', () => {
    const q = c.batch / c.datasetSize;
    const plain = computeEpsilon({ q, sigma: 1, steps: 300, delta: 1e-5 }).epsilon;
    const e = epsilonAfter(c, 1, 300)!;
    expect(e).toBeGreaterThanOrEqual(plain);
    expect(e).toBeLessThan(plain * 1.01);
    const sh = makeConfig({ ...c, sampling: 'shuffle' });
    expect(epsilonAfter(sh, 1, 300)).toBe(plain);
    expect(epsilonAfter(makeConfig({ ...c, algo: 'sgd' }), 1, 300)).toBeUndefined();
    expect(epsilonAfter(c, 0, 300)).toBe(Infinity);
  });
  it("the padding is sized by the step's own multiplier: DP-AdaFEST's overflow stays within 1% of delta at its epsilon", () => {
    const ada = makeConfig({ ...c, algo: 'dp-adafest', sigma: 1.2, selectionSigma: 1 });
    const m = maxBatchFor(ada);
    const eps = epsilonAfter(ada, ada.sigma, ada.steps)!;
    expect(truncationDelta(ada.datasetSize, ada.batch / ada.datasetSize, m, ada.steps, eps)).toBeLessThanOrEqual(
      0.01 * ada.delta,
    );
    // the same per-step mechanism as DP-SGD at sigma_eff = (1 + 1.2^-2)^(-1/2): the same padding
    expect(m).toBe(maxBatchFor(makeConfig({ ...c, sigma: (1 + 1.2 ** -2) ** -0.5 })));
  });
  it("an unreachable target names the algorithm's own releases that spend epsilon by themselves", () => {
    const ada = makeConfig({ ...c, algo: 'dp-adafest', selectionSigma: 1, targetEpsilon: 0.3 });
    expect(() => resolveSigma(ada)).toThrow(/selectionSigma 1\) alone spend epsilon \d+\.\d+ .*raise selectionSigma/);
    const worse = makeConfig({ ...ada, selectionSigma: 0.3 });
    expect(() => resolveSigma(worse)).toThrow(/alone spend more than any finite epsilon/);
    // an algorithm without releases of its own says nothing more
    expect(() => resolveSigma(makeConfig({ ...c, targetEpsilon: 1e-4 }))).not.toThrow(/other releases/);
  });
  it('epsilon grows with steps', () => {
    let prev = 0;
    for (const s of [1, 10, 100, 300]) {
      const e = epsilonAfter(c, 1, s)!;
      expect(e).toBeGreaterThan(prev);
      prev = e;
    }
  });
  it('targetEpsilon calibrates sigma so the reported epsilon meets it', () => {
    const t = makeConfig({ ...c, targetEpsilon: 3 });
    const sigma = resolveSigma(t);
    expect(epsilonAfter(t, sigma, t.steps)!).toBeLessThanOrEqual(3);
    expect(epsilonAfter(t, sigma * 0.98, t.steps)!).toBeGreaterThan(3);
  });
});

describe('engine accounting with the PRV accountant (the default)', () => {
  const c = makeConfig({ algo: 'dpsgd', batch: 256, datasetSize: 32768, steps: 300, sigma: 1, delta: 1e-5 });
  const q = c.batch / c.datasetSize;
  it('is the default, and its epsilon lies between the pure PRV bound and RDP', () => {
    expect(c.accountant).toBe('prv');
    const e = epsilonAfter(c, 1, 300)!;
    const plain = computePrvEpsilon({ q, sigma: 1, steps: 300, delta: 1e-5 }).epsilon;
    expect(e).toBeGreaterThanOrEqual(plain);
    expect(e).toBeLessThan(plain * 1.01);
    expect(e).toBeLessThan(epsilonAfter(makeConfig({ ...c, accountant: 'rdp' }), 1, 300)!);
    expect(epsilonAfter(c, 0, 300)).toBe(Infinity);
    expect(epsilonAfter(c, 1, 0)).toBe(0);
    // so little noise that PRV's domain is out of range: no finite epsilon, never a number that looks like one
    expect(epsilonAfter(c, 0.02, 300)).toBe(Infinity);
  });
  it('targetEpsilon calibrates sigma with PRV: less noise than RDP for the same target', () => {
    const t = makeConfig({ ...c, targetEpsilon: 3 });
    const sigma = resolveSigma(t);
    expect(epsilonAfter(t, sigma, t.steps)!).toBeLessThanOrEqual(3);
    expect(epsilonAfter(t, sigma * 0.98, t.steps)!).toBeGreaterThan(3);
    expect(sigma).toBeLessThan(resolveSigma(makeConfig({ ...t, accountant: 'rdp' })));
  });
  it('the log-point epsilon is an upper bound that grows with steps and is exact at the end', () => {
    let prev = 0;
    for (const s of [1, 10, 50, 100, 299]) {
      const logged = epsilonLogged(c, 1, s)!;
      expect(logged).toBeGreaterThanOrEqual(epsilonAfter(c, 1, s)!);
      expect(logged).toBeGreaterThanOrEqual(prev);
      prev = logged;
    }
    expect(epsilonLogged(c, 1, 300)).toBe(epsilonAfter(c, 1, 300));
    const r = makeConfig({ ...c, accountant: 'rdp' });
    expect(epsilonLogged(r, 1, 37)).toBe(epsilonAfter(r, 1, 37));
  });
  it('refuses a delta too small for PRV, naming delta', () => {
    expect(() => makeConfig({ ...c, delta: 1e-12 })).toThrow(/delta: the PRV accountant needs delta >= 1e-9/);
    expect(makeConfig({ ...c, delta: 1e-12, accountant: 'rdp' }).delta).toBe(1e-12);
  });
});
