// What every kernel test file needs: the device (set in beforeAll), seeded random inputs,
// buffers in and out, and running dispatches.
import { beforeAll } from 'vitest';
import { getTestDevice, makeBuffer, readBuffer, runDispatches, stepUniform } from './gpu';
import { Rng } from '../../src/data/rng';
import { sortPairs } from '../../src/kernels/sort';
import type { Dispatch } from '../../src/kernels/program';
import type { StepValues } from '../../src/kernels/step';

export function kernelTest(seed: number) {
  let dev: GPUDevice | undefined;
  beforeAll(async () => {
    dev = await getTestDevice();
  });
  const device = () => {
    if (!dev) throw new Error('no device yet: use it inside a test');
    return dev;
  };
  const rng = new Rng(seed);
  return {
    get device(): GPUDevice {
      return device();
    },
    rng,
    randn: (n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.normal() * scale),
    f32: async (b: GPUBuffer) => new Float32Array(await readBuffer(device(), b)),
    u32: async (b: GPUBuffer) => new Uint32Array(await readBuffer(device(), b)),
    /** a buffer holding `data` */
    buffer: (data: ArrayBufferView) => makeBuffer(device(), data),
    /** a zeroed buffer of at least `bytes` */
    empty: (bytes: number) => makeBuffer(device(), new Uint8Array(Math.max(16, bytes))),
    run: (d: Dispatch) => runDispatches(device(), [d]),
    runAll: (ds: Dispatch[]) => runDispatches(device(), ds),
    stepUniform: (st: StepValues) => stepUniform(device(), st),
    /** the sort of `used` pairs (table 0, offset 0) padded to N */
    sortDispatches: (
      N: number,
      used: number,
      L: number,
      rows: number,
      idx: GPUBuffer,
      mask: GPUBuffer,
      keys: GPUBuffer,
      vals: GPUBuffer,
    ) => sortPairs(device(), { n: N, used, L, rows, offIdx: 0 }, { idx, mask, keys, vals }),
    /** a table cut into shards at rows `cuts` (first 0, last the row count) */
    split: (E: Float32Array, D: number, cuts: number[]) =>
      cuts.slice(0, -1).map((a, k) => ({ rowStart: a, rows: cuts[k + 1] - a, E: E.slice(a * D, cuts[k + 1] * D) })),
  };
}
