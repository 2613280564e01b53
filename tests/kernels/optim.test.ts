// The dense table optimizers (shaders/table_optim.wgsl) and the row scatter that feeds them, on
// a real WebGPU implementation against src/kernels/optim.ts: several steps, so the momentum and
// Adam state carries over, on a shard of a table (counters use the table's row numbers).
import { describe, expect, it, beforeAll } from 'vitest';
// NORMAL_ABS: what one GPU normal may be off by under WGSL's accuracy rules (tests/helpers/tolerance.ts)
import { NORMAL_ABS } from '../helpers/tolerance';
import { getTestDevice, makeBuffer, readBuffer, runDispatches, stepUniform as stepUniformFor } from '../helpers/gpu';
import { type Dispatch } from '../../src/kernels/program';
import { rowsScatter, rowsScatterRef } from '../../src/kernels/segsum';
import { tableNoiseSample, mlpOptim, mlpSample, type StepValues } from '../../src/kernels/noise';
import { OptimUniform, tableOptim, tableOptimRef, mlpOptimRef } from '../../src/kernels/optim';
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
  const keys = new Uint32Array([
    0,
    5,
    5,
    6,
    9,
    9,
    9,
    12,
    20,
    27,
    28,
    40,
    INVALID_ROW,
    INVALID_ROW,
    INVALID_ROW,
    INVALID_ROW,
  ]);
  const rowGrad = Float32Array.from({ length: n * D }, () => rng.normal());
  const key = seedToKey('77777');

  it('scatter writes each unique row of the shard once, and nothing else', async () => {
    const G = makeBuffer(device, new Float32Array(rows * D));
    runAll([
      rowsScatter(
        device,
        { n, D, rowStart, rows },
        { keys: makeBuffer(device, keys), rowGrad: makeBuffer(device, rowGrad), G },
      ),
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
        const shard = { rows, D, table, rowStart };
        const ref = new Float32Array(E0),
          refG = new Float32Array(rows * D);
        const state = { M: new Float32Array(rows * D), V: new Float32Array(rows * D) };
        for (let step = 1; step <= 3; step++) {
          const st: StepValues = { step, lr: 0.1 * step, invB: 1 / 8, noiseStd: noise ? 0.9 : 0, key };
          const stU = stepUniform(st);
          const ds: Dispatch[] = [
            rowsScatter(
              device,
              { n, D, rowStart, rows },
              { keys: makeBuffer(device, keys), rowGrad: makeBuffer(device, rowGrad), G },
            ),
          ];
          if (noise === 2) ds.push(tableNoiseSample(device, shard, { st: stU, noise: nbuf }));
          const o = new OptimUniform(device, wd, step).buffer;
          ds.push(
            tableOptim(device, opt, noise, shard, {
              st: stU,
              o,
              E,
              G,
              noiseBuf: noise === 2 ? nbuf : makeBuffer(device, new Float32Array(4)),
              M,
              V,
            }),
          );
          runAll(ds);
          rowsScatterRef(D, keys, rowGrad, refG, rowStart, rows);
          tableOptimRef(opt, st, wd, table, D, ref, refG, state, noise !== 0, rowStart);
        }
        const got = await f32(E);
        let bad = -1;
        for (let i = 0; i < got.length && bad < 0; i++)
          if (!(Math.abs(got[i] - ref[i]) <= 2e-5 + 1e-4 * Math.abs(ref[i]) + (noise ? NORMAL_ABS * 0.9 * 0.1 : 0)))
            bad = i;
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
        const ref = new Float32Array(W0);
        const state = { M: new Float32Array(n), V: new Float32Array(n) };
        for (let step = 1; step <= 3; step++) {
          const st: StepValues = { step, lr: 0.05, invB: 1 / 8, noiseStd: noise ? 1.3 : 0, key };
          const stU = stepUniform(st);
          const ds: Dispatch[] = [];
          if (noise === 2) ds.push(mlpSample(device, { n, p }, { st: stU, noiseBuf: nbuf }));
          const o = new OptimUniform(device, 0, step).buffer;
          ds.push(mlpOptim(device, opt, noise, { n, p }, { st: stU, o, grad: g, W, noiseBuf: nbuf, M, V }));
          runAll(ds);
          mlpOptimRef(opt, st, p, grad, ref, state, noise !== 0);
        }
        const got = await f32(W);
        for (let i = 0; i < n; i++)
          if (!(Math.abs(got[i] - ref[i]) <= 2e-5 + 1e-4 * Math.abs(ref[i]) + (noise ? NORMAL_ABS * 0.05 : 0)))
            expect.fail(`W[${i}]: got ${got[i]}, want ${ref[i]}`);
        expect(Array.from(got).some((x, i) => x !== W0[i])).toBe(true);
      });
    }
});

describe('MLP optimizers on packed tensors (one dispatch for every layer)', () => {
  const key = seedToKey('77');
  for (const opt of ['momentum', 'adam'] as const)
    it(`${opt}, fused noise: 2 steps of 4 packed tensors equal the reference of each alone`, async () => {
      const sizes = [6 * 7, 6, 1 * 6, 1];
      let off = 0;
      const tensors = sizes.map((n, k) => {
        const t = { n, p: k, off };
        off += n;
        return t;
      });
      const W0 = Float32Array.from({ length: off }, () => rng.normal() * 0.2);
      const grad = Float32Array.from({ length: off }, () => rng.normal());
      const W = makeBuffer(device, W0),
        M = makeBuffer(device, new Float32Array(off)),
        V = opt === 'adam' ? makeBuffer(device, new Float32Array(off)) : null,
        g = makeBuffer(device, grad);
      const ref = new Float32Array(W0);
      const states = tensors.map((t) => ({ M: new Float32Array(t.n), V: new Float32Array(t.n) }));
      for (let step = 1; step <= 2; step++) {
        const st: StepValues = { step, lr: 0.05, invB: 1 / 8, noiseStd: 1.1, key };
        const o = new OptimUniform(device, 0, step).buffer;
        runAll([mlpOptim(device, opt, 1, tensors, { st: stepUniform(st), o, grad: g, W, M, V })]);
        tensors.forEach((t, k) =>
          mlpOptimRef(
            opt,
            st,
            t.p,
            grad.subarray(t.off, t.off + t.n),
            ref.subarray(t.off, t.off + t.n),
            states[k],
            true,
          ),
        );
      }
      const got = await f32(W);
      for (let i = 0; i < off; i++)
        if (!(Math.abs(got[i] - ref[i]) <= 2e-5 + 1e-4 * Math.abs(ref[i]) + NORMAL_ABS * 0.05))
          expect.fail(`W[${i}]: got ${got[i]}, want ${ref[i]}`);
    });
});
