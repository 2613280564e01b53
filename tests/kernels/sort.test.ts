// The GPU sort of a batch's (row, slot) pairs (shaders/sort.wgsl) against the reference.
import { describe, it, expect } from 'vitest';
import { kernelTest } from '../helpers/kernels';
import { sortPairsRef, SORT_BLOCK } from '../../src/kernels/sort';
import { INVALID_ROW } from '../../src/data/format';

const gpu = kernelTest(1234);
const { rng, u32, empty, runAll, sortDispatches, buffer } = gpu;

describe('GPU sort of (row, slot) pairs', () => {
  for (const [used, rows] of [
    [300, 17],
    [2000, 500],
    [5000, 1 << 30],
  ]) {
    it(`${used} pairs over ${rows} rows, with masked examples and empty slots`, async () => {
      const L = 4;
      let N = SORT_BLOCK;
      while (N < used) N *= 2;
      const idx = Uint32Array.from({ length: used }, () =>
        rng.next() < 0.05 ? INVALID_ROW : Math.floor(rng.next() * Math.min(rows, 1e9)),
      );
      const mask = Float32Array.from({ length: Math.ceil(used / L) }, () => (rng.next() < 0.9 ? 1 : 0));
      const keys = empty(N * 4),
        vals = empty(N * 4);
      runAll(sortDispatches(N, used, L, rows, buffer(idx), buffer(mask), keys, vals));
      const ref = sortPairsRef(N, used, L, rows, idx, 0, mask);
      expect(Array.from((await u32(keys)).subarray(0, N))).toEqual(Array.from(ref.keys));
      expect(Array.from((await u32(vals)).subarray(0, N))).toEqual(Array.from(ref.vals));
    });
  }
});
