// The numbers behind the whiskers and the "noisy" note.
import { describe, expect, it } from 'vitest';
import { median, quantile } from '../../src/engine/stage-timer';
import { NOISY_RATIO, isNoisy } from '../../src/ui/spread';

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
