// The K-split MLP weight and bias gradients (shaders/wgrad.wgsl): each chunk's partial sums
// against the TypeScript reference in every clip scale mode, the fixed-order reduce against the
// same f32 additions on the CPU (bit for bit), and the split's sizes.
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import {
  wgradPartial,
  wgradReduce,
  wgradRef,
  wgradPartialRef,
  wgradReduceRef,
  wgradSplit,
  type WgradParams,
} from '../../src/kernels/wgrad';

const gpu = kernelTest(4321);
const { rng, randn, f32, runAll, buffer } = gpu;

describe('weight gradients split over the batch', () => {
  // [M, N, K, chunk]: partial tiles, a bias column that starts a new tile (N = 32), one row
  const shapes: [number, number, number, number][] = [
    [37, 19, 77, 32],
    [13, 31, 64, 16],
    [5, 32, 50, 48],
    [1, 40, 33, 16],
  ];
  for (const mode of [0, 1, 2] as const)
    for (const [M, N, K, chunk] of shapes)
      it(`mode ${mode}, ${M}x${N} over ${K} rows in chunks of ${chunk}`, async () => {
        const chunks = Math.ceil(K / chunk);
        // the layer sits inside a wider gradient layout, its G and A are strided views
        const offOut = 6,
          stride = offOut + M * N + M + 5;
        const ldG = M + 3,
          ldA = N + 2;
        const p: WgradParams = {
          M,
          N,
          K,
          chunk,
          offG: 2,
          ldG,
          offA: 1,
          ldA,
          offScale: 3,
          clipSq: 0.8,
          offOut,
          stride,
        };
        const G = randn(2 + K * ldG),
          A = randn(1 + K * ldA);
        const scale = Float32Array.from({ length: K + 3 }, () => rng.next() * (mode === 2 ? 3 : 1));
        const P = buffer(new Float32Array(chunks * stride)),
          out = buffer(new Float32Array(stride));
        const [gb, ab, sb] = [buffer(G), buffer(A), buffer(scale)];
        runAll([wgradPartial(gpu.device, mode, p, { G: gb, A: ab, scale: sb, P })]);
        const parts = await f32(P);
        const wantParts = new Float32Array(chunks * stride);
        wgradPartialRef(mode, p, G, A, scale, wantParts);
        expectClose(parts, wantParts, 1e-5, 1e-5); // untouched entries stay 0

        runAll([wgradReduce(gpu.device, { n: stride, chunks }, { parts: P, out })]);
        const got = await f32(out);
        expect(Array.from(got)).toEqual(Array.from(wgradReduceRef(stride, chunks, parts)));
        const want = new Float32Array(stride);
        wgradRef(mode, p, G, A, scale, want);
        expectClose(got, want, 1e-5, 1e-5);

        // deterministic: the same inputs give the same bits
        const P2 = buffer(new Float32Array(chunks * stride)),
          out2 = buffer(new Float32Array(stride));
        runAll([
          wgradPartial(gpu.device, mode, p, { G: gb, A: ab, scale: sb, P: P2 }),
          wgradReduce(gpu.device, { n: stride, chunks }, { parts: P2, out: out2 }),
        ]);
        expect(Array.from(await f32(out2))).toEqual(Array.from(got));
      });

  it('one chunk writes the gradient itself', async () => {
    const p: WgradParams = {
      M: 9,
      N: 7,
      K: 40,
      chunk: 48,
      offG: 0,
      ldG: 9,
      offA: 0,
      ldA: 7,
      offScale: 0,
      clipSq: 1,
      offOut: 4,
      stride: 100,
    };
    const G = randn(40 * 9),
      A = randn(40 * 7);
    const out = buffer(new Float32Array(100));
    runAll([wgradPartial(gpu.device, 0, p, { G: buffer(G), A: buffer(A), P: out })]);
    const want = new Float32Array(100);
    wgradRef(0, p, G, A, [], want);
    expectClose(await f32(out), want, 1e-5, 1e-5);
  });

  it('the split: chunks of whole tile steps that cover the batch, partials bounded', () => {
    for (const [B, params] of [
      [2048, 100_000],
      [2049, 100_000],
      [77, 5000],
      [4096, 50_000_000],
      [1, 10],
    ]) {
      const s = wgradSplit(B, params);
      expect(s.chunk % 16).toBe(0);
      expect(s.chunks * s.chunk).toBeGreaterThanOrEqual(B);
      expect((s.chunks - 1) * s.chunk).toBeLessThan(B);
      expect(s.chunks).toBeLessThanOrEqual(16);
      expect(s.partialBytes).toBeLessThanOrEqual(64 << 20);
      expect(s.partialBytes).toBe(s.chunks > 1 ? s.chunks * params * 4 : 0);
    }
    expect(wgradSplit(2048, 100_000)).toMatchObject({ chunks: 16, chunk: 128 });
    expect(wgradSplit(4096, 50_000_000).chunks).toBe(1);
  });
});
