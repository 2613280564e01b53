// Bias gradient column sums (shaders/colsum.wgsl) in every clip scale mode against the reference.
import { describe, it } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { colsum, colsumRef } from '../../src/kernels/colsum';

const gpu = kernelTest(1234);
const { rng, randn, f32, run, buffer } = gpu;

describe('bias gradient (column sums)', () => {
  for (const mode of [0, 1, 2] as const) {
    it(`bias gradient column sums, scale mode ${mode}`, async () => {
      const p = { B: 77, N: 13, offG: 2, ldG: 15, offScale: 1, clipSq: 0.5 };
      const G = randn(2 + 77 * 15),
        scale = Float32Array.from({ length: 80 }, () => rng.next() * 2);
      const out = new Float32Array(13);
      const buf = buffer(out);
      run(colsum(gpu.device, mode, p, { G: buffer(G), scale: buffer(scale), out: buf }));
      colsumRef(mode, p, G, scale, out);
      expectClose(await f32(buf), out, 1e-5, 1e-5);
    });
  }
});
