// Micro-batch accumulation (shaders/micro.wgsl; the tables' rows: segsum.ts rowsScatterAdd): the clipped
// gradients of a logical batch's micro-batches added up in place, then applied once; with CPU
// references.
import code from '../../shaders/micro.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, type BufferArg, type Dispatch, type Program } from './program';

export const MICRO_CODE = withLibs(code, { step: true });
const program = (entry: 'add' | 'zero' | 'apply'): Program => ({
  name: 'micro',
  code: MICRO_CODE,
  entry,
  workgroup: WORKGROUP,
});

/** acc[0 .. n) += x[0 .. n). */
export function accumulate(device: GPUDevice, n: number, b: { acc: GPUBuffer; x: GPUBuffer }): Dispatch {
  const p = program('add');
  return makeDispatch(device, p, b, gridFor(p, n), { u: { n } });
}

/** acc[0 .. n) = 0. */
export function zeroOut(device: GPUDevice, n: number, b: { acc: GPUBuffer }): Dispatch {
  const p = program('zero');
  return makeDispatch(device, p, b, gridFor(p, n), { u: { n } });
}

/** E -= lr / B * G over one shard's rows*D values, and G = 0 (the logical step's table update). */
export function applyRows(device: GPUDevice, n: number, b: { st: GPUBuffer; acc: GPUBuffer; E: BufferArg }): Dispatch {
  const p = program('apply');
  return makeDispatch(device, p, b, gridFor(p, n), { u: { n } });
}

/** CPU reference of `apply`: the same f32 operations. */
export function applyRowsRef(lrOverB: number, G: Float32Array, E: Float32Array): void {
  for (let i = 0; i < G.length; i++) {
    E[i] = Math.fround(E[i] - Math.fround(lrOverB * G[i]));
    G[i] = 0;
  }
}
