// PRV refusals say what to change: the RDP accountant, more noise, fewer steps or a larger delta,
// in the CLI's words (flags) or the lab's (controls); no internal text (NaN, "mesh", "below").
import { describe, expect, it } from 'vitest';
import { computePrvEpsilon, privacyProfile } from '../../src/privacy/prv';
import { PrvRefusal } from '../../src/privacy/prv-refusal';
import { privacyCommand } from '../../src/cli/privacy';

function refusal(f: () => unknown): PrvRefusal {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PrvRefusal);
    return e as PrvRefusal;
  }
  throw new Error('no refusal');
}

const cli = (q: string, sigma: string, steps: string, delta: string) => () =>
  privacyCommand({ q, sigma, steps, delta });

describe('PRV refusals name what to change', () => {
  it('sigma 1 with q near 1, or 1e7 steps: the RDP accountant, more noise or fewer steps', () => {
    for (const p of [
      { q: 0.99, sigma: 1, steps: 1000, delta: 1e-5 },
      { q: 0.01, sigma: 1, steps: 10_000_000, delta: 1e-5 },
    ]) {
      const e = refusal(() => computePrvEpsilon(p));
      expect(e.message).toMatch(/sigma is too small for the PRV accountant/);
      expect(e.message).toMatch(/choose the RDP accountant, raise noise σ or lower steps$/);
      expect(e.textFor('cli')).toMatch(/use --accountant rdp, raise --sigma or lower --steps$/);
    }
    expect(cli('0.99', '1', '1000', '1e-5')).toThrow(/^sigma is too small .*: use --accountant rdp, raise --sigma/);
  });

  it('a delta below the smallest PRV takes: the RDP accountant or a larger delta, never "the RDP accountant below"', () => {
    const e = refusal(() => computePrvEpsilon({ q: 0.01, sigma: 1, steps: 100, delta: 1e-12 }));
    expect(e.message).not.toMatch(/accountant below/);
    expect(e.message).toMatch(/got 1e-12.*: choose the RDP accountant or raise δ$/);
    expect(cli('0.01', '1', '100', '1e-12')).toThrow(/: use --accountant rdp or raise --delta$/);
    expect(() => privacyProfile([{ q: 0.01, sigma: 1, steps: 100 }], [1e-12])).toThrow(PrvRefusal);
  });

  it('numerics that fail (q 1, sigma 0.1, delta 1e-9): plain words and what to change, no NaN', () => {
    const e = refusal(() => computePrvEpsilon({ q: 1, sigma: 0.1, steps: 1, delta: 1e-9 }));
    expect(e.message).not.toMatch(/NaN|discrete mean|mesh/);
    expect(e.message).toMatch(/sigma 0\.1 at q 1 over 1 steps/);
    expect(e.textFor('cli')).toMatch(/use --accountant rdp/);
  });
});
