// The engine's privacy report: epsilon at the config's delta, with the Poisson padding's
// truncation delta paid out of it; calibration to a target epsilon.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { epsilonAfter, maxBatchFor, resolveSigma } from '../../src/engine';
import { computeEpsilon } from '../../src/privacy/rdp';
import { truncationDelta, binomialTail } from '../../src/privacy/sampling';

describe('engine accounting', () => {
  const c = makeConfig({ algo: 'dpsgd', batch: 256, datasetSize: 32768, steps: 300, sigma: 1, delta: 1e-5 });
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
