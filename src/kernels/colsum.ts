// Bias gradient as a (scaled) column sum (shaders/colsum.wgsl), with CPU reference.
import code from '../../shaders/colsum.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, dummyBuffer, type Dispatch, type Program } from './program';
import { exampleScale } from './matmul';

export const COLSUM_CODE = withLibs(code, { clip: true });
export function colsumProgram(scaleMode: 0 | 1 | 2): Program {
  return { name: 'colsum', code: COLSUM_CODE, workgroup: WORKGROUP, constants: { SCALE_MODE: scaleMode } };
}
export interface ColSumParams {
  B: number;
  N: number;
  offG: number;
  ldG: number;
  offScale: number;
  clipSq: number;
}

/** db = sum_i s(i) G[i, :]; `scale` holds the clip factors or norms (modes 1 and 2). */
export function colsum(
  device: GPUDevice,
  mode: 0 | 1 | 2,
  p: ColSumParams,
  b: { G: GPUBuffer; scale?: GPUBuffer | null; out: GPUBuffer },
): Dispatch {
  const prog = colsumProgram(mode);
  return makeDispatch(device, prog, { G: b.G, scale: b.scale ?? dummyBuffer(device), out: b.out }, gridFor(prog, p.N), {
    u: p,
  });
}

export function colsumRef(
  mode: number,
  p: ColSumParams,
  G: ArrayLike<number>,
  scale: ArrayLike<number>,
  out: Float32Array,
): void {
  for (let j = 0; j < p.N; j++) {
    let acc = 0;
    for (let i = 0; i < p.B; i++) acc += exampleScale(mode, scale, p.offScale, i, p.clipSq) * G[p.offG + i * p.ldG + j];
    out[j] = acc;
  }
}
