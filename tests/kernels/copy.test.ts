// The bench's copy kernel (shaders/copy.wgsl) against the reference: whole vec4s only, in place.
import { describe, expect, it } from 'vitest';
import { kernelTest } from '../helpers/kernels';
import { copyInPlace, copyInPlaceRef, copyQuads } from '../../src/kernels/copy';

const gpu = kernelTest(77);
const { randn, f32, run, buffer } = gpu;

describe('copy kernel', () => {
  it('scale 1 leaves every value as it was; scale 2 doubles the whole vec4s and leaves the tail', async () => {
    const X = randn(4 * 300 + 3);
    const n4 = copyQuads(X.byteLength);
    expect(n4).toBe(300);
    const same = buffer(X);
    run(copyInPlace(gpu.device, { n4, scale: 1 }, { X: same }));
    expect(Array.from(await f32(same))).toEqual(Array.from(X));
    const twice = buffer(X);
    run(copyInPlace(gpu.device, { n4, scale: 2 }, { X: twice }));
    const ref = X.slice();
    copyInPlaceRef({ n4, scale: 2 }, ref);
    expect(ref[4 * n4]).toBe(X[4 * n4]);
    expect(Array.from(await f32(twice))).toEqual(Array.from(ref));
  });

  it('a grid past 65535 workgroups (2-D) reaches every vec4', async () => {
    const n4 = 65535 * 256 + 1000;
    const X = new Float32Array(4 * n4).fill(1.5);
    const b = buffer(X);
    run(copyInPlace(gpu.device, { n4, scale: 2 }, { X: b }));
    const got = await f32(b);
    expect(got.every((v) => v === 3)).toBe(true);
  });
});
