// Noisy updates: MLP tensors (shaders/mlp_update.wgsl), eager table noise
// (shaders/table_noise.wgsl) and LazyDP's deferred noise (shaders/lazy.wgsl), with CPU references
// built on the TypeScript Philox (src/noise/philox.ts).
import mlpCode from '../../shaders/mlp_update.wgsl?raw';
import tableCode from '../../shaders/table_noise.wgsl?raw';
import lazyCode from '../../shaders/lazy.wgsl?raw';
import {
  withLibs,
  WORKGROUP,
  makeDispatch,
  gridFor,
  dummyBuffer,
  withSpans,
  storedRows,
  type BufferArg,
  type Span,
  type Dispatch,
  type Program,
} from './program';
import { eagerTableNoise, lazyTableNoise, mlpNoise } from '../noise/philox';
import type { StepValues } from './step';
import { heads } from './sort';

export const MLP_UPDATE_CODE = withLibs(mlpCode, { philox: true, step: true, optim: true });
export const TABLE_NOISE_CODE = withLibs(tableCode, { philox: true, step: true, spans: true });
export const LAZY_CODE = withLibs(lazyCode, { philox: true, step: true, rows: true, spans: true });

export type NoiseMode = 0 | 1 | 2; // none, fused, unfused
export function mlpUpdateProgram(noise: NoiseMode): Program {
  return {
    name: 'mlp_update',
    code: MLP_UPDATE_CODE,
    entry: 'update',
    workgroup: WORKGROUP,
    constants: { NOISE: noise },
  };
}
/** The stateful MLP updates (mlpOptimizer momentum or adam), with the Optim uniform and the state m, v. */
export function mlpOptimProgram(opt: 'momentum' | 'adam', noise: NoiseMode): Program {
  return { name: 'mlp_update', code: MLP_UPDATE_CODE, entry: opt, workgroup: WORKGROUP, constants: { NOISE: noise } };
}
export const mlpSampleProgram: Program = {
  name: 'mlp_update',
  code: MLP_UPDATE_CODE,
  entry: 'sample',
  workgroup: WORKGROUP,
};
export const tableNoiseFusedProgram: Program = {
  name: 'table_noise',
  code: TABLE_NOISE_CODE,
  entry: 'fused',
  workgroup: WORKGROUP,
};
export const tableNoiseSampleProgram: Program = {
  name: 'table_noise',
  code: TABLE_NOISE_CODE,
  entry: 'sample',
  workgroup: WORKGROUP,
};
export const tableNoiseAddProgram: Program = {
  name: 'table_noise',
  code: TABLE_NOISE_CODE,
  entry: 'add',
  workgroup: WORKGROUP,
};
/** Quads (vec4) per thread of the dense entries: QPT in shaders/table_noise.wgsl. */
export const QUADS_PER_THREAD = 4;
const DENSE_WORKGROUP = 256;
const denseProgram = (entry: string): Program => ({
  name: 'table_noise',
  code: TABLE_NOISE_CODE,
  entry,
  workgroup: DENSE_WORKGROUP,
});
export const tableNoiseFused4Program = denseProgram('fused4');
export const tableNoiseSample4Program = denseProgram('sample4');
export const tableNoiseAdd4Program = denseProgram('add4');
export function lazyProgram(entry: 'lookahead' | 'flush', exact: boolean): Program {
  return { name: 'lazy', code: LAZY_CODE, entry, workgroup: WORKGROUP, constants: { EXACT: exact } };
}

export type { StepValues } from './step';

/** One MLP tensor: parameter number p (its Philox counter) of n values. */
export interface ParamParams {
  n: number;
  p: number;
}
/** An MLP tensor packed in the MLP buffers: its values start at element `off`. */
export interface MlpTensor extends ParamParams {
  off: number;
}
/** The most tensors one MLP update dispatch takes (the size of u.segs in shaders/mlp_update.wgsl). */
export const MLP_MAX_TENSORS = 40;

/**
 * The uniform and grid of an update over `t`: one tensor at element 0, or the packed tensors
 * (each its own quads, so each draws the noise it would draw updated alone).
 */
