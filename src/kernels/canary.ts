// AUDIT ONLY: the gradient canaries' update (shaders/canary_add.wgsl) and its CPU reference.
import code from '../../shaders/canary_add.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, type BufferArg, type Dispatch, type Program } from './program';
import type { StepValues } from './step';

export const CANARY_ADD_CODE = withLibs(code, { step: true, rows: true });
export const canaryAddProgram: Program = { name: 'canary_add', code: CANARY_ADD_CODE, workgroup: WORKGROUP };

export interface CanaryParams {
  /** canaries; ids holds at most m sampled ones */
  m: number;
  D: number;
  table: number;
  /** the table row of canary 0 (the data's row count: canary rows follow the real ones) */
  first: number;
  rowStart: number;
  rows: number;
  /** the clip bound C: each canary's gradient is C·u_j */
  clip: number;
}

/** E[first + j] -= lr·invB·C·dirs[table, j] for each sampled canary j listed in ids (count first). */
export function canaryAdd(
  device: GPUDevice,
  p: CanaryParams,
  b: { st: GPUBuffer; ids: BufferArg; dirs: BufferArg; E: BufferArg },
): Dispatch {
  return makeDispatch(device, canaryAddProgram, b, gridFor(canaryAddProgram, p.m * p.D), { u: p });
}

/** CPU reference of canaryAdd on the shard's rows E (rowStart .. rowStart + rows of the table). */
export function canaryAddRef(
  st: Pick<StepValues, 'lr' | 'invB'>,
  p: CanaryParams,
  ids: ArrayLike<number>,
  dirs: ArrayLike<number>,
  E: Float32Array,
): void {
  const n = Math.min(ids[0], p.m);
  const s = Math.fround(st.lr * st.invB * p.clip);
  for (let k = 0; k < n; k++) {
    const j = ids[1 + k];
    const r = p.first + j - p.rowStart;
    if (j >= p.m || r < 0 || r >= p.rows) continue;
    for (let d = 0; d < p.D; d++) E[r * p.D + d] -= s * dirs[(p.table * p.m + j) * p.D + d];
  }
}
