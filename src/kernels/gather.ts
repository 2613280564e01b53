// Embedding-bag forward (shaders/gather.wgsl) and its CPU reference.
import code from '../../shaders/gather.wgsl?raw';
import {
  withLibs,
  WORKGROUP,
  makeDispatch,
  gridFor,
  withSpans,
  type BufferArg,
  type Dispatch,
  type Program,
  type Span,
} from './program';

export const GATHER_CODE = withLibs(code, { rows: true, spans: true });
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
  b: { E: BufferArg; idx: GPUBuffer; outV: GPUBuffer },
): Dispatch {
  const span = { table: 0, base: 0, rowStart: p.rowStart, rows: p.rows };
  const u = { B: p.B, L: p.L, D: p.D, offIdx: p.offIdx, strideIdx: 0, offOut: p.offOut, strideOut: 0, ldOut: p.ldOut };
  return gatherSpans(device, { ...u, accumulate: p.accumulate }, [span], b);
}

/** Table t's indices at offIdx + t*strideIdx, its feature columns at offOut + t*strideOut. */
export interface GatherSpansParams {
  B: number;
  L: number;
  D: number;
  offIdx: number;
  strideIdx: number;
  offOut: number;
  strideOut: number;
  ldOut: number;
  accumulate: number;
}

/** The bags of every span (e.g. every table packed in E) in one dispatch. */
export function gatherSpans(
  device: GPUDevice,
  p: GatherSpansParams,
  spans: Span[],
  b: { E: BufferArg; idx: GPUBuffer; outV: GPUBuffer },
): Dispatch {
  const grid = gridFor(gatherProgram, p.B * p.D * spans.length);
  return withSpans(device, spans, (sp) => makeDispatch(device, gatherProgram, { ...b, spans: sp }, grid, { u: p }));
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