function tensorsUniform(t: ParamParams | MlpTensor[]): { quads: number; count: number; segs: Uint32Array } {
  const list = Array.isArray(t) ? t : [{ ...t, off: 0 }];
  if (list.length === 0 || list.length > MLP_MAX_TENSORS)
    throw new Error(`MLP update: ${list.length} tensors (1 to ${MLP_MAX_TENSORS} per dispatch)`);
  const segs = new Uint32Array(4 * MLP_MAX_TENSORS);
  let quads = 0;
  list.forEach((x, s) => {
    if (x.n < 1) throw new Error(`MLP update: tensor ${s} is empty`);
    segs.set([quads, x.off, x.n, x.p], 4 * s);
    quads += Math.ceil(x.n / 4);
  });
  return { quads, count: list.length, segs };
}

/** W -= lr/B (grad + noise): mlpOptimizer sgd; `noiseBuf` is read in unfused mode. */
export function mlpUpdate(
  device: GPUDevice,
  noise: NoiseMode,
  t: ParamParams | MlpTensor[],
  b: { st: GPUBuffer; grad: GPUBuffer; W: GPUBuffer; noiseBuf?: GPUBuffer | null },
): Dispatch {
  const prog = mlpUpdateProgram(noise);
  const u = tensorsUniform(t);
  return makeDispatch(device, prog, { ...b, noiseBuf: b.noiseBuf ?? dummyBuffer(device) }, gridFor(prog, u.quads), {
    u,
  });
}

/** Momentum or Adam on MLP tensors: `o` is the Optim uniform (OptimUniform), M and V their state. */
export function mlpOptim(
  device: GPUDevice,
  opt: 'momentum' | 'adam',
  noise: NoiseMode,
  t: ParamParams | MlpTensor[],
  b: {
    st: GPUBuffer;
    o: GPUBuffer;
    grad: GPUBuffer;
    W: GPUBuffer;
    noiseBuf?: GPUBuffer | null;
    M: GPUBuffer;
    V?: GPUBuffer | null;
  },
): Dispatch {
  const prog = mlpOptimProgram(opt, noise);
  const u = tensorsUniform(t);
  return makeDispatch(
    device,
    prog,
    { ...b, noiseBuf: b.noiseBuf ?? dummyBuffer(device), V: b.V ?? undefined },
    gridFor(prog, u.quads),
    { u },
  );
}

/** The unfused variant's noise of MLP tensors, sigma C z, into `noiseBuf`. */
export function mlpSample(
  device: GPUDevice,
  t: ParamParams | MlpTensor[],
  b: { st: GPUBuffer; noiseBuf: GPUBuffer },
): Dispatch {
  const u = tensorsUniform(t);
  return makeDispatch(device, mlpSampleProgram, b, gridFor(mlpSampleProgram, u.quads), { u });
}

/** Rows rowStart .. rowStart + rows of table `table` (one shard), D columns. */
export interface ShardParams {
  rows: number;
  D: number;
  table: number;
  rowStart: number;
}
/** The span of one shard in a buffer of its own. */
const shardSpans = (p: ShardParams): Span[] => [{ table: p.table, base: 0, rowStart: p.rowStart, rows: p.rows }];
/** Where rows lie in E: one shard's own buffer, or `spans` of a packed buffer. */
const spansOf = (p: ShardParams & { spans?: Span[] }) => p.spans ?? shardSpans(p);
const tableUniform = (p: ShardParams & { spans?: Span[] }) => ({
  rows: storedRows(spansOf(p)),
  D: p.D,
  quads: Math.ceil(p.D / 4),
});

/**
 * How the dense table-noise entries run: the vec4 entries (256 threads, QUADS_PER_THREAD quads
 * each) when D % 4 == 0, else the scalar ones. Both give the same values bit for bit; `scalar`
 * forces the scalar entries (tests compare the two, benchmarks time them).
 */
export interface TableNoiseOptions {
  scalar?: boolean;
}
const dense = (p: ShardParams, o: TableNoiseOptions) => p.D % 4 === 0 && !o.scalar;
const denseGrid = (prog: Program, p: TableRows) =>
  gridFor(prog, Math.ceil((storedRows(spansOf(p)) * p.D) / 4 / QUADS_PER_THREAD));

