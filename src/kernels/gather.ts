// Embedding-bag forward (shaders/gather.wgsl) and its CPU reference.
import code from '../../shaders/gather.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, type Dispatch, type Program } from './program';

export const GATHER_CODE = withLibs(code, { rows: true });
export const gatherProgram: Program = { name: 'gather', code: GATHER_CODE, workgroup: WORKGROUP };
export { INVALID_ROW } from '../data/format';

/** `E` holds rows rowStart .. rowStart + rows of the table (one shard); accumulate adds to out. */
export interface GatherParams {
  B: number;
  L: number;
  D: number;
  rows: number;
  offIdx: number;
  offOut: number;
  ldOut: number;
  rowStart: number;
  accumulate: number;
}

/** Sums the bags of one table (shard) into its columns of the feature buffer V (`outV`). */
export function gather(
  device: GPUDevice,
  p: GatherParams,
  b: { E: GPUBuffer; idx: GPUBuffer; outV: GPUBuffer },
): Dispatch {
  return makeDispatch(device, gatherProgram, b, gridFor(gatherProgram, p.B * p.D), { u: p });
}

export function gatherRef(p: GatherParams, E: ArrayLike<number>, idx: ArrayLike<number>, out: Float32Array): void {
  for (let b = 0; b < p.B; b++)
    for (let d = 0; d < p.D; d++) {
      let acc = 0;
      for (let l = 0; l < p.L; l++) {
        const r = (idx[p.offIdx + b * p.L + l] - p.rowStart) >>> 0;
        if (r < p.rows) acc += E[r * p.D + d];
      }
      const o = p.offOut + b * p.ldOut + d;
      out[o] = (p.accumulate ? out[o] : 0) + acc;
    }
}
