// `privacy --algo dp-adafest|dp-fest` (src/cli/privacy-fest.ts through src/cli/privacy.ts).
import { describe, it, expect } from 'vitest';
import { privacyCommand } from '../../src/cli/privacy';
import { accountantNamed } from '../../src/privacy/accountants';
import { adafestMechanisms } from '../../src/privacy/fest';

const base = { algo: 'dp-adafest', 'selection-sigma': '3', sigma: '1.2', q: '0.01', steps: '1000', delta: '1e-5' };

describe('privacy --algo dp-adafest', () => {
  it("prints DESIGN §14's epsilon for both accountants", () => {
    const rdp = privacyCommand({ ...base, accountant: 'rdp' });
    expect(Math.abs((rdp.json.epsilon as number) - 1.668198)).toBeLessThan(1e-6);
    expect(rdp.text).toMatch(/^epsilon = 1\.6682 at delta = 0\.00001 \(dp-adafest, RDP; covers/);
    expect(rdp.json).toMatchObject({ algo: 'dp-adafest', accountant: 'rdp', selectionSigma: 3, sigma: 1.2 });
    expect(Math.abs((rdp.json.sigmaEff as number) - 1.114172)).toBeLessThan(1e-6);
    const prv = privacyCommand(base);
    expect(prv.json.accountant).toBe('prv');
    expect(Math.abs((prv.json.epsilon as number) - 1.4901)).toBeLessThan(1e-5);
    expect(prv.text).toMatch(/PRV upper bound/);
  });

  it('the printed epsilon is rounded up, never down', () => {
    const r = privacyCommand(base);
    const printed = Number(/epsilon = ([\d.]+)/.exec(r.text)![1]);
    expect(printed).toBeGreaterThanOrEqual(r.json.epsilon as number);
  });

  it('--target-epsilon calibrates sigma2 for a fixed sigma1 or a ratio', () => {
    const { sigma: _s, ...noSigma } = base;
    void _s;
    const r = privacyCommand({ ...noSigma, 'target-epsilon': '2', accountant: 'rdp' });
    expect(r.json.mode).toBe('calibrate');
    const m = adafestMechanisms({ q: 0.01, steps: 1000, sigma: r.json.sigma as number }, 3);
    expect(accountantNamed('rdp').epsilon(m, 1e-5)).toBeLessThanOrEqual(2);
    const { 'selection-sigma': _x, ...noS1 } = noSigma;
    void _x;
    const byRatio = privacyCommand({ ...noS1, 'sigma-ratio': '2', 'target-epsilon': '2', accountant: 'rdp' });
    expect(byRatio.json.selectionSigma).toBeCloseTo(2 * (byRatio.json.sigma as number), 12);
    expect(byRatio.json.epsilon as number).toBeLessThanOrEqual(2);
  });

  it('prints the expected untouched crossings per step, R Q(tau / (sigma1 C1)) over the tables', () => {
    // at 1e7 rows, tau = 16, sigma1 C1 = 4: 1e7 Q(4) = 316.7; tau = 8: 1e7 Q(2) = 227,501
    const at = (threshold: string) =>
      privacyCommand({ ...base, 'selection-sigma': '1', tables: '5e6,5e6', threshold, 'selection-clip': '4' });
    const r = at('16');
    const c = r.json.crossings as { probability: number; perStep: number; rows: number };
    expect(c.rows).toBe(1e7);
    expect(Math.abs(c.probability - 3.167124e-5)).toBeLessThan(1e-10);
    expect(Math.abs(c.perStep - 316.7124)).toBeLessThan(1e-3);
    expect(r.text).toMatch(/Q\(16 \/ \(1 \* 4\)\) = 3\.17e-5: about 317 untouched rows updated per step/);
    expect(at('8').text).toMatch(/about 227,501 untouched rows updated per step \(R p over 10,000,000 rows\)/);
    // without --tables: the defaults', said so; bad tables named
    const d = privacyCommand(base).json.crossings as { tables: number[]; threshold: number };
    expect(d.tables).toEqual([4096, 4096, 1024, 256]);
    expect(d.threshold).toBe(16);
    expect(privacyCommand(base).text).toMatch(/the default tables; give --tables/);
    expect(() => privacyCommand({ ...base, tables: '10,x' })).toThrow(/--tables must be row counts/);
    expect(() => privacyCommand({ ...base, 'selection-clip': '0' })).toThrow(/--selection-clip must be > 0/);
    expect(() =>
      privacyCommand({
        algo: 'dp-fest',
        'histogram-sigma': '5',
        sigma: '1',
        q: '0.01',
        steps: '10',
        delta: '1e-5',
        threshold: '4',
      }),
    ).toThrow(/--threshold applies to --algo dp-adafest only/);
  });

  it('bad input: specific errors naming the flag', () => {
    const { 'selection-sigma': _x, ...noS1 } = base;
    void _x;
    expect(() => privacyCommand(noS1)).toThrow(/missing --selection-sigma/);
    expect(() => privacyCommand({ ...base, 'selection-sigma': '0' })).toThrow(/--selection-sigma must be > 0/);
    expect(() => privacyCommand({ ...base, 'target-epsilon': '2' })).toThrow(/either --sigma .* or --target-epsilon/);
    expect(() => privacyCommand({ ...base, 'histogram-sigma': '2' })).toThrow(
      /--histogram-sigma applies to --algo dp-fest/,
    );
    expect(() => privacyCommand({ ...base, algo: 'dp-festt' })).toThrow(/--algo must be .*dp-adafest or dp-fest/);
    expect(() => privacyCommand({ ...base, sigmaa: '1' })).toThrow(/unknown flag --sigmaa/);
    expect(() => privacyCommand({ ...base, accountant: 'gdp' })).toThrow(/--accountant must be/);
    const { sigma: _s, ...noSigma } = base;
    void _s;
    expect(() => privacyCommand({ ...noSigma, 'selection-sigma': '1', 'target-epsilon': '0.5' })).toThrow(
      /--target-epsilon: .*raise the selection sigma/,
    );
  });

  it('dpsgd still goes through the DP-SGD command, with the same epsilon', () => {
    const plain = privacyCommand({ q: '0.01', sigma: '1.2', steps: '1000', delta: '1e-5', accountant: 'rdp' });
    const named = privacyCommand({
      algo: 'dpsgd',
      q: '0.01',
      sigma: '1.2',
      steps: '1000',
      delta: '1e-5',
      accountant: 'rdp',
    });
    expect(named.json.epsilon).toBe(plain.json.epsilon);
  });
});

describe('privacy --algo dp-fest', () => {
  const fest = { algo: 'dp-fest', sigma: '1.2', q: '0.01', steps: '1000', delta: '1e-5', accountant: 'rdp' };
  it('the histogram costs epsilon; a public prior covers training only', () => {
    const pub = privacyCommand({ ...fest, prior: 'public' });
    const dpsgd = privacyCommand({ q: '0.01', sigma: '1.2', steps: '1000', delta: '1e-5', accountant: 'rdp' });
    expect(pub.json.epsilon).toBe(dpsgd.json.epsilon);
    expect(pub.text).toMatch(/covers training only/);
    const hist = privacyCommand({ ...fest, 'histogram-sigma': '10' });
    expect(hist.json.epsilon as number).toBeGreaterThan(pub.json.epsilon as number);
    expect(hist.text).toMatch(/covers the selection histogram and the training/);
    expect(() => privacyCommand(fest)).toThrow(/missing --histogram-sigma .*--prior public/);
    expect(() => privacyCommand({ ...fest, prior: 'public', 'histogram-sigma': '3' })).toThrow(/either/);
    expect(() => privacyCommand({ ...fest, prior: 'private' })).toThrow(/--prior takes 'public'/);
    expect(() => privacyCommand({ ...fest, prior: 'public', 'selection-sigma': '3' })).toThrow(
      /--selection-sigma applies to --algo dp-adafest only/,
    );
  });
});
