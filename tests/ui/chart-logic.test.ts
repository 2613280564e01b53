// What the charts draw and say, in node: the ε chart draws each logged ε at the step it was
// computed for (with PRV the lab computes ε at 24 points of a run and logs every step with the
// next point's value, which drawn at the logged steps rises as a staircase), and a PNG's footer
// describes the charted runs, not the configuration panel.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config';
import { epsilonAfter, epsilonLogged } from '../../src/engine/accounting';
import type { LogPoint } from '../../src/engine';
import type { RunRecord } from '../../src/ui/state/store';
import { configDiff, posterior } from '../../src/ui/views/train-view';
import { epsilonAt, overlayDashes, overlayLabels } from '../../src/ui/charts/compare';
import { chartFooter, runsFooter } from '../../src/ui/charts/lab-chart';
import { store } from '../../src/ui/state/store';

const point = (step: number, epsilon: number | undefined): LogPoint =>
  ({ step, epsilon, loss: 0.5, stepsPerSec: 10, examples: 32 }) as unknown as LogPoint;

describe('ε chart points', () => {
  it('puts each PRV ε at the step it was computed for, so equal values share one point', () => {
    const config: Config = { ...DEFAULT_CONFIG, accountant: 'prv', steps: 48, sigma: 1 }; // ε every 2 steps
    const run = { config } as RunRecord;
    const log = [1, 2, 3, 4, 5].map((s) => point(s, epsilonLogged(config, 1, s)));
    const xs = log.map((p) => epsilonAt(run, p));
    expect(xs).toEqual([2, 2, 4, 4, 6]);
    for (const p of log) expect(epsilonAfter(config, 1, epsilonAt(run, p))).toBe(p.epsilon);
  });

  it('leaves RDP (exact at every step) and a resumed model’s first point where they are', () => {
    const config: Config = { ...DEFAULT_CONFIG, accountant: 'rdp', steps: 48, sigma: 1 };
    expect([1, 2, 3].map((s) => epsilonAt({ config } as RunRecord, point(s, 1)))).toEqual([1, 2, 3]);
    const prv: Config = { ...config, accountant: 'prv' };
    const resumed = { ...point(3, 1), stepsPerSec: NaN } as LogPoint;
    expect(epsilonAt({ config: prv } as RunRecord, resumed)).toBe(3);
  });
});

describe('PNG footers', () => {
  it('describe the charted runs: their algorithms and steps, σ only of the private ones', () => {
    const base: Config = { ...DEFAULT_CONFIG, tables: [1000, 24], dim: 8, batch: 64, steps: 40 };
    const runs = [
      { algo: 'sgd' as const, config: { ...base, algo: 'sgd' as const, sigma: 1 }, stepsDone: 40 },
      { algo: 'dpsgd' as const, config: { ...base, algo: 'dpsgd' as const, sigma: 0.5 }, stepsDone: 40 },
      {
        algo: 'lazydp' as const,
        config: { ...base, algo: 'lazydp' as const, sigma: 2 },
        stepsDone: 12,
        importedFrom: 'a.json',
      },
    ];
    const text = runsFooter(runs);
    expect(text).toMatch(/^SGD.*, DP-SGD.*, LazyDP, 2 tables \(1,024 rows\), dim 8, batch 64, σ 0.5\/2, /);
    expect(text).toMatch(/40\/12 steps \(loaded: a.json\)$/);
    expect(runsFooter(runs.slice(0, 1))).not.toMatch(/σ/);
    // the charted runs replace the panel's configuration (here 24 steps of another algorithm)
    store.config = { ...base, algo: 'lazydp', steps: 24 };
    expect(chartFooter(text)).toContain(text);
    expect(chartFooter(text)).not.toContain('24 steps');
  });
});

describe('earlier runs, labelled and styled', () => {
  const base: Config = { ...DEFAULT_CONFIG, algo: 'lazydp', sigma: 1 };
  it('the SGD baseline is not labelled by σ, C or δ, which play no part in it', () => {
    const sgd: Config = { ...base, algo: 'sgd', sigma: 1, clip: 2 };
    expect(configDiff(sgd, { ...base, sigma: 0.5 })).toBe('same configuration');
    expect(configDiff({ ...sgd, batch: 64 }, { ...base, sigma: 0.5 })).toBe('batch 64');
    expect(configDiff({ ...base, sigma: 1 }, { ...base, sigma: 0.5 })).toBe('σ 1');
  });
  it('two overlays of one algorithm get their own dash, and their run number where their labels agree', () => {
    const run = (id: number, algo: 'sgd' | 'lazydp') => ({ id, algo, config: base }) as unknown as RunRecord;
    const runs = [run(1, 'lazydp'), run(2, 'lazydp'), run(3, 'sgd')];
    const dash = overlayDashes(runs);
    expect(dash.get(runs[0])).not.toEqual(dash.get(runs[1]));
    expect(dash.get(runs[2])).toEqual(dash.get(runs[0])); // another colour: the first dash again
    const labels = overlayLabels(runs, () => 'σ 2');
    expect([...labels.values()]).toEqual(['σ 2 · run 1', 'σ 2 · run 2', 'σ 2']);
  });
});

describe('the ε panel', () => {
  it('does not round near-certainty up to 100%', () => {
    expect(posterior(10)).toBe('99.96%'); // 99.959…%: up, as a bound should be, but never to certainty
    expect(posterior(1)).toBe('23.2%');
  });
});
