// Which algorithms gradient canaries can audit: those that update every row a gradient reaches.
// DP-FEST and DP-AdaFEST update only selected rows, which a canary's rows never are.
import { describe, expect, it } from 'vitest';
import { makeConfig, ConfigError } from '../../src/config/config';
import { ALGORITHMS } from '../../src/algorithms';
import { checkAudit } from '../../src/audit/run';

describe('gradient canaries and row selection', () => {
  for (const a of ALGORITHMS.filter((x) => x.private && x.audit.runs)) {
    const selects = !['eager', 'lazy', 'lazy-exact'].includes(a.tableNoise);
    it(`${a.name}: gradient canaries ${selects ? 'refused (rows are selected)' : 'accepted'}; input canaries accepted`, () => {
      const c = makeConfig({ algo: a.name });
      if (selects) {
        expect(() => checkAudit(c, 'none', 100, 'gradient')).toThrow(ConfigError);
        expect(() => checkAudit(c, 'none', 100, 'gradient')).toThrow(/--canary-kind input/);
      } else expect(() => checkAudit(c, 'none', 100, 'gradient')).not.toThrow();
      expect(() => checkAudit(c, 'none', 100, 'input')).not.toThrow();
    });
  }
  it('the registry holds an algorithm that selects rows (the refusal is exercised)', () => {
    expect(ALGORITHMS.some((a) => a.private && !['eager', 'lazy', 'lazy-exact'].includes(a.tableNoise))).toBe(true);
  });
});
