// Per-row sums of clipped pooled gradients over sorted pairs (shaders/segsum.wgsl), and the
// sparse SGD update of those rows (shaders/rows_update.wgsl), with CPU references.
import code from '../../shaders/segsum.wgsl?raw';
import rowsCode from '../../shaders/rows_update.wgsl?raw';
import {
  withLibs,
  WORKGROUP,
  makeDispatch,
  gridFor,
  dummyBuffer,
  withSpans,
  type BufferArg,
  type Buffers,
  type Span,
  type Dispatch,
  type Program,
} from './program';
import { exampleScale } from './matmul';
import { heads } from './sort';

export const SEGSUM_CODE = withLibs(code, { clip: true, rows: true });
export const ROWS_UPDATE_CODE = withLibs(rowsCode, { step: true, rows: true, spans: true });
/** Sorted positions per chunk of the segment sum: no thread walks more pairs than this. */
export const SEGSUM_CHUNK = 256;
/** Pass 1 of the segment sum: each chunk's partial sums. */
export function segsumProgram(scaleMode: 0 | 1 | 2, chunk = SEGSUM_CHUNK): Program {
  return {
    name: 'segsum',
    code: SEGSUM_CODE,
    entry: 'chunks',
    workgroup: WORKGROUP,
    constants: { SCALE_MODE: scaleMode, CHUNK: chunk },
  };
}
/** Pass 2: the carries of runs longer than their chunk (no clip scale: one pipeline for every mode). */
export function segsumCarriesProgram(chunk = SEGSUM_CHUNK): Program {
  return {
    name: 'segsum_carries',
    code: SEGSUM_CODE,
    entry: 'carries',
    workgroup: WORKGROUP,
    constants: { CHUNK: chunk },
  };
}
export const rowsUpdateProgram: Program = { name: 'rows_update', code: ROWS_UPDATE_CODE, workgroup: WORKGROUP };
/** The same rows written into a dense gradient buffer, for the dense table optimizers. */
export const rowsScatterProgram: Program = {
  name: 'rows_update',
  code: ROWS_UPDATE_CODE,
  entry: 'scatter',
  workgroup: WORKGROUP,
};

export interface SegSumParams {
  /** sorted pairs per table */
  n: number;
  L: number;
  D: number;
  offG: number;
  ldG: number;
  offScale: number;
  clipSq: number;
  /** tables (default 1): table t's pairs are t*n .. (t+1)*n, its G columns start at offG +
   * t*strideG, its clip scales at offScale + t*strideScale */
  tables?: number;
  strideG?: number;
  strideScale?: number;
}

/** Bytes of the per-chunk carry buffer of a segment sum over n sorted pairs of D columns per table. */
export function segsumCarryBytes(n: number, D: number, chunk = SEGSUM_CHUNK, tables = 1): number {
  return Math.max(16, Math.ceil(n / chunk) * tables * D * 4);
}

/**
 * Clipped per-row sums of each table's pooled gradients G over its sorted pairs, at each run's
 * head (every table in the same dispatch): two dispatches (partial sums per chunk, then each long run's carries in chunk order).
 * The carry buffer is made here and owned by the dispatches unless the caller passes one
 * (segsumCarryBytes); `chunk` is for tests.
 */
export function segsum(
  device: GPUDevice,
  mode: 0 | 1 | 2,
  p: SegSumParams,
  b: {
    keys: GPUBuffer;
    vals: GPUBuffer;
    G: GPUBuffer;
    scale?: GPUBuffer | null;
    rowGrad: GPUBuffer;
    carry?: GPUBuffer;
  },
  chunk = SEGSUM_CHUNK,
): Dispatch[] {
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`segsum: chunk must be a positive integer, got ${chunk}`);
  let carry = b.carry;
  const own: GPUBuffer[] = [];
  const T = p.tables ?? 1;
  const u = { ...p, tables: T, strideG: p.strideG ?? 0, strideScale: p.strideScale ?? 0 };
  if (!carry) {
    const size = segsumCarryBytes(p.n, p.D, chunk, T);
    own.push(
      (carry = device.createBuffer({
        label: 'segsumCarry',
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      })),
    );
  }
  const threads = Math.ceil(p.n / chunk) * T * p.D;
  const bufs = { ...b, scale: b.scale ?? dummyBuffer(device), carry };
  const pass1 = segsumProgram(mode, chunk);
  const pass2 = segsumCarriesProgram(chunk);
  const d1 = makeDispatch(device, pass1, bufs, gridFor(pass1, threads), { u });
  const d2 = makeDispatch(device, pass2, { keys: b.keys, rowGrad: b.rowGrad, carry }, gridFor(pass2, threads), {
    u,
  });
  d1.owned.push(...own);
  return [d1, d2];
}

