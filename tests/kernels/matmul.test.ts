// Tiled matmul (shaders/matmul.wgsl) on strided views, with bias, ReLU, ReLU mask and clip factors,
// against its TypeScript reference, at sizes with partial tiles.
import { describe, it } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { matmul, matmulRef, type MatmulOptions, type MatmulParams } from '../../src/kernels/matmul';

const gpu = kernelTest(1234);
const { rng, randn, f32, run, buffer } = gpu;

describe('matmul (tiled, strided views)', () => {
  const cases: [string, MatmulOptions, number, number, number][] = [
    ['forward X W^T + b, ReLU, partial tiles', { bias: true, relu: true }, 37, 19, 53],
    ['backward G W with ReLU mask', { reluMask: true }, 33, 21, 17],
    ['weight gradient G^T diag(c) A, flat factors', { scaleMode: 1 }, 18, 29, 45],
    ['weight gradient, per-layer factors from norms', { scaleMode: 2 }, 15, 7, 40],
    ['single row and column', { bias: true }, 1, 1, 3],
  ];
  for (const [name, o, M, N, K] of cases) {
    it(name, async () => {
      // A is a view with row stride M+K+3 and an offset, as the feature buffer is.
      const lda = K + 5,
        offA = 7;
      const A = randn(offA + M * lda);
      const B = randn(K * N + 3);
      const aux = o.bias ? randn(N) : randn(M * (N + 2) + 4);
      const scale =
        o.scaleMode === 2
          ? Float32Array.from({ length: K + 2 }, () => rng.next() * 4)
          : Float32Array.from({ length: K + 2 }, () => rng.next());
      const p: MatmulParams = {
        M,
        N,
        K,
        offA,
        sAm: lda,
        sAk: 1,
        offB: 3,
        sBk: N,
        sBn: 1,
        offC: 2,
        ldc: N + 1,
        offAux: o.reluMask ? 4 : 0,
        ldAux: N + 2,
        offScale: 2,
        clipSq: 1.0,
      };
      const C = new Float32Array(2 + M * (N + 1));
      const bufC = buffer(C);
      run(matmul(gpu.device, o, p, { A: buffer(A), Bm: buffer(B), C: bufC, aux: buffer(aux), scale: buffer(scale) }));
      matmulRef(o, p, A, B, C, aux, scale);
      expectClose((await f32(bufC)).subarray(0, C.length), C, 1e-5, 1e-4);
    });
  }
});
