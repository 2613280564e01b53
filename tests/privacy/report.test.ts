// What a run's epsilon covers: a guarantee only for private algorithms with Poisson sampling and
// a random seed; every other case says why not.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { epsilonQualifier, fmtEpsilon, jsonInfinity, privacyReport } from '../../src/privacy/report';
import { epsilonAfter } from '../../src/engine/accounting';
import { exportMetadata } from '../../src/engine/export';

describe('privacyReport', () => {
  it('dpsgd, Poisson, random seed: a guarantee, with the uncovered outputs listed', () => {
    const r = privacyReport(makeConfig({ algo: 'dpsgd', accountant: 'rdp' }), { epsilon: 2.5, seedFixed: false });
    expect(r).toMatchObject({ accounting: 'rdp-poisson', guaranteed: true, epsilon: 2.5, reasons: [] });
    expect(r.notes.join(' ')).toMatch(/training loss .* not covered/);
    expect(r.notes.join(' ')).toMatch(/Box-Muller/);
  });
  for (const algo of ['dpsgd', 'lazydp', 'lazydp-exact'] as const) {
    it(`${algo}: shuffle sampling and a fixed seed each void the guarantee, and both are named`, () => {
      const shuffle = privacyReport(makeConfig({ algo, sampling: 'shuffle', accountant: 'rdp' }), {
        epsilon: 1,
        seedFixed: false,
      });
      expect(shuffle.guaranteed).toBe(false);
      expect(shuffle.accounting).toBe('rdp-poisson-not-guaranteed');
      expect(shuffle.reasons).toHaveLength(1);
      expect(shuffle.reasons[0]).toMatch(/shuffle/);
      const both = privacyReport(makeConfig({ algo, sampling: 'shuffle', seed: '9' }), { epsilon: 1, seedFixed: true });
      expect(both.reasons).toHaveLength(2);
      expect(both.reasons[1]).toMatch(/fixed seed/);
      expect(epsilonQualifier(makeConfig({ algo, seed: '9' }), true)).toMatch(/fixed seed/);
      expect(epsilonQualifier(makeConfig({ algo }), false)).toBeUndefined();
    });
  }
  it('a private run with no epsilon is no guarantee (nothing is claimed)', () => {
    const r = privacyReport(makeConfig({ algo: 'lazydp' }), { seedFixed: false });
    expect(r.guaranteed).toBe(false);
    expect(r.epsilon).toBeUndefined();
    expect(r.reasons.join(' ')).toMatch(/no epsilon was computed/);
  });
  it('sgd is never reported as private', () => {
    const r = privacyReport(makeConfig({ algo: 'sgd' }), { seedFixed: false });
    expect(r).toMatchObject({ accounting: 'none', guaranteed: false });
    expect(r.epsilon).toBeUndefined();
  });
});

describe('no effective noise is never a guarantee', () => {
  for (const algo of ['dpsgd', 'lazydp', 'lazydp-exact'] as const) {
    it(`${algo} with sigma 0 or a sigma too small for a finite epsilon: guaranteed false, "∞, no privacy"`, () => {
      for (const sigma of [0, 0.05]) {
        const c = makeConfig({ algo, sigma });
        const eps = epsilonAfter(c, sigma, c.steps);
        expect(eps).toBe(Infinity);
        const r = privacyReport(c, { epsilon: eps, seedFixed: false, sigma });
        expect(r.guaranteed).toBe(false);
        expect(r.accounting).toBe('prv-poisson-not-guaranteed'); // PRV is the default accountant
        expect(r.reasons.join(' ')).toMatch(/∞, no privacy/);
        expect(r.reasons[0]).toMatch(sigma === 0 ? /sigma 0 adds no noise/ : /sigma 0.05 adds too little noise/);
        // JSON keeps the infinity visible instead of null
        expect(JSON.parse(JSON.stringify(r, jsonInfinity)).epsilon).toBe('Infinity');
        expect(fmtEpsilon(eps)).toBe('∞, no privacy');
        expect(epsilonQualifier(c, false, eps)).toMatch(/no privacy/);
      }
    });
  }
  it('a finite epsilon keeps its guarantee and its number', () => {
    const c = makeConfig({ algo: 'dpsgd', sigma: 1 });
    const eps = epsilonAfter(c, 1, c.steps)!;
    expect(Number.isFinite(eps)).toBe(true);
    expect(privacyReport(c, { epsilon: eps, seedFixed: false, sigma: 1 }).guaranteed).toBe(true);
    expect(fmtEpsilon(2.34567)).toBe('2.35');
  });
  it('the exported metadata of a sigma-0 run says epsilon Infinity, not guaranteed', () => {
    const c = makeConfig({ algo: 'lazydp', sigma: 0 });
    const t = {
      config: c,
      sigma: 0,
      stepsDone: 10,
      seedFixed: false,
      dataset: { source: 'synthetic' },
      overflowBatches: 0,
      exportShapes: () => [],
      exportStream: async () => {},
    };
    const m = exportMetadata(t, { vendor: '', architecture: '', description: '' }, null);
    expect(m.epsilon).toBe('Infinity');
    expect(m.epsilon_guaranteed).toBe('false');
    expect(m.accounting).toBe('prv-poisson-not-guaranteed');
    expect(JSON.parse(m.privacy_reasons).join(' ')).toMatch(/∞, no privacy/);
  });
});
