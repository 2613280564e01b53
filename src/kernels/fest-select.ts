// DP-FEST (docs/algorithms-fest.md): the private choice of each table's k most used rows, made
// once before training in plain TypeScript (a Gaussian histogram of row counts over the training
// data), and the two kernels of its steps (shaders/fest_mask.wgsl) with their CPU references.
import maskCode from '../../shaders/fest_mask.wgsl?raw';
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
import { INVALID_ROW } from './gather';
import { histogramNoise } from '../noise/fest';
import { eagerTableNoise, type Key } from '../noise/philox';

export const FEST_MASK_CODE = withLibs(maskCode, { philox: true, step: true, rows: true, spans: true });
const maskProgram: Program = { name: 'fest_mask', code: FEST_MASK_CODE, entry: 'mask', workgroup: WORKGROUP };
const noiseProgram: Program = {
  name: 'fest_mask',
  code: FEST_MASK_CODE,
  entry: 'noise_selected',
  workgroup: WORKGROUP,
};

export interface HistogramParams {
  /** rows of each table */
  rows: number[];
  /** pooling: example i's bag of table t is idx[t][i * L .. (i + 1) * L] */
  L: number;
  /** L2 bound of each example's contribution (its indicator of distinct rows, all tables) */
  bound: number;
  /** noise multiplier of the histogram: noise sigma * bound per row */
  sigma: number;
  key: Key;
}

/**
 * Each example contributes 1 to every distinct row it uses (all tables together), scaled by
 * min(1, bound / sqrt(its distinct rows)): adding or removing one example moves the histogram by
 * at most `bound` in L2, so N(0, (sigma bound)^2) per row is one Gaussian mechanism of multiplier
 * sigma (src/privacy/fest.ts). Every row of every table gets noise (one pass over the rows, once).
 */
export function festHistogram(
  p: HistogramParams,
  idx: readonly Uint32Array[],
): { counts: Float64Array[]; noisy: Float64Array[] } {
  if (!(p.bound > 0)) throw new RangeError(`the histogram's contribution bound must be > 0 (got ${p.bound})`);
  if (!(p.sigma > 0)) throw new RangeError(`the histogram's noise multiplier must be > 0 (got ${p.sigma})`);
  const counts = p.rows.map((R) => new Float64Array(R));
  const n = idx.length ? idx[0].length / p.L : 0;
  for (let i = 0; i < n; i++) {
    const rows = p.rows.map((R, t) => distinctRows(idx[t], i * p.L, p.L, R));
    const norm2 = rows.reduce((a, s) => a + s.size, 0);
    if (norm2 === 0) continue;
    const scale = Math.min(1, p.bound / Math.sqrt(norm2));
    rows.forEach((s, t) => s.forEach((r) => (counts[t][r] += scale)));
  }
  const std = p.sigma * p.bound;
  const noisy = counts.map((c, t) => c.map((v, r) => v + std * histogramNoise(p.key, t, r)));
  return { counts, noisy };
}

function distinctRows(bag: Uint32Array, start: number, L: number, R: number): Set<number> {
  const s = new Set<number>();
  for (let j = start; j < start + L; j++) if (bag[j] !== INVALID_ROW && bag[j] < R) s.add(bag[j]);
  return s;
}

/** The k rows of largest value (ties: the lower row), sorted ascending. */
export function topK(values: Float64Array, k: number): Uint32Array {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be an integer >= 1 (got ${k})`);
  if (k >= values.length) return Uint32Array.from(values.keys());
  const kth = Float64Array.from(values).sort()[values.length - k];
  const out: number[] = [];
  for (let r = 0; r < values.length; r++) if (values[r] > kth) out.push(r);
  for (let r = 0; r < values.length && out.length < k; r++) if (values[r] === kth) out.push(r);
  return Uint32Array.from(out.sort((a, b) => a - b));
}

export interface MaskParams {
  /** index slots per table (batch x L) */
  used: number;
  tables: number;
  /** table t's slots start at offIdx + t * strideIdx of idx (and of idxOut) */
  offIdx: number;
  strideIdx: number;
  /** slots per table of the selection buffer (src/noise/fest.ts packCandidates packs it) */
  kcap: number;
}

/** idxOut = idx with unselected rows replaced by INVALID_ROW (one dispatch for every table). */
export function festMask(
  device: GPUDevice,
  p: MaskParams,
  b: { idx: GPUBuffer; selected: GPUBuffer; idxOut: GPUBuffer },
): Dispatch {
  const u = { ...p, D: 0, quads: 0 };
  return makeDispatch(device, maskProgram, b, gridFor(maskProgram, p.used * p.tables), { u });
}

/** DP-SGD's noise on every selected row of every span (one dispatch): O(k D) per step, not O(rows D). */
export function festNoiseSelected(
  device: GPUDevice,
  p: { kcap: number; D: number },
  spans: Span[],
  b: { st: GPUBuffer; selected: GPUBuffer; E: BufferArg },
): Dispatch {
  const quads = Math.ceil(p.D / 4);
  const u = { used: 0, tables: 0, offIdx: 0, strideIdx: 0, kcap: p.kcap, D: p.D, quads };
  return withSpans(device, spans, (sp) =>
    makeDispatch(device, noiseProgram, { ...b, spans: sp }, gridFor(noiseProgram, p.kcap * quads * spans.length), {
      u,
    }),
  );
}

/** Reference of `mask`. */
export function festMaskRef(p: MaskParams, idx: Uint32Array, selected: Uint32Array, idxOut: Uint32Array): void {
  for (let t = 0; t < p.tables; t++) {
    const sel = new Set(selected.subarray(t * p.kcap, (t + 1) * p.kcap));
    sel.delete(INVALID_ROW);
    for (let i = 0; i < p.used; i++) {
      const at = p.offIdx + t * p.strideIdx + i;
      idxOut[at] = sel.has(idx[at]) ? idx[at] : INVALID_ROW;
    }
  }
}

/** Reference of `noise_selected` for table `table` stored alone in E. */
export function festNoiseSelectedRef(
  p: { kcap: number; D: number; table: number },
  st: { step: number; lr: number; invB: number; noiseStd: number; key: Key },
  selected: Uint32Array,
  E: Float32Array,
): void {
  for (const r of selected.subarray(p.table * p.kcap, (p.table + 1) * p.kcap)) {
    if (r === INVALID_ROW) continue;
    for (let c = 0; c < p.D; c++)
      E[r * p.D + c] -= st.lr * st.invB * st.noiseStd * eagerTableNoise(st.key, p.table, r, c, st.step);
  }
}
