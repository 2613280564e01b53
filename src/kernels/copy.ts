// The copy kernel (shaders/copy.wgsl): the bandwidth the bench measures the dense noise pass
// against, on the same table buffer. With CPU reference.
import code from '../../shaders/copy.wgsl?raw';
import { withLibs, makeDispatch, gridFor, type Dispatch, type Program } from './program';

export const COPY_CODE = withLibs(code);
export const copyProgram: Program = { name: 'copy', code: COPY_CODE, workgroup: 256 };

/** Whole vec4s of a buffer of `bytes` (a tail of under 16 bytes is not touched). */
export function copyQuads(bytes: number): number {
  return Math.floor(bytes / 16);
}

/** X[0 .. 4 n4) = X * scale, in place; reads and writes 32 n4 bytes. */
export function copyInPlace(device: GPUDevice, p: { n4: number; scale: number }, b: { X: GPUBuffer }): Dispatch {
  return makeDispatch(device, copyProgram, b, gridFor(copyProgram, p.n4), { u: p });
}

export function copyInPlaceRef(p: { n4: number; scale: number }, X: Float32Array): void {
  for (let i = 0; i < 4 * p.n4; i++) X[i] = Math.fround(X[i] * p.scale);
}
