// Clipped per-row gradient sums over sorted pairs (shaders/segsum.wgsl) and the sparse row update
// (shaders/rows_update.wgsl) against their references, also shard by shard.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { readBuffer } from '../helpers/gpu';
import { segsum, rowsUpdate, segsumRef, rowsUpdateRef } from '../../src/kernels/segsum';
import { sortPairsRef } from '../../src/kernels/sort';
import { INVALID_ROW } from '../../src/data/format';
import type { StepValues } from '../../src/kernels/step';

const gpu = kernelTest(1234);
const { rng, randn, f32, empty, runAll, stepUniform, split, buffer, sortDispatches } = gpu;

describe('clipped per-row gradient sums and the sparse row update', () => {
  for (const mode of [0, 1, 2] as const) {
    it(`segment sums in sorted order (scale mode ${mode}) and SGD on touched rows only`, async () => {
      const B = 90, L = 3, D = 6, rows = 40, N = 512;
      const idx = Uint32Array.from({ length: B * L }, () => Math.floor(rng.next() * 25));
      const mask = Float32Array.from({ length: B }, () => 1);
      const keys = empty(N * 4),
        vals = empty(N * 4);
      const G = randn(B * 2 * D);
      const scale = Float32Array.from({ length: B + 3 }, () => rng.next() * 2);
      const rowGrad = empty(N * D * 4);
      const E = randn(rows * D);
      const bufE = buffer(E);
      const p = { n: N, L, D, offG: D, ldG: 2 * D, offScale: 3, clipSq: 0.7 };
      const st: StepValues = { step: 3, lr: 0.25, invB: 1 / 64, noiseStd: 0, key: [1, 2] };
      runAll([
        ...sortDispatches(N, B * L, L, rows, buffer(idx), buffer(mask), keys, vals),
        segsum(gpu.device, mode, p, { keys, vals, G: buffer(G), scale: buffer(scale), rowGrad }),
        rowsUpdate(gpu.device, { n: N, D, rowStart: 0, rows }, { st: stepUniform(st), keys, rowGrad, E: bufE }),
      ]);
      const ref = sortPairsRef(N, B * L, L, rows, idx, 0, mask);
      const rg = new Float32Array(N * D);
      segsumRef(mode, p, ref.keys, ref.vals, G, scale, rg);
      rowsUpdateRef(D, st.lr * st.invB, ref.keys, rg, E);
      const got = await f32(bufE);
      expectClose(got, E, 1e-5, 1e-6);
      // rows 25.. were never in a bag: unchanged
      const E0 = new Float32Array(await readBuffer(gpu.device, buffer(E)));
      expect(Array.from(got.subarray(25 * D))).toEqual(Array.from(E0.subarray(25 * D)));
    });
  }
});

// A table larger than one binding is split into shards of consecutive rows (src/engine/memory.ts);
// every kernel that touches rows must give the split table exactly what it gives the whole one.
describe('tables split into shards', () => {
  it('sparse row update: each shard updates its own touched rows', async () => {
    const n = 256, D = 3, rows = 40;
    const keysArr = Uint32Array.from({ length: n }, (_, p) => (p < 200 ? Math.floor((p * rows) / 200) : INVALID_ROW)); // sorted, runs of equal rows
    const rowGrad = randn(n * D);
    const E = randn(rows * D);
    const st: StepValues = { step: 2, lr: 0.5, invB: 1 / 8, noiseStd: 0, key: [1, 2] };
    const want = E.slice();
    rowsUpdateRef(D, st.lr * st.invB, keysArr, rowGrad, want);
    const keys = buffer(keysArr),
      rg = buffer(rowGrad);
    const shards = split(E, D, [0, 13, 40]).map((sh) => ({ ...sh, buf: buffer(sh.E) }));
    runAll(shards.map((sh) => rowsUpdate(gpu.device, { n, D, rowStart: sh.rowStart, rows: sh.rows }, { st: stepUniform(st), keys, rowGrad: rg, E: sh.buf })));
    for (const sh of shards) expectClose(await f32(sh.buf), want.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-6, 1e-6);
  });
});
