// Per-example squared norms without per-example gradients and flat clip factors
// (shaders/layer_norm.wgsl, bag_norm.wgsl, clip.wgsl) against their references.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { layerNorm, bagNorm, clipFactors, layerNormRef, bagNormRef, clipRef } from '../../src/kernels/norms';
import { INVALID_ROW } from '../../src/data/format';

const gpu = kernelTest(1234);
const { rng, randn, f32, run, buffer } = gpu;

describe('per-example norms and clip factors', () => {
  it('linear layer: (||a||^2 + 1) ||g||^2', async () => {
    const p = { B: 70, inDim: 11, outDim: 6, offA: 3, ldA: 13, offG: 0, ldG: 6, offN: 70 };
    const A = randn(3 + 70 * 13),
      G = randn(70 * 6);
    const out = new Float32Array(140);
    const buf = buffer(out);
    run(layerNorm(gpu.device, p, { A: buffer(A), G: buffer(G), norms: buf }));
    layerNormRef(p, A, G, out);
    expectClose(await f32(buf), out, 1e-5);
  });
  it('embedding bag: ||g||^2 * sum of squared repeat counts', async () => {
    const B = 40,
      L = 6,
      D = 5;
    const idx = Uint32Array.from({ length: B * L }, () =>
      rng.next() < 0.1 ? INVALID_ROW : Math.floor(rng.next() * 4),
    );
    const G = randn(B * 3 * D);
    const p = { B, L, D, rows: 4, offIdx: 0, offG: D, ldG: 3 * D, offN: 0 };
    const out = new Float32Array(B);
    const buf = buffer(out);
    run(bagNorm(gpu.device, p, { idx: buffer(idx), G: buffer(G), norms: buf }));
    bagNormRef(p, idx, G, out);
    expectClose(await f32(buf), out, 1e-5);
  });
  it('flat clip factors min(1, C/||g||) times the mask', async () => {
    const B = 50,
      groups = 4;
    const norms = Float32Array.from({ length: B * groups }, () => rng.next() * 3);
    const mask = Float32Array.from({ length: B }, (_, i) => (i % 5 ? 1 : 0));
    const out = new Float32Array(B);
    const buf = buffer(out);
    run(clipFactors(gpu.device, { B, groups, clipSq: 4 }, { norms: buffer(norms), mask: buffer(mask), factors: buf }));
    clipRef(B, groups, 4, norms, mask, out);
    expectClose(await f32(buf), out, 1e-6);
    expect(out.some((v) => v < 1 && v > 0)).toBe(true);
  });
});

describe('bag norms of all tables in one dispatch', () => {
  it('three tables with their own rows, gradient columns and norm rows', async () => {
    const B = 30,
      L = 4,
      D = 3,
      rows = [5, 100, 2];
    const T = rows.length;
    const idx = Uint32Array.from({ length: T * B * L }, (_, i) =>
      rng.next() < 0.1 ? INVALID_ROW : Math.floor(rng.next() * (rows[Math.floor(i / (B * L))] + 2)),
    );
    const G = randn(B * (T + 1) * D);
    const p = {
      B,
      L,
      D,
      rows,
      offIdx: 0,
      strideIdx: B * L,
      offG: D,
      strideG: D,
      ldG: (T + 1) * D,
      offN: B,
      strideN: B,
    };
    const out = new Float32Array((T + 1) * B);
    const buf = buffer(out);
    run(bagNorm(gpu.device, p, { idx: buffer(idx), G: buffer(G), norms: buf }));
    bagNormRef(p, idx, G, out);
    const got = await f32(buf);
    expectClose(got, out, 1e-5);
    // each table alone gives the same
    for (let t = 0; t < T; t++) {
      const one = new Float32Array((T + 1) * B);
      bagNormRef(
        { B, L, D, rows: rows[t], offIdx: t * B * L, offG: D + t * D, ldG: (T + 1) * D, offN: B + t * B },
        idx,
        G,
        one,
      );
      expectClose(got.subarray(B + t * B, 2 * B + t * B), one.subarray(B + t * B, 2 * B + t * B), 1e-5);
    }
  });
});
