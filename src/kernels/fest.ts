// DP-AdaFEST's kernels (docs/algorithms-fest.md) with their CPU references: the contribution map
// and noisy threshold (shaders/fest_map.wgsl), the untouched crossings' filter
// (shaders/fest_cross.wgsl) and the sparse noisy update (shaders/fest_update.wgsl). Inputs are the
// sorted pairs of every table (src/kernels/sort.ts) and the clipped row sums (segsum.ts).
import mapCode from '../../shaders/fest_map.wgsl?raw';
import crossCode from '../../shaders/fest_cross.wgsl?raw';
import updateCode from '../../shaders/fest_update.wgsl?raw';
import applyCode from '../../shaders/fest_apply.wgsl?raw';
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
import { heads } from './sort';
import { INVALID_ROW } from './gather';
import { countNoise } from '../noise/fest';
import { eagerTableNoise, type Key } from '../noise/philox';

export const FEST_MAP_CODE = withLibs(mapCode, { philox: true, step: true, rows: true });
export const FEST_CROSS_CODE = withLibs(crossCode, { rows: true });
export const FEST_UPDATE_CODE = withLibs(updateCode, { philox: true, step: true, rows: true, spans: true });
export const FEST_APPLY_CODE = withLibs(applyCode, { philox: true, step: true, rows: true });

const mapProgram = (entry: string, counts: boolean): Program => ({
  name: 'fest_map',
  code: FEST_MAP_CODE,
  entry,
  workgroup: WORKGROUP,
  constants: { COUNTS: counts },
});
export const festCrossProgram: Program = { name: 'fest_cross', code: FEST_CROSS_CODE, workgroup: WORKGROUP };
const updateProgram = (entry: 'touched' | 'untouched'): Program => ({
  name: 'fest_update',
  code: FEST_UPDATE_CODE,
  entry,
  workgroup: WORKGROUP,
});

export interface FestMapParams {
  /** sorted pairs per table (sortSize) */
  n: number;
  tables: number;
  L: number;
  /** examples (padded batch): exNorm holds B words */
  B: number;
  /** C1: each example's map is clipped to this L2 norm */
  clip: number;
  /** sigma1 * C1 */
  noiseStd: number;
  tau: number;
  /** v_b(t, r) = pairs of example b on row r (true) or 1 per touched row (false, the paper's map) */
  counts?: boolean;
}

/**
 * The contribution map and its noisy threshold, three dispatches: exNorm cleared, each example's
 * ||v_b||^2 (u32, B words), then at each row's head of the sorted pairs csum (f32) and sel (u32).
 */
export function festMap(
  device: GPUDevice,
  p: FestMapParams,
  b: { st: GPUBuffer; keys: GPUBuffer; vals: GPUBuffer; exNorm: GPUBuffer; csum: GPUBuffer; sel: GPUBuffer },
): Dispatch[] {
  const counts = p.counts ?? false;
  const u = { n: p.n, tables: p.tables, L: p.L, B: p.B, clip: p.clip, noiseStd: p.noiseStd, tau: p.tau };
  const clear = mapProgram('clear', counts);
  const norms = mapProgram('norms', counts);
  const sums = mapProgram('counts', counts);
  const pairs = p.n * p.tables;
  return [
    makeDispatch(device, clear, { exNorm: b.exNorm }, gridFor(clear, p.B), { u }),
    makeDispatch(device, norms, { keys: b.keys, vals: b.vals, exNorm: b.exNorm }, gridFor(norms, pairs), { u }),
    makeDispatch(device, sums, b, gridFor(sums, pairs), { u }),
  ];
}

/** Candidates (tables x cap, src/noise/fest.ts packCandidates) the batch did not touch, into `crossed`. */
export function festCross(
  device: GPUDevice,
  p: { n: number; tables: number; cap: number },
  b: { keys: GPUBuffer; cand: GPUBuffer; crossed: GPUBuffer },
): Dispatch {
  return makeDispatch(device, festCrossProgram, b, gridFor(festCrossProgram, p.tables * p.cap), { u: p });
}

