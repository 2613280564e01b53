// The dense table optimizers (shaders/table_optim.wgsl) and the row scatter that feeds them, on
// a real WebGPU implementation against src/kernels/optim.ts: several steps, so the momentum and
// Adam state carries over, on a shard of a table (counters use the table's row numbers).
import { describe, expect, it, beforeAll } from 'vitest';
import { getTestDevice, makeBuffer, readBuffer, runDispatches, stepUniform as stepUniformFor } from '../helpers/gpu';
import { makeDispatch, makeUniform, grid, type Dispatch } from '../../src/kernels/program';
import { ROWS_UPDATE_CODE, rowsScatterProgram, rowsScatterRef } from '../../src/kernels/segsum';
import { TABLE_NOISE_CODE, MLP_UPDATE_CODE, tableNoiseSampleProgram, mlpOptimProgram, mlpSampleProgram, type StepValues } from '../../src/kernels/noise';
import { TABLE_OPTIM_CODE, tableOptimProgram, tableOptimRef, mlpOptimRef, optimValues } from '../../src/kernels/optim';
import { INVALID_ROW } from '../../src/kernels/gather';
import { Rng } from '../../src/data/rng';
import { seedToKey } from '../../src/noise/philox';

let device: GPUDevice;
beforeAll(async () => {
  device = await getTestDevice();
});

const rng = new Rng(99);
const f32 = async (b: GPUBuffer) => new Float32Array(await readBuffer(device, b));
const runAll = (ds: Dispatch[]) => runDispatches(device, ds);
const stepUniform = (st: StepValues) => stepUniformFor(device, st);

describe('dense table optimizers', () => {
  const D = 6, // not a multiple of 4: the last quad is partial
    rows = 23,
    rowStart = 5, // this shard holds table rows 5 .. 27
    table = 2,
    n = 16;
  // sorted keys with repeats (segment heads carry the row), rows outside the shard, padding
  const keys = new Uint32Array([0, 5, 5, 6, 9, 9, 9, 12, 20, 27, 28, 40, INVALID_ROW, INVALID_ROW, INVALID_ROW, INVALID_ROW]);
  const rowGrad = Float32Array.from({ length: n * D }, () => rng.normal());
  const key = seedToKey('77777');

  it('scatter writes each unique row of the shard once, and nothing else', async () => {
    const G = makeBuffer(device, new Float32Array(rows * D));
    runAll([
      makeDispatch(device, rowsScatterProgram, [makeUniform(device, ROWS_UPDATE_CODE, 'u', { n, D, rowStart, rows }), null, makeBuffer(device, keys), makeBuffer(device, rowGrad), null, G], grid(n * D, 64)),
    ]);
    const want = new Float32Array(rows * D);
    rowsScatterRef(D, keys, rowGrad, want, rowStart, rows);
    expect(Array.from(await f32(G))).toEqual(Array.from(want));
    expect(want.some((x) => x !== 0) && want.some((x) => x === 0)).toBe(true);
  });

  for (const opt of ['sgd', 'momentum', 'adam'] as const)
    for (const noise of [0, 1, 2] as const) {
      it(`${opt}, weight decay, noise mode ${noise}: 3 steps equal the reference, and G is cleared`, async () => {
        const wd = 0.05;
        const E0 = Float32Array.from({ length: rows * D }, () => rng.normal() * 0.3);
        const E = makeBuffer(device, E0),
          G = makeBuffer(device, new Float32Array(rows * D)),
          M = opt === 'sgd' ? null : makeBuffer(device, new Float32Array(rows * D)),
          V = opt === 'adam' ? makeBuffer(device, new Float32Array(rows * D)) : null,
          nbuf = makeBuffer(device, new Float32Array(rows * D));
        const shardU = makeUniform(device, TABLE_OPTIM_CODE, 'u', { rows, D, quads: Math.ceil(D / 4), table, rowStart });
        const noiseU = makeUniform(device, TABLE_NOISE_CODE, 'u', { rows, D, quads: Math.ceil(D / 4), table, rowStart });
        const scatterU = makeUniform(device, ROWS_UPDATE_CODE, 'u', { n, D, rowStart, rows });
        const ref = new Float32Array(E0),
          refG = new Float32Array(rows * D);
        const state = { M: new Float32Array(rows * D), V: new Float32Array(rows * D) };
        for (let step = 1; step <= 3; step++) {
          const st: StepValues = { step, lr: 0.1 * step, invB: 1 / 8, noiseStd: noise ? 0.9 : 0, key };
          const stU = stepUniform(st);
          const ds: Dispatch[] = [makeDispatch(device, rowsScatterProgram, [scatterU, null, makeBuffer(device, keys), makeBuffer(device, rowGrad), null, G], grid(n * D, 64))];
          if (noise === 2) ds.push(makeDispatch(device, tableNoiseSampleProgram, [noiseU, stU, nbuf], grid(rows * Math.ceil(D / 4), 64)));
          const o = makeUniform(device, TABLE_OPTIM_CODE, 'o', optimValues(wd, step));
          ds.push(makeDispatch(device, tableOptimProgram(opt, noise), [shardU, stU, o, E, G, noise === 2 ? nbuf : makeBuffer(device, new Float32Array(4)), M, V], grid(rows * Math.ceil(D / 4), 64)));
          runAll(ds);
          rowsScatterRef(D, keys, rowGrad, refG, rowStart, rows);
          tableOptimRef(opt, st, wd, table, D, ref, refG, state, noise !== 0, rowStart);
        }
        const got = await f32(E);
        let bad = -1;
        for (let i = 0; i < got.length && bad < 0; i++) if (!(Math.abs(got[i] - ref[i]) <= 2e-5 + 1e-4 * Math.abs(ref[i]) + (noise ? 2e-3 * 0.9 * 0.1 : 0))) bad = i;
        if (bad >= 0) expect.fail(`E[${bad}]: got ${got[bad]}, want ${ref[bad]}`);
        // every row moved (the decay and the noise or state reach rows no batch touched)
        for (let r = 0; r < rows; r++) expect(got[r * D] !== E0[r * D], `row ${r}`).toBe(true);
        expect(Array.from(await f32(G)).every((x) => x === 0)).toBe(true);
      });
    }
});

