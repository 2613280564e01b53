// What a run's epsilon covers: a guarantee only for private algorithms with Poisson sampling and
// a random seed; every other case says why not.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { epsilonQualifier, privacyReport } from '../../src/privacy/report';

describe('privacyReport', () => {
  it('dpsgd, Poisson, random seed: a guarantee, with the uncovered outputs listed', () => {
    const r = privacyReport(makeConfig({ algo: 'dpsgd', accountant: 'rdp' }), { epsilon: 2.5, seedFixed: false });
    expect(r).toMatchObject({ accounting: 'rdp-poisson', guaranteed: true, epsilon: 2.5, reasons: [] });
    expect(r.notes.join(' ')).toMatch(/training loss .* not covered/);
    expect(r.notes.join(' ')).toMatch(/Box-Muller/);
  });
  for (const algo of ['dpsgd', 'lazydp', 'lazydp-exact'] as const) {
    it(`${algo}: shuffle sampling and a fixed seed each void the guarantee, and both are named`, () => {
      const shuffle = privacyReport(makeConfig({ algo, sampling: 'shuffle', accountant: 'rdp' }), { epsilon: 1, seedFixed: false });
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
  it('sgd is never reported as private', () => {
    const r = privacyReport(makeConfig({ algo: 'sgd' }), { seedFixed: false });
    expect(r).toMatchObject({ accounting: 'none', guaranteed: false });
    expect(r.epsilon).toBeUndefined();
  });
});
