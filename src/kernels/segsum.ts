// Per-row sums of clipped pooled gradients over sorted pairs (shaders/segsum.wgsl), and the
// sparse SGD update of those rows (shaders/rows_update.wgsl), with CPU references.
import code from '../../shaders/segsum.wgsl?raw';
import rowsCode from '../../shaders/rows_update.wgsl?raw';
import { withLibs, type Program } from './program';
import { exampleScale } from './matmul';
import { heads } from './sort';

export const SEGSUM_CODE = withLibs(code, { clip: true });
export const ROWS_UPDATE_CODE = withLibs(rowsCode, { step: true });
export function segsumProgram(scaleMode: 0 | 1 | 2): Program {
  return { name: 'segsum', code: SEGSUM_CODE, workgroup: 64, constants: { SCALE_MODE: scaleMode } };
}
export const rowsUpdateProgram: Program = { name: 'rows_update', code: ROWS_UPDATE_CODE, workgroup: 64 };
/** The same rows written into a dense gradient buffer, for the dense table optimizers. */
export const rowsScatterProgram: Program = { name: 'rows_update', code: ROWS_UPDATE_CODE, entry: 'scatter', workgroup: 64 };

export interface SegSumParams { n: number; L: number; D: number; offG: number; ldG: number; offScale: number; clipSq: number }

export function segsumRef(mode: number, p: SegSumParams, keys: ArrayLike<number>, vals: ArrayLike<number>, G: ArrayLike<number>, scale: ArrayLike<number>, out: Float32Array): void {
  for (const h of heads(keys)) {
    for (let d = 0; d < p.D; d++) {
      let acc = 0;
      for (let q = h; q < p.n && keys[q] === keys[h]; q++) {
        const b = Math.floor(vals[q] / p.L);
        acc += exampleScale(mode, scale, p.offScale, b, p.clipSq) * G[p.offG + b * p.ldG + d];
      }
      out[h * p.D + d] = acc;
    }
  }
}

/** `E` holds rows rowStart .. rowStart + rows (one shard; the whole table by default). */
export function rowsUpdateRef(D: number, lrOverB: number, keys: ArrayLike<number>, rowGrad: ArrayLike<number>, E: Float32Array, rowStart = 0, rows = E.length / D): void {
  for (const h of heads(keys)) {
    const r = keys[h] - rowStart;
    if (r < 0 || r >= rows) continue;
    for (let d = 0; d < D; d++) E[r * D + d] -= lrOverB * rowGrad[h * D + d];
  }
}

/** Scatter of each unique row's gradient into the dense `G` of one shard. */
export function rowsScatterRef(D: number, keys: ArrayLike<number>, rowGrad: ArrayLike<number>, G: Float32Array, rowStart = 0, rows = G.length / D): void {
  for (const h of heads(keys)) {
    const r = keys[h] - rowStart;
    if (r < 0 || r >= rows) continue;
    for (let d = 0; d < D; d++) G[r * D + d] = rowGrad[h * D + d];
  }
}
