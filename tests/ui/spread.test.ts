// The numbers behind the whiskers and the "noisy" note.
import { describe, expect, it } from 'vitest';
import { median, quantile } from '../../src/engine/stage-timer';
import { NOISY_RATIO, isNoisy } from '../../src/ui/charts/spread';

describe('spread (p10-p90)', () => {
  it('quantile interpolates between order statistics and agrees with the median', () => {
    const xs = [5, 1, 4, 2, 3, 10, 6, 9, 8, 7];
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile(xs, 1)).toBe(10);
    expect(quantile(xs, 0.5)).toBe(median(xs));
    expect(quantile(xs, 0.1)).toBeCloseTo(1.9, 12);
    expect(quantile(xs, 0.9)).toBeCloseTo(9.1, 12);
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([3], 0.9)).toBe(3);
  });

  it(`calls a spread noisy above p90/p10 = ${NOISY_RATIO}`, () => {
    expect(isNoisy({ p10: 1, p90: 1.5 })).toBe(false);
    expect(isNoisy({ p10: 1, p90: 1.51 })).toBe(true);
    expect(isNoisy({ p10: 0, p90: 0.1 })).toBe(true); // a step at the timer's floor and one well above it
    expect(isNoisy({ p10: 0, p90: 0 })).toBe(false);
    expect(isNoisy(undefined)).toBe(false);
  });
});

describe('"Run all four algorithms" in rounds', () => {
  it('runs every algorithm in every round, rotating who goes first, slices adding up to each target', async () => {
    const { compareSchedule, compareRounds } = await import('../../src/ui/state/jobs');
    const targets = [8, 8, 7, 8];
    const plan = compareSchedule(targets);
    const rounds = compareRounds(8);
    expect(rounds).toBe(4);
    for (let k = 1; k <= rounds; k++) {
      const r = plan.filter((p) => p.round === k);
      expect(r.map((p) => p.index).sort()).toEqual([0, 1, 2, 3]);
      expect(r[0].index).toBe((k - 1) % 4); // a different algorithm opens each round
    }
    targets.forEach((t, i) => expect(plan.filter((p) => p.index === i).reduce((a, p) => a + p.steps, 0)).toBe(t));
    // rounds follow one another: no slice of round k+1 before the last of round k
    expect(plan.map((p) => p.round)).toEqual([...plan.map((p) => p.round)].sort((a, b) => a - b));
    // one step each: one round, nothing lost
    expect(compareSchedule([1, 1])).toEqual([
      { round: 1, index: 0, steps: 1 },
      { round: 1, index: 1, steps: 1 },
    ]);
  });
});