/** Rows rowStart .. rowStart + rows of a table: one shard's buffer. */
export interface RowsParams {
  n: number;
  D: number;
  rowStart: number;
  rows: number;
}

/** One shard's span: its keys and row sums bound alone (no table stride). */
const shardSpan = (p: RowsParams): Span[] => [{ table: 0, base: 0, rowStart: p.rowStart, rows: p.rows }];

function rowsDispatch(
  device: GPUDevice,
  prog: Program,
  p: { n: number; D: number; strideKeys: number },
  spans: Span[],
  b: Buffers,
): Dispatch {
  const grid = gridFor(prog, p.n * p.D * spans.length);
  return withSpans(device, spans, (sp) => makeDispatch(device, prog, { ...b, spans: sp }, grid, { u: p }));
}

/** E -= lr / B * rowGrad on the touched rows of this shard. */
export function rowsUpdate(
  device: GPUDevice,
  p: RowsParams,
  b: { st: GPUBuffer; keys: BufferArg; rowGrad: BufferArg; E: BufferArg },
): Dispatch {
  return rowsDispatch(device, rowsUpdateProgram, { n: p.n, D: p.D, strideKeys: 0 }, shardSpan(p), b);
}

/**
 * The touched rows of every span in one dispatch (every table packed in E): table t's sorted
 * pairs are keys t*n .. (t+1)*n, its row sums the same positions of rowGrad.
 */
export function rowsUpdateSpans(
  device: GPUDevice,
  p: { n: number; D: number },
  spans: Span[],
  b: { st: GPUBuffer; keys: GPUBuffer; rowGrad: GPUBuffer; E: BufferArg },
): Dispatch {
  return rowsDispatch(device, rowsUpdateProgram, { ...p, strideKeys: p.n }, spans, b);
}

/** The touched rows' gradients into the shard's dense gradient buffer G. */
export function rowsScatter(
  device: GPUDevice,
  p: RowsParams,
  b: { keys: BufferArg; rowGrad: BufferArg; G: GPUBuffer },
): Dispatch {
  return rowsDispatch(device, rowsScatterProgram, { n: p.n, D: p.D, strideKeys: 0 }, shardSpan(p), b);
}

/** Micro-batches: the touched rows' sums added into G (src/engine/micro.ts; the apply clears G). */
export function rowsScatterAdd(
  device: GPUDevice,
  p: RowsParams,
  b: { keys: BufferArg; rowGrad: BufferArg; G: GPUBuffer },
): Dispatch {
  const prog = { ...rowsScatterProgram, entry: 'scatter_add' };
  return rowsDispatch(device, prog, { n: p.n, D: p.D, strideKeys: 0 }, shardSpan(p), b);
}

/** Table by table: each table's own segment of keys and vals, its own G columns and scales. */
export function segsumRef(
  mode: number,
  p: SegSumParams,
  keys: ArrayLike<number>,
  vals: ArrayLike<number>,
  G: ArrayLike<number>,
  scale: ArrayLike<number>,
  out: Float32Array,
): void {
  const T = p.tables ?? 1;
  if (T > 1) {
    for (let t = 0; t < T; t++) {
      const seg = (a: ArrayLike<number>) => Array.prototype.slice.call(a, t * p.n, (t + 1) * p.n) as number[];
      const part = new Float32Array(p.n * p.D);
      const pt = {
        ...p,
        tables: 1,
        offG: p.offG + t * (p.strideG ?? 0),
        offScale: p.offScale + t * (p.strideScale ?? 0),
      };
      segsumRef(mode, pt, seg(keys), seg(vals), G, scale, part);
      for (const h of heads(seg(keys))) out.set(part.subarray(h * p.D, (h + 1) * p.D), (t * p.n + h) * p.D);
    }
    return;
  }
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
export function rowsUpdateRef(
  D: number,
  lrOverB: number,
  keys: ArrayLike<number>,
  rowGrad: ArrayLike<number>,
  E: Float32Array,
  rowStart = 0,
  rows = E.length / D,
): void {
  for (const h of heads(keys)) {
    const r = keys[h] - rowStart;
    if (r < 0 || r >= rows) continue;
    for (let d = 0; d < D; d++) E[r * D + d] -= lrOverB * rowGrad[h * D + d];
  }
}

/** Scatter of each unique row's gradient into the dense `G` of one shard. */
export function rowsScatterRef(
  D: number,
  keys: ArrayLike<number>,
  rowGrad: ArrayLike<number>,
  G: Float32Array,
  rowStart = 0,
  rows = G.length / D,
): void {
  for (const h of heads(keys)) {
    const r = keys[h] - rowStart;
    if (r < 0 || r >= rows) continue;
    for (let d = 0; d < D; d++) G[r * D + d] = rowGrad[h * D + d];
  }
}
