// Binary cross-entropy and its per-example gradient (shaders/loss.wgsl), with CPU reference.
import code from '../../shaders/loss.wgsl?raw';
import { register, makeDispatch, setExactly, uniformView, type Dispatch, type Program } from './program';

export const LOSS_CODE = register(code);
/** One workgroup of 256 threads (a fixed-order tree reduction in workgroup memory). */
export const lossProgram: Program = { name: 'loss', code: LOSS_CODE };

export interface LossKernel {
  dispatch: Dispatch;
  /** the slot of the loss ring the next step writes its (sum, count) to */
  setSlot(slot: number): void;
}

/** Loss and per-example gradient of a batch of B logits; (sum, count) go to lossOut[2 slot ..]. */
export function loss(
  device: GPUDevice,
  p: { B: number; slot?: number },
  b: { logits: GPUBuffer; labels: GPUBuffer; mask: GPUBuffer; dlogits: GPUBuffer; lossOut: GPUBuffer },
): LossKernel {
  const view = uniformView(LOSS_CODE, 'u');
  const dispatch = makeDispatch(device, lossProgram, b, [1, 1], { u: { B: p.B, slot: p.slot ?? 0 } });
  const u = dispatch.owned[0];
  return {
    dispatch,
    setSlot(slot: number) {
      setExactly(view, 'Loss', { B: p.B, slot });
      device.queue.writeBuffer(u, 0, view.arrayBuffer);
    },
  };
}

/** Binary cross-entropy of logit x against label y, written to avoid overflow for large |x|. */
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