/**
 * The sparse noisy update of every span (one table, one shard, or every table packed): the
 * touched rows that crossed, then the untouched rows that crossed. Two dispatches.
 */
export function festUpdate(
  device: GPUDevice,
  p: { n: number; D: number; cap: number },
  spans: Span[],
  b: { st: GPUBuffer; keys: GPUBuffer; rowGrad: GPUBuffer; sel: GPUBuffer; crossed: GPUBuffer; E: BufferArg },
): Dispatch[] {
  const quads = Math.ceil(p.D / 4);
  const u = { n: p.n, D: p.D, quads, strideKeys: p.n, cap: p.cap };
  const touched = updateProgram('touched');
  const untouched = updateProgram('untouched');
  return [
    withSpans(device, spans, (sp) =>
      makeDispatch(
        device,
        touched,
        { st: b.st, keys: b.keys, rowGrad: b.rowGrad, sel: b.sel, E: b.E, spans: sp },
        gridFor(touched, p.n * quads * spans.length),
        { u },
      ),
    ),
    withSpans(device, spans, (sp) =>
      makeDispatch(
        device,
        untouched,
        { st: b.st, crossed: b.crossed, E: b.E, spans: sp },
        gridFor(untouched, p.cap * quads * spans.length),
        { u },
      ),
    ),
  ];
}

export interface FestApplyParams {
  /** the shard's rows, D columns, its table and first row */
  rows: number;
  D: number;
  table: number;
  rowStart: number;
  /** candidate slots per table (packCandidates) */
  cap: number;
  /** sigma1 * C1 */
  noiseStd: number;
  tau: number;
}

const applyProgram: Program = { name: 'fest_apply', code: FEST_APPLY_CODE, entry: 'apply', workgroup: WORKGROUP };

/**
 * DP-AdaFEST in micro-batches, once per logical step and shard (one dispatch, every row): the
 * threshold on the summed counts C (touched rows) or the candidates (untouched rows), the noisy
 * update of the rows that crossed from the summed gradients G, then C and G cleared.
 */
export function festApply(
  device: GPUDevice,
  p: FestApplyParams,
  b: { st: GPUBuffer; cand: GPUBuffer; C: GPUBuffer; G: GPUBuffer; E: BufferArg },
): Dispatch {
  const u = { ...p, quads: Math.ceil(p.D / 4) }; // exactly the shader's FestApply fields
  return makeDispatch(device, applyProgram, b, gridFor(applyProgram, p.rows), { u });
}

/** ||v_b||^2 of each example over every table's sorted pairs (reference of `norms`). */
export function festNormsRef(p: FestMapParams, keys: ArrayLike<number>, vals: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(p.B);
  for (let t = 0; t < p.tables; t++) {
    const per = new Map<string, number>();
    for (let i = t * p.n; i < (t + 1) * p.n; i++) {
      if (keys[i] === INVALID_ROW) continue;
      const k = `${keys[i]}:${Math.floor(vals[i] / p.L)}`;
      per.set(k, (per.get(k) ?? 0) + 1);
    }
    for (const [k, c] of per) out[Number(k.split(':')[1])] += p.counts ? c * c : 1;
  }
  return out;
}

/** The clipped count sum at each row head (reference of `counts`, in double). */
export function festCountsRef(p: FestMapParams, keys: ArrayLike<number>, vals: ArrayLike<number>): Float64Array {
  const norm = festNormsRef(p, keys, vals);
  const scale = (b: number) => Math.min(1, p.clip / Math.sqrt(norm[b]));
  const out = new Float64Array(p.n * p.tables);
  for (let t = 0; t < p.tables; t++) {
    const seg = Array.prototype.slice.call(keys, t * p.n, (t + 1) * p.n) as number[];
    for (const h of heads(seg)) {
      const seen = new Set<number>();
      let acc = 0;
      for (let q = t * p.n + h; q < (t + 1) * p.n && keys[q] === seg[h]; q++) {
        const b = Math.floor(vals[q] / p.L);
        if (p.counts || !seen.has(b)) acc += scale(b);
        seen.add(b);
      }
      out[t * p.n + h] = acc;
    }
  }
  return out;
}

