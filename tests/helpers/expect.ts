// Comparing GPU results with their references.
import { expect } from 'vitest';

/** Every |got[i] - want[i]| <= abs + rel |want[i]| (NaN fails); names the first index that is not. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-5, abs = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= abs + rel * Math.abs(want[i])))
      expect.fail(`index ${i}: got ${got[i]}, want ${want[i]}`);
  }
}
