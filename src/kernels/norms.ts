// Per-example gradient norms without per-example gradients, and flat clip factors
// (shaders/layer_norm.wgsl, bag_norm.wgsl, clip.wgsl), with CPU references.
import layerCode from '../../shaders/layer_norm.wgsl?raw';
import bagCode from '../../shaders/bag_norm.wgsl?raw';
import clipCode from '../../shaders/clip.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, u32Storage, type Dispatch, type Program } from './program';

export const LAYER_NORM_CODE = withLibs(layerCode);
export const BAG_NORM_CODE = withLibs(bagCode);
export const CLIP_CODE = withLibs(clipCode);
export const layerNormProgram: Program = { name: 'layer_norm', code: LAYER_NORM_CODE, workgroup: WORKGROUP };
export const bagNormProgram: Program = { name: 'bag_norm', code: BAG_NORM_CODE, workgroup: WORKGROUP };
export const clipProgram: Program = { name: 'clip', code: CLIP_CODE, workgroup: WORKGROUP };

export interface LayerNormParams {
  B: number;
  inDim: number;
  outDim: number;
  offA: number;
  ldA: number;
  offG: number;
  ldG: number;
  offN: number;
}
export interface BagNormParams {
  B: number;
  L: number;
  D: number;
  /** rows of each table (one number: one table) */
  rows: number | number[];
  offIdx: number;
  offG: number;
  ldG: number;
  offN: number;
  /** table t's indices, gradient columns and norms start t * stride past the offsets */
  strideIdx?: number;
  strideG?: number;
  strideN?: number;
}

export function layerNorm(
  device: GPUDevice,
  p: LayerNormParams,
  b: { A: GPUBuffer; G: GPUBuffer; norms: GPUBuffer },
): Dispatch {
  return makeDispatch(device, layerNormProgram, b, gridFor(layerNormProgram, p.B), { u: p });
}

/** Every table's per-example norms in one dispatch. */
export function bagNorm(
  device: GPUDevice,
  p: BagNormParams,
  b: { idx: GPUBuffer; G: GPUBuffer; norms: GPUBuffer },
): Dispatch {
  const rows = typeof p.rows === 'number' ? [p.rows] : p.rows;
  const T = rows.length;
  const tableRows = u32Storage(device, 'bagNorm.tableRows', rows);
  const u = {
    B: p.B,
    L: p.L,
    D: p.D,
    tables: T,
    offIdx: p.offIdx,
    strideIdx: p.strideIdx ?? 0,
    offG: p.offG,
    strideG: p.strideG ?? 0,
    ldG: p.ldG,
    offN: p.offN,
    strideN: p.strideN ?? 0,
  };
  const d = makeDispatch(device, bagNormProgram, { ...b, tableRows }, gridFor(bagNormProgram, p.B * T), { u });
  d.owned.push(tableRows);
  return d;
}

export interface ClipParams {
  B: number;
  groups: number;
  clipSq: number;
}
export function clipFactors(
  device: GPUDevice,
  p: ClipParams,
  b: { norms: GPUBuffer; mask: GPUBuffer; factors: GPUBuffer },
): Dispatch {
  return makeDispatch(device, clipProgram, b, gridFor(clipProgram, p.B), { u: p });
}

export function layerNormRef(p: LayerNormParams, A: ArrayLike<number>, G: ArrayLike<number>, out: Float32Array): void {
  for (let b = 0; b < p.B; b++) {
    let a2 = 0,
      g2 = 0;
    for (let k = 0; k < p.inDim; k++) a2 += A[p.offA + b * p.ldA + k] ** 2;
    for (let j = 0; j < p.outDim; j++) g2 += G[p.offG + b * p.ldG + j] ** 2;
    out[p.offN + b] = (a2 + 1) * g2;
  }
}

export function bagNormRef(p: BagNormParams, idx: ArrayLike<number>, G: ArrayLike<number>, out: Float32Array): void {
  const rows = typeof p.rows === 'number' ? [p.rows] : p.rows;
  rows.forEach((R, t) => {
    const offIdx = p.offIdx + t * (p.strideIdx ?? 0);
    const offG = p.offG + t * (p.strideG ?? 0);
    const offN = p.offN + t * (p.strideN ?? 0);
    for (let b = 0; b < p.B; b++) {
      const counts = new Map<number, number>();
      for (let l = 0; l < p.L; l++) {
        const r = idx[offIdx + b * p.L + l];
        if (r < R) counts.set(r, (counts.get(r) ?? 0) + 1);
      }
      let cnt2 = 0;
      for (const c of counts.values()) cnt2 += c * c;
      let g2 = 0;
      for (let d = 0; d < p.D; d++) g2 += G[offG + b * p.ldG + d] ** 2;
      out[offN + b] = g2 * cnt2;
    }
  });
}

export function clipRef(
  B: number,
  groups: number,
  clipSq: number,
  norms: ArrayLike<number>,
  mask: ArrayLike<number>,
  out: Float32Array,
): void {
  for (let b = 0; b < B; b++) {
    let total = 0;
    for (let k = 0; k < groups; k++) total += norms[k * B + b];
    out[b] = (total <= clipSq ? 1 : Math.sqrt(clipSq / total)) * mask[b];
  }
}
