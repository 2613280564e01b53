// Noisy updates: MLP tensors (shaders/mlp_update.wgsl), eager table noise
// (shaders/table_noise.wgsl) and LazyDP's deferred noise (shaders/lazy.wgsl), with CPU references
// built on the TypeScript Philox (src/noise/philox.ts).
import mlpCode from '../../shaders/mlp_update.wgsl?raw';
import tableCode from '../../shaders/table_noise.wgsl?raw';
import lazyCode from '../../shaders/lazy.wgsl?raw';
import pendingLib from '../../shaders/lib/pending.wgsl?raw';
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
export const LAZY_CODE = withLibs(pendingLib + '\n' + lazyCode, { philox: true, step: true, rows: true, spans: true });
/** shaders/lib/pending.wgsl: the pending sum of lr^2 from the exact integer prefix sums. */
export const PENDING_LIB = pendingLib;

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

/** LazyDP on one shard: lrs[s] is step s's lr, lrSqPrefix the integer prefix sums of lr^2 (lrSquaredPrefix). */
export type LazyBuffers = { st: GPUBuffer; E: BufferArg; H: BufferArg; lrs: GPUBuffer; lrSqPrefix: GPUBuffer };

/** No bound on the steps a row replays in one dispatch (u.maxSteps). */
const ALL_STEPS = 0xffffffff;
const lazyUniform = (p: TableRows & { n: number }, first: number, count: number, maxSteps: number) => ({
  n: p.n,
  D: p.D,
  quads: Math.ceil(p.D / 4),
  strideKeys: p.spans ? p.n : 0,
  first,
  count,
  maxSteps,
});

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
  const u = lazyUniform(p, 0, 0, ALL_STEPS);
  return withSpans(device, spans, (sp) =>
    makeDispatch(device, prog, { ...b, spans: sp }, gridFor(prog, p.n * spans.length), { u }),
  );
}

/**
 * Cost model of the flush, to keep every dispatch short (a watchdog such as Windows' 2 s TDR
 * loses the device): a dispatch's time is about its row-step-quads (rows x pending steps it
 * replays x quads per row; an aggregated draw counts as one step) times the cost of one: a
 * Philox4x32-10 + Box-Muller quad (about 400 ALU ops) and 32 bytes of E read and written. A
 * mid-range GPU (about 10 TFLOPS, 300 GB/s) does about 5e9 of them a second, so 2^29 of them
 * take about 100 ms. Measured on the issue's shape: 8 x 2^23 rows of 16 quads, ~70 pending steps
 * in one dispatch, about 2 s (7.5e10 row-step-quads, 3.7e10 a second: the model is conservative).
 */
export const FLUSH_WORK_PER_DISPATCH = 2 ** 29;
/** Row-step-quads a second assumed of a mid-range GPU (the cost model above). */
export const FLUSH_RATE = 5e9;
/** lazydp-exact: the pending steps a row replays per flush dispatch (then the next round goes on). */
export const FLUSH_STEPS_PER_ROUND = 16;

/** How the flush of `rows` stored rows of D columns is split: row ranges, and steps per round. */
export interface FlushPlan {
  /** row ranges, each one dispatch per round */
  chunks: { first: number; count: number }[];
  /** steps a row replays per dispatch (lazydp-exact), else unbounded */
  maxSteps: number;
}

export function flushPlan(
  rows: number,
  D: number,
  exact: boolean,
  work = FLUSH_WORK_PER_DISPATCH,
  stepsPerRound = FLUSH_STEPS_PER_ROUND,
): FlushPlan {
  const quads = Math.ceil(D / 4);
  const maxSteps = exact ? stepsPerRound : ALL_STEPS;
  const per = Math.max(1, Math.floor(work / (quads * (exact ? stepsPerRound : 1))));
  const chunks = [];
  for (let first = 0; first < rows; first += per) chunks.push({ first, count: Math.min(per, rows - first) });
  return { chunks, maxSteps };
}

/** Rounds of the flush dispatches that bring rows at most `pending` steps behind up to date. */
export function flushRounds(exact: boolean, pending: number, stepsPerRound = FLUSH_STEPS_PER_ROUND): number {
  return pending <= 0 ? 0 : exact ? Math.ceil(pending / stepsPerRound) : 1;
}

/**
 * Pending noise for every row of the shard (or spans), as one dispatch per row range of `plan`
 * (default flushPlan's). lazydp-exact: each round replays at most plan.maxSteps steps per row, so
 * the list runs flushRounds(pending) times. `n` only sizes the lookahead's keys.
 */
export function lazyFlush(
  device: GPUDevice,
  exact: boolean,
  p: TableRows & { n: number },
  b: LazyBuffers,
  plan?: FlushPlan,
): Dispatch[] {
  const prog = lazyProgram('flush', exact);
  const spans = spansOf(p);
  const pl = plan ?? flushPlan(storedRows(spans), p.D, exact);
  return pl.chunks.map(({ first, count }) => {
    const u = lazyUniform(p, first, count, pl.maxSteps);
    return withSpans(device, spans, (sp) =>
      makeDispatch(device, prog, { ...b, spans: sp }, gridFor(prog, count), { u }),
    );
  });
}

/**
 * The lr of every step 1..steps (f32, lrs[0] = 0) and the running sums of lr^2 as exact
 * integers in units of `unit` (a power of two chosen so that the total stays below 2^53):
 * prefix holds Q[s] as u32 (lo, hi) pairs for s = 0..steps, then the unit's f32 bits
 * (shaders/lib/pending.wgsl). `sums` = Q[s] * unit in f64, exact: the CPU references' P[t] - P[h]
 * is then the GPU's integer difference, in f64.
 */
export function lrSquaredPrefix(
  steps: number,
  lrAt: (s: number) => number,
): { lrs: Float32Array; prefix: Uint32Array; sums: Float64Array; unit: number } {
  const lrs = new Float32Array(steps + 1);
  let total = 0;
  for (let s = 1; s <= steps; s++) {
    lrs[s] = lrAt(s);
    total += lrs[s] ** 2;
  }
  // 2^-126: the smallest normal f32, so the unit is exact in the shader
  const unit = 2 ** Math.max(-126, Math.min(127, Math.ceil(Math.log2(Math.max(total, 1e-300))) - 52));
  const prefix = new Uint32Array(2 * (steps + 2));
  const sums = new Float64Array(steps + 1);
  let q = 0;
  for (let s = 1; s <= steps; s++) {
    q += Math.round(lrs[s] ** 2 / unit);
    sums[s] = q * unit;
    prefix[2 * s] = q % 2 ** 32;
    prefix[2 * s + 1] = Math.floor(q / 2 ** 32);
  }
  new Float32Array(prefix.buffer, 8 * (steps + 1), 1)[0] = unit;
  return { lrs, prefix, sums, unit };
}

/** TypeScript twin of pending_lr_sq (shaders/lib/pending.wgsl) on lrSquaredPrefix's pairs, in f64. */
export function pendingLrSq(prefix: Uint32Array, t: number, h: number): number {
  const unit = new Float32Array(prefix.buffer, prefix.byteOffset + prefix.byteLength - 8, 1)[0];
  const q = (s: number) => prefix[2 * s + 1] * 2 ** 32 + prefix[2 * s];
  return (q(t) - q(h)) * unit;
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