describe('MLP optimizers (mlp_update.wgsl momentum and adam entries)', () => {
  const key = seedToKey('4242');
  for (const opt of ['momentum', 'adam'] as const)
    for (const noise of [0, 1, 2] as const) {
      it(`${opt}, noise mode ${noise}: 3 steps of a 47-value tensor equal the reference`, async () => {
        const n = 47, // not a multiple of 4
          p = 3;
        const W0 = Float32Array.from({ length: n }, () => rng.normal() * 0.2);
        const grad = Float32Array.from({ length: n }, () => rng.normal());
        const W = makeBuffer(device, W0),
          M = makeBuffer(device, new Float32Array(n)),
          V = opt === 'adam' ? makeBuffer(device, new Float32Array(n)) : null,
          nbuf = makeBuffer(device, new Float32Array(n + 4)),
          g = makeBuffer(device, grad);
        const u = makeUniform(device, MLP_UPDATE_CODE, 'u', { n, p });
        const ref = new Float32Array(W0);
        const state = { M: new Float32Array(n), V: new Float32Array(n) };
        for (let step = 1; step <= 3; step++) {
          const st: StepValues = { step, lr: 0.05, invB: 1 / 8, noiseStd: noise ? 1.3 : 0, key };
          const stU = stepUniform(st);
          const groups = grid(Math.ceil(n / 4), 64);
          const ds: Dispatch[] = [];
          if (noise === 2) ds.push(makeDispatch(device, mlpSampleProgram, [u, stU, null, null, nbuf], groups));
          const o = makeUniform(device, MLP_UPDATE_CODE, 'o', optimValues(0, step));
          ds.push(makeDispatch(device, mlpOptimProgram(opt, noise), [u, stU, g, W, nbuf, o, M, V], groups));
          runAll(ds);
          mlpOptimRef(opt, st, p, grad, ref, state, noise !== 0);
        }
        const got = await f32(W);
        for (let i = 0; i < n; i++) if (!(Math.abs(got[i] - ref[i]) <= 2e-5 + 1e-4 * Math.abs(ref[i]) + (noise ? 2e-3 * 0.05 : 0))) expect.fail(`W[${i}]: got ${got[i]}, want ${ref[i]}`);
        expect(Array.from(got).some((x, i) => x !== W0[i])).toBe(true);
      });
    }
});