/** One shard (rows, table, rowStart), or with `spans` every span of a packed buffer (those win). */
export type TableRows = ShardParams & { spans?: Span[] };

/** Eager DP-SGD noise sampled and subtracted from every row of the shard (or spans) in one pass. */
export function tableNoiseFused(
  device: GPUDevice,
  p: TableRows,
  b: { st: GPUBuffer; E: BufferArg },
  o: TableNoiseOptions = {},
): Dispatch {
  const u = tableUniform(p);
  const prog4 = tableNoiseFused4Program;
  return withSpans(device, spansOf(p), (spans) =>
    dense(p, o)
      ? makeDispatch(device, prog4, { st: b.st, E4: b.E, spans }, denseGrid(prog4, p), { u })
      : makeDispatch(
          device,
          tableNoiseFusedProgram,
          { ...b, spans },
          gridFor(tableNoiseFusedProgram, u.rows * u.quads),
          {
            u,
          },
        ),
  );
}

/** Unfused: sigma C z of every value of the shard into `noise` (the `noise` stage). */
export function tableNoiseSample(
  device: GPUDevice,
  p: TableRows,
  b: { st: GPUBuffer; noise: BufferArg },
  o: TableNoiseOptions = {},
): Dispatch {
  const u = tableUniform(p);
  const prog4 = tableNoiseSample4Program,
    prog = tableNoiseSampleProgram;
  return withSpans(device, spansOf(p), (spans) =>
    dense(p, o)
      ? makeDispatch(device, prog4, { st: b.st, E4: b.noise, spans }, denseGrid(prog4, p), { u })
      : makeDispatch(device, prog, { st: b.st, E: b.noise, spans }, gridFor(prog, u.rows * u.quads), { u }),
  );
}

/** Unfused: E -= lr / B * noiseBuf (the `update` stage). */
export function tableNoiseAdd(
  device: GPUDevice,
  p: TableRows,
  b: { st: GPUBuffer; E: BufferArg; noiseBuf: BufferArg },
  o: TableNoiseOptions = {},
): Dispatch {
  const u = tableUniform(p);
  if (dense(p, o)) {
    const bufs = { st: b.st, E4: b.E, noise4: b.noiseBuf };
    return makeDispatch(device, tableNoiseAdd4Program, bufs, denseGrid(tableNoiseAdd4Program, p), { u });
  }
  return makeDispatch(device, tableNoiseAddProgram, b, gridFor(tableNoiseAddProgram, u.rows * p.D), { u });
}

/** LazyDP on one shard: lrs[s] is step s's lr, lrSqPrefix the (hi, lo) prefix sums of lr^2 (lrSquaredPrefix). */
export type LazyBuffers = { st: GPUBuffer; E: BufferArg; H: BufferArg; lrs: GPUBuffer; lrSqPrefix: GPUBuffer };

/**
 * Pending noise for the unique rows of the next batch (`keys`: its sorted pairs, n per table).
 * One shard: `keys` is its table's n pairs; with `spans`, the pairs of every table (table t's at
 * t*n), one dispatch for all.
 */
export function lazyLookahead(
  device: GPUDevice,
  exact: boolean,
  p: TableRows & { n: number },
  b: LazyBuffers & { keys: BufferArg },
): Dispatch {
  const prog = lazyProgram('lookahead', exact);
  const spans = spansOf(p);
  const u = { n: p.n, D: p.D, quads: Math.ceil(p.D / 4), strideKeys: p.spans ? p.n : 0 };
  return withSpans(device, spans, (sp) =>
    makeDispatch(device, prog, { ...b, spans: sp }, gridFor(prog, p.n * spans.length), { u }),
  );
}

/** Pending noise for every row of the shard (or spans). `n` only sizes the lookahead's keys. */
export function lazyFlush(device: GPUDevice, exact: boolean, p: TableRows & { n: number }, b: LazyBuffers): Dispatch {
  const prog = lazyProgram('flush', exact);
  const spans = spansOf(p);
  const u = { n: p.n, D: p.D, quads: Math.ceil(p.D / 4), strideKeys: p.spans ? p.n : 0 };
  return withSpans(device, spans, (sp) =>
    makeDispatch(device, prog, { ...b, spans: sp }, gridFor(prog, storedRows(spans)), { u }),
  );
}

