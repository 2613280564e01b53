// The shuffle warning names the accountant the run uses (PRV by default), never another one.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { privacyReport } from '../../src/privacy/report';
import { SHUFFLE_WARNING, shuffleWarning } from '../../src/privacy/sampling';

describe('shuffle warning', () => {
  it("names the run's accountant in the privacy report", () => {
    const prv = privacyReport(makeConfig({ algo: 'dpsgd', sampling: 'shuffle' }), { epsilon: 2, seedFixed: false });
    expect(prv.reasons.join(' ')).toMatch(/does not match the PRV accountant's assumption of Poisson sampling/);
    expect(prv.reasons.join(' ')).not.toMatch(/RDP/);
    const rdp = privacyReport(makeConfig({ algo: 'dpsgd', sampling: 'shuffle', accountant: 'rdp' }), {
      epsilon: 2,
      seedFixed: false,
    });
    expect(rdp.reasons.join(' ')).toMatch(/does not match the RDP accountant's assumption/);
    expect(shuffleWarning('prv')).toMatch(/PRV accountant/);
    // the text without an accountant (where none is known) names neither
    expect(SHUFFLE_WARNING).not.toMatch(/RDP|PRV/);
  });
});
