// MLP tensor updates with Philox noise (shaders/mlp_update.wgsl) against the TypeScript draws, in
// every noise mode, and on a grid past 65535 workgroups.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { noiseTolerance } from '../helpers/tolerance';
import { kernelTest } from '../helpers/kernels';
import { grid } from '../../src/kernels/program';
import { mlpUpdate, mlpSample, mlpUpdateRef, MLP_MAX_TENSORS, type MlpTensor } from '../../src/kernels/noise';
import type { StepValues } from '../../src/kernels/step';
import { seedToKey, mlpNoise } from '../../src/noise/philox';

const gpu = kernelTest(1234);
const { randn, f32, empty, runAll, stepUniform, buffer } = gpu;
const key = seedToKey('123456789012345');

describe('noisy updates (Philox noise in the kernel against the TypeScript draws)', () => {
  for (const noise of [0, 1, 2] as const) {
    it(`MLP tensor update, noise mode ${noise}`, async () => {
      const n = 47,
        p = 5;
      const st: StepValues = { step: 9, lr: 0.3, invB: 1 / 32, noiseStd: 1.7, key };
      const grad = randn(n),
        W = randn(n);
      const bufW = buffer(W),
        nbuf = empty(n * 4);
      const sU = stepUniform(st);
      const ds = [];
      if (noise === 2) ds.push(mlpSample(gpu.device, { n, p }, { st: sU, noiseBuf: nbuf }));
      ds.push(mlpUpdate(gpu.device, noise, { n, p }, { st: sU, grad: buffer(grad), W: bufW, noiseBuf: nbuf }));
      runAll(ds);
      mlpUpdateRef(st, p, grad, W, noise !== 0);
      const tol = noiseTolerance(st.lr * st.invB * st.noiseStd); // WGSL's bounds on the normal
      expectClose(await f32(bufW).then((a) => a.subarray(0, n)), W, tol.rel, tol.abs);
    });
  }
});

describe('all MLP tensors in one buffer, one dispatch', () => {
  // packed as the engine packs them (weight then bias of each layer, no padding), with
  // parameter numbers that are not their order: every tensor draws its own counters
  const sizes = [13 * 5, 5, 7 * 3, 3, 1, 1, 9];
  const tensors: MlpTensor[] = [];
  let off = 0;
  sizes.forEach((n, k) => {
    tensors.push({ n, p: [0, 1, 2, 3, 7, 8, 4][k], off });
    off += n;
  });
  for (const noise of [0, 1, 2] as const) {
    it(`packed tensors of odd sizes, noise mode ${noise}: each as if updated alone`, async () => {
      const st: StepValues = { step: 4, lr: 0.2, invB: 1 / 16, noiseStd: 0.9, key };
      const grad = randn(off),
        W = randn(off);
      const bufW = buffer(W),
        nbuf = empty(off * 4);
      const sU = stepUniform(st);
      const ds = [];
      if (noise === 2) ds.push(mlpSample(gpu.device, tensors, { st: sU, noiseBuf: nbuf }));
      ds.push(mlpUpdate(gpu.device, noise, tensors, { st: sU, grad: buffer(grad), W: bufW, noiseBuf: nbuf }));
      expect(ds[ds.length - 1].groups[0]).toBe(Math.ceil(sizes.reduce((a, n) => a + Math.ceil(n / 4), 0) / 64));
      runAll(ds);
      for (const t of tensors)
        mlpUpdateRef(st, t.p, grad.subarray(t.off, t.off + t.n), W.subarray(t.off, t.off + t.n), noise !== 0);
      const tol = noiseTolerance(st.lr * st.invB * st.noiseStd); // WGSL's bounds on the normal
      expectClose(await f32(bufW).then((a) => a.subarray(0, off)), W, tol.rel, tol.abs);
    });
  }
  it('too many or empty tensors: a clear error', () => {
    const many = Array.from({ length: MLP_MAX_TENSORS + 1 }, (_, k) => ({ n: 1, p: k, off: k }));
    const bufs = { st: stepUniform({ step: 1, lr: 1, invB: 1, noiseStd: 0, key }), grad: empty(64), W: empty(64) };
    expect(() => mlpUpdate(gpu.device, 0, many, bufs)).toThrow(/41 tensors/);
    expect(() => mlpUpdate(gpu.device, 0, [{ n: 0, p: 0, off: 0 }], bufs)).toThrow(/empty/);
  });
});

describe('grids past 65535 workgroups (2-D dispatch)', () => {
  it('an MLP tensor of more than 2^24 values: every index updated exactly once, noise at its own counter', async () => {
    const n = 65535 * 64 * 4 + 4003; // one x-row of workgroups covers 16,776,960 values
    const st: StepValues = { step: 2, lr: 0.5, invB: 0.25, noiseStd: 1.5, key };
    const groups = grid(Math.ceil(n / 4), 64);
    expect(groups[1]).toBe(2);
    const W = empty(n * 4),
      nb = empty(n * 4);
    const ds = [
      mlpUpdate(
        gpu.device,
        0,
        { n, p: 3 },
        { st: stepUniform(st), grad: buffer(new Float32Array(n).fill(1)), W, noiseBuf: nb },
      ),
      mlpSample(gpu.device, { n, p: 3 }, { st: stepUniform(st), noiseBuf: nb }),
    ];
    expect(ds.map((d) => d.groups)).toEqual([groups, groups]);
    runAll(ds);
    const w = await f32(W);
    const want = -st.lr * st.invB;
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (w[i] !== want) bad = i;
    expect(bad).toBe(-1);
    const z = await f32(nb);
    for (const i of [0, 1, 5, 16_776_959, 16_776_960, 16_776_963, n - 1])
      expect(z[i]).toBeCloseTo(st.noiseStd * mlpNoise(key, 3, i, st.step), 3);
  });
});
