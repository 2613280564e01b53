// Bias gradient as a (scaled) column sum (shaders/colsum.wgsl), with CPU reference.
import code from '../../shaders/colsum.wgsl?raw';
import { withLibs, type Program } from './program';
import { exampleScale } from './matmul';

export const COLSUM_CODE = withLibs(code, { clip: true });
export function colsumProgram(scaleMode: 0 | 1 | 2): Program {
  return { name: 'colsum', code: COLSUM_CODE, workgroup: 64, constants: { SCALE_MODE: scaleMode } };
}
export interface ColSumParams { B: number; N: number; offG: number; ldG: number; offScale: number; clipSq: number }

export function colsumRef(mode: number, p: ColSumParams, G: ArrayLike<number>, scale: ArrayLike<number>, out: Float32Array): void {
  for (let j = 0; j < p.N; j++) {
    let acc = 0;
    for (let i = 0; i < p.B; i++) acc += exampleScale(mode, scale, p.offScale, i, p.clipSq) * G[p.offG + i * p.ldG + j];
    out[j] = acc;
  }
}
