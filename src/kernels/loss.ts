// Binary cross-entropy and its per-example gradient (shaders/loss.wgsl), with CPU reference.
import code from '../../shaders/loss.wgsl?raw';
import { register, type Program } from './program';

export const LOSS_CODE = register(code);
export const lossProgram: Program = { name: 'loss', code, workgroup: 256 };

export function bce(x: number, y: number): number {
  return Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
}

export function lossRef(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  mask: ArrayLike<number>,
  dlogits: Float32Array,
): { sum: number; count: number } {
  let sum = 0,
    count = 0;
  for (let b = 0; b < logits.length; b++) {
    const x = logits[b],
      m = mask[b];
    sum += m * bce(x, labels[b]);
    count += m;
    dlogits[b] = m * (1 / (1 + Math.exp(-x)) - labels[b]);
  }
  return { sum, count };
}
