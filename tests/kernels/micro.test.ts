// The micro-batch kernels (shaders/micro.wgsl, rows_update.wgsl's scatter_add) against their
// references: MLP gradients added up, cleared; row sums added into G twice (a row in both
// micro-batches sums, the others stay); G applied to E and cleared, untouched rows bit for bit.
import { describe, expect, it } from 'vitest';
import { kernelTest } from '../helpers/kernels';
import { accumulate, applyRows, applyRowsRef, zeroOut } from '../../src/kernels/micro';
import { rowsScatterAdd } from '../../src/kernels/segsum';
import { INVALID_ROW } from '../../src/data/format';
import type { StepValues } from '../../src/kernels/step';

const gpu = kernelTest(2024);
const { randn, f32, run, buffer, stepUniform } = gpu;

describe('micro-batch kernels', () => {
  it('accumulate adds in place, in order; zero clears', async () => {
    const a = randn(1000),
      x = randn(1000),
      y = randn(1000);
    const acc = buffer(a);
    run(accumulate(gpu.device, 1000, { acc, x: buffer(x) }));
    run(accumulate(gpu.device, 1000, { acc, x: buffer(y) }));
    const ref = a.map((v, i) => Math.fround(Math.fround(v + x[i]) + y[i]));
    expect(Array.from(await f32(acc))).toEqual(Array.from(ref));
    run(zeroOut(gpu.device, 1000, { acc }));
    expect((await f32(acc)).every((v) => v === 0)).toBe(true);
  });

  it('scatter_add sums two micro-batches per row; apply updates E from G and clears G', async () => {
    const D = 4,
      rows = 10,
      n = 8;
    // sorted keys, one segment head per row (two micro-batches: rows 1, 3 in both)
    const k1 = Uint32Array.from([1, 1, 3, 5, INVALID_ROW, INVALID_ROW, INVALID_ROW, INVALID_ROW]);
    const k2 = Uint32Array.from([1, 3, 3, 7, 7, INVALID_ROW, INVALID_ROW, INVALID_ROW]);
    const g1 = randn(n * D),
      g2 = randn(n * D);
    const G = buffer(new Float32Array(rows * D));
    const rp = { n, D, rowStart: 0, rows };
    run(rowsScatterAdd(gpu.device, rp, { keys: buffer(k1), rowGrad: buffer(g1), G }));
    run(rowsScatterAdd(gpu.device, rp, { keys: buffer(k2), rowGrad: buffer(g2), G }));
    const want = new Float32Array(rows * D);
    for (const [keys, rg] of [
      [k1, g1],
      [k2, g2],
    ] as const)
      keys.forEach((r, p) => {
        if (r === INVALID_ROW || (p > 0 && keys[p - 1] === r)) return; // heads only
        for (let d = 0; d < D; d++) want[r * D + d] = Math.fround(want[r * D + d] + rg[p * D + d]);
      });
    const gotG = await f32(G);
    expect(Array.from(gotG)).toEqual(Array.from(want));
    const E0 = randn(rows * D);
    const E = buffer(E0);
    const st: StepValues = { step: 2, lr: 0.5, invB: 1 / 16, noiseStd: 0, key: [3, 4] };
    run(applyRows(gpu.device, rows * D, { st: stepUniform(st), acc: G, E }));
    const refE = E0.slice(),
      refG = gotG.slice();
    applyRowsRef(st.lr * st.invB, refG, refE);
    const gotE = await f32(E);
    for (let i = 0; i < rows * D; i++) expect(gotE[i]).toBeCloseTo(refE[i], 6);
    for (const r of [0, 2, 4, 6, 8, 9])
      expect(Array.from(gotE.subarray(r * D, (r + 1) * D))).toEqual(Array.from(E0.subarray(r * D, (r + 1) * D)));
    expect((await f32(G)).every((v) => v === 0)).toBe(true);
  });
});
