// ReLU backward on strided views (shaders/relu_backward.wgsl) against the reference.
import { describe, it } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { reluBackward, reluBackwardRef } from '../../src/kernels/relu';

const gpu = kernelTest(1234);
const { randn, f32, run, buffer } = gpu;

describe('ReLU backward', () => {
  it('zeroes gradients where the activation is not positive, on strided views', async () => {
    const rows = 21,
      cols = 9;
    const G = randn(rows * 20 + 5),
      act = randn(rows * 15 + 2);
    const p = { rows, cols, offG: 5, ldG: 20, offAct: 2, ldAct: 15 };
    const buf = buffer(G);
    run(reluBackward(gpu.device, p, { G: buf, act: buffer(act) }));
    reluBackwardRef(p, G, act);
    expectClose(await f32(buf), G);
  });
});