/** Each head's noisy count csum + sigma1 C1 z (reference of the threshold; sel = noisy > tau). */
export function festNoisyRef(
  p: FestMapParams,
  st: { step: number; key: Key },
  keys: ArrayLike<number>,
  csum: Float64Array,
): Float64Array {
  const out = new Float64Array(csum.length).fill(NaN);
  for (let t = 0; t < p.tables; t++)
    for (const h of heads(Array.prototype.slice.call(keys, t * p.n, (t + 1) * p.n) as number[])) {
      const i = t * p.n + h;
      out[i] = csum[i] + p.noiseStd * countNoise(st.key, t, keys[i], st.step);
    }
  return out;
}

/** Candidates the batch did not touch (reference of fest_cross). */
export function festCrossRef(
  p: { n: number; tables: number; cap: number },
  keys: ArrayLike<number>,
  cand: ArrayLike<number>,
): Uint32Array {
  const out = new Uint32Array(p.tables * p.cap);
  for (let t = 0; t < p.tables; t++) {
    const touched = new Set(Array.prototype.slice.call(keys, t * p.n, (t + 1) * p.n) as number[]);
    for (let j = 0; j < p.cap; j++) {
      const r = cand[t * p.cap + j];
      out[t * p.cap + j] = touched.has(r) ? INVALID_ROW : r;
    }
  }
  return out;
}

/**
 * Reference of the update for one table stored alone (`E` its rows, D columns): selected touched
 * rows get -lr/B (rowGrad + noiseStd z), crossed untouched rows -lr/B noiseStd z, others nothing.
 */
export function festUpdateRef(
  p: {
    n: number;
    D: number;
    cap: number;
    table: number;
    step: number;
    lr: number;
    invB: number;
    noiseStd: number;
    key: Key;
  },
  keys: ArrayLike<number>,
  rowGrad: ArrayLike<number>,
  sel: ArrayLike<number>,
  crossed: ArrayLike<number>,
  E: Float32Array,
): void {
  const off = p.table * p.n;
  const apply = (r: number, grad: (c: number) => number) => {
    for (let c = 0; c < p.D; c++)
      E[r * p.D + c] -= p.lr * p.invB * (grad(c) + p.noiseStd * eagerTableNoise(p.key, p.table, r, c, p.step));
  };
  const seg = Array.prototype.slice.call(keys, off, off + p.n) as number[];
  for (const h of heads(seg)) if (sel[off + h]) apply(seg[h], (c) => rowGrad[(off + h) * p.D + c]);
  for (let j = 0; j < p.cap; j++) {
    const r = crossed[p.table * p.cap + j];
    if (r !== INVALID_ROW) apply(r, () => 0);
  }
}

/**
 * Reference of fest_apply for one shard (`C`, `G`, `E` its rows): the rows that cross (touched: C > 0
 * and its noisy count above tau; untouched: a candidate of the table), each updated with
 * -lr/B (G + gradStd z); C and G cleared. Returns the crossed rows (table rows).
 */
export function festApplyRef(
  p: FestApplyParams & { step: number; lr: number; invB: number; gradStd: number; key: Key },
  cand: ArrayLike<number>,
  C: Float32Array,
  G: Float32Array,
  E: Float32Array,
): number[] {
  const cands = new Set(Array.prototype.slice.call(cand, p.table * p.cap, (p.table + 1) * p.cap) as number[]);
  const crossed: number[] = [];
  for (let rl = 0; rl < p.rows; rl++) {
    const r = p.rowStart + rl;
    const touched = C[rl] > 0;
    if (touched ? C[rl] + p.noiseStd * countNoise(p.key, p.table, r, p.step) > p.tau : cands.has(r)) {
      crossed.push(r);
      for (let c = 0; c < p.D; c++) {
        const z = eagerTableNoise(p.key, p.table, r, c, p.step);
        E[rl * p.D + c] -= p.lr * p.invB * (G[rl * p.D + c] + p.gradStd * z);
      }
    }
    G.fill(0, rl * p.D, (rl + 1) * p.D);
    C[rl] = 0;
  }
  return crossed;
}
