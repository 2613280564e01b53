// The frontier's shared logic (src/frontier/): the order runs go in, where a resumed frontier
// goes on, the summary over seeds, and the time left.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import {
  emptyResult,
  frontierConfigs,
  frontierSeeds,
  runsDone,
  summarize,
  timeLeft,
  type FrontierRun,
} from '../../src/frontier/frontier';

const run = (algo: 'dpsgd' | 'lazydp', targetEpsilon: number, seed: string, auc: number): FrontierRun => ({
  algo,
  targetEpsilon,
  epsilon: targetEpsilon * 0.99,
  sigma: 1 / targetEpsilon,
  seed,
  auc,
  evalLoss: 1 - auc,
  stepMedianMs: 10,
  rowsUpdated: algo === 'dpsgd' ? 100 : 30,
});

describe('frontier plan and summary', () => {
  const base = makeConfig({ seed: '7', steps: 4 });
  const plan = {
    base,
    algos: ['dpsgd', 'lazydp'] as ('dpsgd' | 'lazydp')[],
    epsilons: [1, 4],
    seeds: frontierSeeds(base, 2),
  };

  it('runs in rounds: per seed the baseline, then every algorithm and target', () => {
    expect(plan.seeds).toEqual(['7', '8']);
    expect(frontierConfigs(plan).map((c) => `${c.seed} ${c.algo} ${c.targetEpsilon}`)).toEqual([
      '7 sgd 0',
      '7 dpsgd 1',
      '7 dpsgd 4',
      '7 lazydp 1',
      '7 lazydp 4',
      '8 sgd 0',
      '8 dpsgd 1',
      '8 dpsgd 4',
      '8 lazydp 1',
      '8 lazydp 4',
    ]);
    expect(() => frontierSeeds(makeConfig({ seed: String(2n ** 64n - 1n) }), 2)).toThrow(/exceeds 2\^64 - 1/);
  });

  it('resumes at the first run not done, and summarises each (algorithm, target) over the seeds done', () => {
    const r = emptyResult(plan, 0.9);
    r.baseline.push({ ...run('dpsgd', 1, '7', 0.85), algo: 'sgd' } as FrontierRun);
    r.points.push(run('dpsgd', 1, '7', 0.8), run('dpsgd', 4, '7', 0.82), run('lazydp', 1, '7', 0.81));
    expect(runsDone(r)).toBe(4);
    expect(r.runs).toBe(10);
    r.points.push(run('lazydp', 4, '7', 0.83), run('dpsgd', 1, '8', 0.9));
    const s = summarize(r.points);
    expect(s.map((p) => `${p.algo} ${p.targetEpsilon} ${p.seeds}`)).toEqual([
      'dpsgd 1 2',
      'dpsgd 4 1',
      'lazydp 1 1',
      'lazydp 4 1',
    ]);
    expect(s[0].auc.mean).toBeCloseTo(0.85, 12);
    expect(s[0].auc.sd).toBeCloseTo(Math.sqrt(0.005), 12); // sample sd of 0.8 and 0.9
    expect(s[1].auc.sd).toBe(0);
    expect(s[2].rowsUpdated).toBe(30);
  });

  it('estimates the time left from the runs finished so far', () => {
    expect(timeLeft(0, 0, 10)).toBeUndefined();
    expect(timeLeft(30, 3, 10)).toBe(70);
    expect(timeLeft(30, 3, 3)).toBe(0);
  });
});
