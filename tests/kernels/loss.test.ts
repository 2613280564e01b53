// Binary cross-entropy and its gradient (shaders/loss.wgsl) against the reference.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { loss, lossRef } from '../../src/kernels/loss';

const gpu = kernelTest(1234);
const { rng, randn, f32, run, buffer } = gpu;

describe('loss', () => {
  it('BCE sum, count and per-example gradient with a mask, also for extreme logits', async () => {
    const B = 300;
    const logits = randn(B, 3);
    logits[0] = 80;
    logits[1] = -80;
    const labels = Float32Array.from({ length: B }, () => (rng.next() < 0.4 ? 1 : 0));
    const mask = Float32Array.from({ length: B }, (_, i) => (i % 7 === 3 ? 0 : 1));
    const dl = new Float32Array(B);
    const lossBuf = buffer(new Float32Array(8));
    const dlBuf = buffer(dl);
    run(
      loss(
        gpu.device,
        { B, slot: 2 },
        { logits: buffer(logits), labels: buffer(labels), mask: buffer(mask), dlogits: dlBuf, lossOut: lossBuf },
      ).dispatch,
    );
    const ref = lossRef(logits, labels, mask, dl);
    const got = await f32(lossBuf);
    expect(got[4]).toBeCloseTo(ref.sum, 2);
    expect(got[5]).toBe(ref.count);
    expectClose(await f32(dlBuf), dl, 1e-5, 1e-6);
  });
});