/**
 * The lr of every step 1..steps (f32, lrs[0] = 0) and the running sums of lr^2, in f64 (`sums`)
 * and as f32 (hi, lo) pairs for the GPU, so that the pending variance P[t] - P[h] stays accurate
 * over millions of steps.
 */
export function lrSquaredPrefix(
  steps: number,
  lrAt: (s: number) => number,
): { lrs: Float32Array; prefix: Float32Array; sums: Float64Array } {
  const lrs = new Float32Array(steps + 1);
  const prefix = new Float32Array(2 * (steps + 1));
  const sums = new Float64Array(steps + 1);
  let acc = 0;
  for (let s = 1; s <= steps; s++) {
    const lr = lrAt(s);
    lrs[s] = lr;
    acc += lr ** 2;
    sums[s] = acc;
    prefix[2 * s] = Math.fround(acc);
    prefix[2 * s + 1] = acc - Math.fround(acc);
  }
  return { lrs, prefix, sums };
}

export function mlpUpdateRef(
  st: StepValues,
  p: number,
  grad: ArrayLike<number>,
  W: Float32Array,
  noise: boolean,
): void {
  for (let i = 0; i < W.length; i++) {
    const z = noise ? st.noiseStd * mlpNoise(st.key, p, i, st.step) : 0;
    W[i] -= st.lr * st.invB * (grad[i] + z);
  }
}

// Shards: E (and H) may hold only rows rowStart .. rowStart + rows of the table, as the engine
// splits a table larger than one binding; counters always use the table's row number.

export function tableNoiseRef(
  st: StepValues,
  table: number,
  rows: number,
  D: number,
  E: Float32Array,
  rowStart = 0,
): void {
  const s = st.lr * st.invB * st.noiseStd;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < D; c++) E[r * D + c] -= s * eagerTableNoise(st.key, table, rowStart + r, c, st.step);
}

/** lr of step s at lrs[s]; prefix[s] = sum_{u <= s} lr_u^2 (in f64 here). `r` is the row within the shard. */
export function applyPendingRef(
  st: StepValues,
  table: number,
  r: number,
  D: number,
  E: Float32Array,
  H: Uint32Array,
  lrs: ArrayLike<number>,
  prefix: ArrayLike<number>,
  exact: boolean,
  rowStart = 0,
): void {
  const h = H[r],
    t = st.step,
    row = rowStart + r;
  if (h >= t) return;
  if (exact) {
    for (let s = h + 1; s <= t; s++) {
      const scale = lrs[s] * st.invB * st.noiseStd;
      for (let c = 0; c < D; c++) E[r * D + c] -= scale * eagerTableNoise(st.key, table, row, c, s);
    }
  } else {
    const scale = Math.sqrt(Math.max(prefix[t] - prefix[h], 0)) * st.invB * st.noiseStd;
    for (let c = 0; c < D; c++) E[r * D + c] -= scale * lazyTableNoise(st.key, table, row, c, t);
  }
  H[r] = t;
}

export function lookaheadRef(
  st: StepValues,
  table: number,
  D: number,
  keys: ArrayLike<number>,
  E: Float32Array,
  H: Uint32Array,
  lrs: ArrayLike<number>,
  prefix: ArrayLike<number>,
  exact: boolean,
  rowStart = 0,
  rows = H.length,
): void {
  for (const h of heads(keys)) {
    const r = keys[h] - rowStart;
    if (r >= 0 && r < rows) applyPendingRef(st, table, r, D, E, H, lrs, prefix, exact, rowStart);
  }
}

export function flushRef(
  st: StepValues,
  table: number,
  rows: number,
  D: number,
  E: Float32Array,
  H: Uint32Array,
  lrs: ArrayLike<number>,
  prefix: ArrayLike<number>,
  exact: boolean,
  rowStart = 0,
): void {
  for (let r = 0; r < rows; r++) applyPendingRef(st, table, r, D, E, H, lrs, prefix, exact, rowStart);
}
