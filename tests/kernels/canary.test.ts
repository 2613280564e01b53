// The gradient canaries' update (shaders/canary_add.wgsl) against its CPU reference: only the
// sampled canaries' rows move, by lr/B·C·u_j, in the whole table and shard by shard.
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { canaryAdd, canaryAddRef, type CanaryParams } from '../../src/kernels/canary';
import type { StepValues } from '../../src/kernels/step';
import { seedToKey } from '../../src/noise/philox';

const gpu = kernelTest(4321);
const { randn, f32, run, stepUniform, buffer } = gpu;
const st: StepValues = { step: 3, lr: 0.7, invB: 1 / 8, noiseStd: 0, key: seedToKey('1') };

describe('canary_add', () => {
  // table 1 of 2: 10 real rows then m = 6 canary rows; canaries 0, 2, 5 sampled (4 listed, count 3)
  const m = 6,
    D = 5,
    T = 2,
    R = 10;
  const dirs = randn(T * m * D);
  const ids = Uint32Array.from([3, 0, 2, 5, 4]);
  for (const [rowStart, rows] of [
    [0, R + m],
    [12, R + m - 12],
  ]) {
    it(`moves only the sampled canaries' rows (shard rows ${rowStart} .. ${rowStart + rows})`, async () => {
      const p: CanaryParams = { m, D, table: 1, first: R, rowStart, rows, clip: 1.5 };
      const E = randn(rows * D);
      const bufE = buffer(E);
      run(canaryAdd(gpu.device, p, { st: stepUniform(st), ids: buffer(ids), dirs: buffer(dirs), E: bufE }));
      const ref = E.slice();
      canaryAddRef(st, p, ids, dirs, ref);
      const got = await f32(bufE);
      expectClose(got, ref, 1e-6, 1e-7);
      // canary 4 is listed past the count, canaries 1 and 3 not at all: their rows keep their values
      const moved = (j: number) => {
        const r = R + j - rowStart;
        return r >= 0 && r < rows && got.slice(r * D, (r + 1) * D).some((x, d) => x !== E[r * D + d]);
      };
      expect([0, 1, 2, 3, 4, 5].map(moved)).toEqual(
        [0, 1, 2, 3, 4, 5].map((j) => [0, 2, 5].includes(j) && R + j >= rowStart),
      );
      // real rows never move
      expect(Array.from(got.slice(0, Math.max(0, R - rowStart) * D))).toEqual(
        Array.from(E.slice(0, Math.max(0, R - rowStart) * D)),
      );
    });
  }
});
