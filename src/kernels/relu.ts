// In-place ReLU backward on a strided view (shaders/relu_backward.wgsl), with CPU reference.
import code from '../../shaders/relu_backward.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, type Dispatch, type Program } from './program';

export const RELU_CODE = withLibs(code);
export const reluBackwardProgram: Program = { name: 'relu_backward', code: RELU_CODE, workgroup: WORKGROUP };
export interface ReluParams {
  rows: number;
  cols: number;
  offG: number;
  ldG: number;
  offAct: number;
  ldAct: number;
}

export function reluBackward(device: GPUDevice, p: ReluParams, b: { G: GPUBuffer; act: GPUBuffer }): Dispatch {
  return makeDispatch(device, reluBackwardProgram, b, gridFor(reluBackwardProgram, p.rows * p.cols), { u: p });
}

export function reluBackwardRef(p: ReluParams, G: Float32Array, act: ArrayLike<number>): void {
  for (let b = 0; b < p.rows; b++)
    for (let j = 0; j < p.cols; j++) if (act[p.offAct + b * p.ldAct + j] <= 0) G[p.offG + b * p.ldG + j] = 0;
}
