// What a configuration needs on the GPU, before anything is allocated, and how a table larger
// than one binding is split into shards of consecutive rows. WebGPU reports the
// largest buffer and binding but not the device's total memory, so the total is held to the
// config's `memoryLimit` (GiB), which a user with a big GPU raises.
import type { Config } from '../config/config';
import type { Layout } from './model';
import { segsumCarryBytes } from '../kernels/segsum';
import { wgradSplit } from '../kernels/wgrad';
import { microBatchable, resolvePlan, shardBuffers, stepBuffers, type StepPlan } from './plan';
import { algorithmOf } from '../algorithms';

export interface Limits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** Rows rowStart .. rowStart + rows of one table, in a buffer of their own. */
export interface ShardPlan {
  rowStart: number;
  rows: number;
}

/** Largest binding the engine may use: both limits apply to a storage buffer bound whole. */
export function bindingCap(limits: Limits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/**
 * Splits a table of `rows` rows of `D` floats into shards that each fit one binding; `maxRows`
 * (tests, benchmarks) caps the shard size further. One shard when the table fits. The shards are
 * balanced (their sizes differ by at most one row), so no per-shard pass is a short tail.
 */
export function planShards(rows: number, D: number, limits?: Limits, maxRows?: number): ShardPlan[] {
  let per = limits ? Math.floor(bindingCap(limits) / (D * 4)) : rows;
  if (maxRows !== undefined) per = Math.min(per, Math.max(1, Math.floor(maxRows)));
  per = Math.max(1, per);
  const count = Math.max(1, Math.ceil(rows / per));
  const base = Math.floor(rows / count),
    extra = rows % count;
  const out: ShardPlan[] = [];
  for (let k = 0, s = 0; k < count; k++) {
    const n = base + (k < extra ? 1 : 0);
    out.push({ rowStart: s, rows: n });
    s += n;
  }
  return out;
}

/** A packed table starts on a multiple of this many rows: then its first row lies on a 256-byte
 * boundary of the tables' buffer and of the history's (binding offsets must). */
export const PACK_ROWS = 64;

/**
 * When every table fits one binding together, the row each starts at in one shared buffer, so
 * that one dispatch serves every table (gather, row updates, eager noise, LazyDP); undefined when
 * some table needs a split or a shard size is forced (`maxRows`: tests of the split path).
 */
export function packTables(
  rows: number[],
  D: number,
  limits?: Limits,
  maxRows?: number,
): { bases: number[]; totalRows: number } | undefined {
  if (maxRows !== undefined) return undefined;
  const bases: number[] = [];
  let total = 0;
  for (const R of rows) {
    bases.push(total);
    total += Math.ceil(R / PACK_ROWS) * PACK_ROWS;
  }
  if (limits && total * D * 4 > bindingCap(limits)) return undefined;
  return { bases, totalRows: total };
}

export interface MemoryEstimate {
  totalBytes: number;
  /** the limit the total is held to (config.memoryLimit in bytes) */
  limitBytes: number;
  buffers: { name: string; bytes: number }[];
  /** shards per table (1 where a table fits one binding) */
  shards: number[];
  fits: boolean;
  problem?: string;
  problemKey?: string;
  /**
   * Which splits of the data set live on the GPU (a step then uploads only its example ids and a
   * kernel gathers the batch); a split that does not fit one binding or, beside the model, the
   * memory limit has its batches assembled on the CPU instead (the same batches, bit for bit),
   * and `note` says why. Both false when the model itself does not fit.
   */
  data: { train: boolean; eval: boolean; note?: string };
  /** the micro-batch the plan uses (0: none): the config's, or the largest that fits when it gives none */
  microBatch: number;
  /** why the plan chose a micro-batch the config did not ask for */
  microNote?: string;
}

export interface EstimateOptions {
  shardRows?: number;
  noSearch?: boolean;
  /** false: batches assembled on the CPU whatever fits (tests, comparisons) */
  batchOnGpu?: boolean;
  /** examples per split when they differ from the config's (a Criteo file's held-out lines) */
  dataSizes?: { train: number; eval: number };
  /** the micro-batch to estimate (default: the config's) */
  microBatch?: number;
  /** AUDIT ONLY: the gradient canaries the trainer will hold (their rows are in config.tables) */
  canaries?: number;
}

export function estimateMemory(c: Config, limits?: Limits, opts: EstimateOptions = {}): MemoryEstimate {
  const est = estimateWith(c, limits, opts);
  if (est.fits || c.microBatch > 0 || opts.noSearch || est.problemKey !== 'batch') return est;
  if (!microBatchable(algorithmOf(c))) return est;
  // the whole batch does not fit: the largest micro-batch that does (bisection, as for the batch)
  const at = (m: number) => estimateWith(c, limits, { ...opts, noSearch: true, microBatch: m });
  if (!at(1).fits) return est;
  let lo = 1,
    hi = Math.min(c.batch, resolvePlan(c).B - 1); // as a user's microBatch: at most the batch
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (at(mid).fits) lo = mid;
    else hi = mid - 1;
  }
  const microNote =
    `the batch of ${c.batch.toLocaleString('en')} does not fit memoryLimit ${c.memoryLimit} GiB in one pass: ` +
    `it is processed in micro-batches of ${lo.toLocaleString('en')} (one noisy update per logical batch; set microBatch to choose)`;
  return { ...at(lo), microNote };
}

/** Which part of the model a buffer belongs to, for messages that say what to shrink. */
type Part = 'tables' | 'mlp' | 'batch' | 'steps';
type Sized = { name: string; bytes: number; part: Part };

/** The model's buffers as the plan lays them out (no resident data set), with the part each grows with. */
interface ModelSizes {
  buffers: Sized[];
  shards: number[];
  /** per table: its shards' bytes */
  tableBytes: number[];
  /** bytes per table row over the shard buffers */
  perRow: number;
  /** MLP parameters */
  params: number;
}

/** Every table shard's buffers (shardBuffers: the list buffers.ts allocates). */
function tableSizes(run: StepPlan, limits: Limits | undefined, shardRows: number | undefined): ModelSizes {
  const lay = run.layout;
  const perShard = shardBuffers(run);
  const buffers: Sized[] = [];
  const shards: number[] = [];
  const tableBytes: number[] = [];
  const packed = !!packTables(lay.rows, lay.D, limits, shardRows);
  // packed tables are padded to PACK_ROWS rows (in the shared buffers: tables and history)
  const stored = (rows: number) => (packed ? Math.ceil(rows / PACK_ROWS) * PACK_ROWS : rows);
  lay.rows.forEach((R, t) => {
    const plan = planShards(R, lay.D, limits, shardRows);
    shards.push(plan.length);
    let bytes = 0;
    plan.forEach((p, k) => {
      const sfx = plan.length > 1 ? `[${k}]` : '';
      for (const b of perShard) {
        const n = (b.packs ? stored(p.rows) : p.rows) * b.bytesPerRow;
        buffers.push({ name: b.describe(t) + sfx, bytes: n, part: 'tables' });
        bytes += n;
      }
    });
    tableBytes.push(bytes);
  });
  const perRow = perShard.reduce((a, b) => a + b.bytesPerRow, 0);
  return { buffers, shards, tableBytes, perRow, params: 0 };
}

/** The plan's buffers: the tables', the batch's, the MLP's and the algorithm's and audit's (stepBuffers). */
function modelSizes(c: Config, run: StepPlan, limits: Limits | undefined, shardRows: number | undefined): ModelSizes {
  const { layout: lay, B, N } = run;
  const sizes = tableSizes(run, limits, shardRows);
  const add = (name: string, bytes: number, part: Part) => sizes.buffers.push({ name, bytes, part });
  // every table's sorted pairs (LazyDP: and the lookahead's), row sums and carries share buffers
  const T = lay.rows.length;
  add('sort (keys)', T * N * 4, 'batch');
  add('sort (values)', T * N * 4, 'batch');
  if (run.extra.lookahead) {
    add('sort (lookahead keys)', T * N * 4, 'batch');
    add('sort (lookahead values)', T * N * 4, 'batch');
  }
  add('rowGrad (all tables)', T * N * lay.D * 4, 'batch');
  add('segsumCarry (all tables)', segsumCarryBytes(N, lay.D, undefined, T), 'batch');
  let params = 0,
    acts = 0;
  for (const l of lay.layers) {
    params += l.inDim * l.outDim + l.outDim;
    acts += l.outDim;
  }
  sizes.params = params;
  const copies = (run.noiseMode === 2 ? 3 : 2) + (run.micro ? 1 : 0);
  add('mlp (params, grads, noise)', params * 4 * copies, 'mlp');
  if (c.mlpOptimizer !== 'sgd')
    add(`mlp ${c.mlpOptimizer} state`, params * 4 * (c.mlpOptimizer === 'adam' ? 2 : 1), 'mlp');
  // the K-split weight gradients' chunk partials (none with one chunk)
  const partials = wgradSplit(B, params).partialBytes;
  if (partials > 0) add('mlp gradient partials', partials, 'mlp');
  add('activations and gradients', B * (acts + lay.featureWidth) * 4 * 2, 'batch');
  if (lay.interaction === 'dot') add('dot interaction (z and its gradient)', B * lay.interactionWidth * 4 * 2, 'batch');
  add('batch', B * (lay.F + 2 * lay.T * lay.L + 3) * 4, 'batch');
  add('norms', (lay.groups + 1) * B * 4, 'batch');
  // lrs (4 B a step) and the integer lr² prefix sums (8 B a step, plus the unit in the last entry)
  if (run.extra.lrSchedule) add('lr schedule', (c.steps + 1) * 12 + 8, 'steps');
  // DP-FEST's and DP-AdaFEST's buffers, the audit's gradient canaries: named by their GPU labels
  for (const b of stepBuffers(run)) add(b.label, b.bytes, b.part);
  return sizes;
}

function estimateWith(c: Config, limits: Limits | undefined, opts: EstimateOptions): MemoryEstimate {
  const run = resolvePlan(c, undefined, opts.microBatch ?? c.microBatch, opts.canaries ?? 0);
  const sizes = modelSizes(c, run, limits, opts.shardRows);
  const buffers: { name: string; bytes: number }[] = sizes.buffers.map(({ name, bytes }) => ({ name, bytes }));
  let totalBytes = buffers.reduce((a, b) => a + b.bytes, 0);
  const limitBytes = c.memoryLimit * 2 ** 30;
  const cap = limits ? bindingCap(limits) : Infinity;
  const { problem, problemKey } = findProblem(c, limits, opts, run, sizes, cap) ?? {};
  const data: MemoryEstimate['data'] = { train: false, eval: false };
  if (!problem) {
    const r = residentData(c, run.layout, run.B, run.extra.lookahead, cap, limitBytes - totalBytes, opts);
    Object.assign(data, r.data);
    buffers.push(...r.buffers);
    totalBytes += r.buffers.reduce((a, b) => a + b.bytes, 0);
  }
  const microBatch = run.micro;
  return {
    totalBytes,
    limitBytes,
    buffers,
    shards: sizes.shards,
    fits: !problem,
    problem,
    problemKey,
    data,
    microBatch,
  };
}

/**
 * Why the plan's buffers do not fit (one beyond a binding, or the total beyond memoryLimit) and the
 * config key to change, with the size that would fit; undefined when they fit.
 */
function findProblem(
  c: Config,
  limits: Limits | undefined,
  opts: EstimateOptions,
  run: StepPlan,
  sizes: ModelSizes,
  cap: number,
): { problem: string; problemKey: string } | undefined {
  const { buffers, params } = sizes;
  const totalBytes = buffers.reduce((a, b) => a + b.bytes, 0);
  const limitBytes = c.memoryLimit * 2 ** 30;
  const partBytes = (part: Part) => buffers.filter((b) => b.part === part).reduce((a, b) => a + b.bytes, 0);
  const bk = c.microBatch > 0 ? 'microBatch' : 'batch';
  const batchWithin = () => largestFitting(c, limits, opts, bk);
  const big = buffers.find((b) => b.bytes > cap); // never a table shard: those are cut to fit
  if (big) {
    const part = big.part;
    const n = part === 'batch' ? batchWithin() : 0;
    return {
      problemKey:
        part === 'mlp' ? (c.top.some((h) => h > c.bottom[0]) ? 'top' : 'bottom') : part === 'batch' ? bk : part,
      problem:
        `${big.name} needs ${fmtBytes(big.bytes)}, more than the ${fmtBytes(cap)} this device binds; ` +
        (part === 'batch'
          ? `it grows with the batch: ${n >= 1 ? `${bk} ${n.toLocaleString('en')} or less fits (${bk} is ${c[bk]})` : 'lower batch'}, or lower pooling or dim`
          : part === 'mlp'
            ? `the MLP is too big: lower the bottom and top sizes (${params.toLocaleString('en')} parameters; ${Math.floor(cap / (big.bytes / params)).toLocaleString('en')} would fit)`
            : part === 'steps'
              ? `lower steps (at most ${Math.floor(cap / 12 - 1).toLocaleString('en')})`
              : 'lower dim'),
    };
  }
  const raise = `, or raise memoryLimit if this GPU has the memory (WebGPU does not report it)`;
  const needs = `the configuration needs ${fmtBytes(totalBytes)} of GPU memory, more than memoryLimit ${c.memoryLimit} GiB`;
  if (totalBytes - partBytes('tables') > limitBytes) {
    // the tables alone cannot make room: name the part that does not fit and the size that would
    const mlp = partBytes('mlp'),
      batch = partBytes('batch');
    const part = mlp >= batch ? 'mlp' : 'batch';
    const n = part === 'batch' ? batchWithin() : 0;
    return {
      problemKey: part === 'mlp' ? 'bottom' : bk,
      problem:
        `${needs}, and the tables are not the problem ` +
        `(tables ${fmtBytes(partBytes('tables'))}, MLP ${fmtBytes(mlp)}, batch buffers ${fmtBytes(batch)}): ` +
        (part === 'batch'
          ? n >= 1
            ? `${bk} ${n.toLocaleString('en')} or less fits (${bk} is ${c[bk]})`
            : 'lower batch, and the MLP sizes'
          : `the MLP's ${params.toLocaleString('en')} parameters do not fit; at most about ${Math.max(0, Math.floor(((limitBytes - (totalBytes - mlp)) / mlp) * params)).toLocaleString('en')} would`) +
        raise,
    };
  }
  if (totalBytes <= limitBytes) return undefined;
  // the table that gains most from shrinking, and how many rows it may keep
  const t = sizes.tableBytes.indexOf(Math.max(...sizes.tableBytes));
  const room = limitBytes - (totalBytes - sizes.tableBytes[t]);
  return {
    problemKey: 'tables',
    problem:
      needs +
      (room >= sizes.perRow
        ? `: the largest table that fits beside the others has ${Math.floor(room / sizes.perRow).toLocaleString('en')} rows (table ${t} has ${run.layout.rows[t].toLocaleString('en')})`
        : `: even without its largest table it does not fit; ${tablesWithin(c, limits, opts)}`) +
      raise,
  };
}

/** The most rows per table with which everything fits (bisection, as for the batch). */
function tablesWithin(c: Config, limits: Limits | undefined, opts: EstimateOptions): string {
  const most = Math.max(...c.tables);
  const fitsAt = (r: number) =>
    estimateMemory({ ...c, tables: c.tables.map((R) => Math.min(R, r)) }, limits, { ...opts, noSearch: true }).fits;
  if (opts.noSearch || !fitsAt(1)) return 'lower dim';
  let lo = 1,
    hi = most - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fitsAt(mid)) lo = mid;
    else hi = mid - 1;
  }
  return `tables of at most ${lo.toLocaleString('en')} rows each fit (the largest has ${most.toLocaleString('en')})`;
}

/**
 * The largest batch (the micro-batch, where the config sets one) with which everything fits
 * (bisection: padding and sort sizes are not linear).
 */
function largestFitting(
  c: Config,
  limits: Limits | undefined,
  opts: EstimateOptions,
  bk: 'batch' | 'microBatch',
): number {
  if (opts.noSearch) return 0;
  const o = { ...opts, noSearch: true };
  const fits = (n: number) =>
    (bk === 'batch' ? estimateWith({ ...c, batch: n }, limits, o) : estimateWith(c, limits, { ...o, microBatch: n }))
      .fits;
  let lo = 0,
    hi = c[bk] - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The data set's GPU buffers, split by split (training first), where each fits one binding and
 * the room left under the memory limit: dense [n, F] f32, indices [T, n, L] u32, labels [n] f32,
 * and the batch's example ids (LazyDP: its lookahead batch's too) that a step uploads.
 */
function residentData(
  c: Config,
  lay: Layout,
  B: number,
  lookahead: boolean,
  cap: number,
  room: number,
  opts: { batchOnGpu?: boolean; dataSizes?: { train: number; eval: number } },
): { data: MemoryEstimate['data']; buffers: { name: string; bytes: number }[] } {
  const data: MemoryEstimate['data'] = { train: false, eval: false };
  const buffers: { name: string; bytes: number }[] = [];
  if (opts.batchOnGpu === false) {
    data.note = 'batches are assembled on the CPU and uploaded whole (batchOnGpu: false)';
    return { data, buffers };
  }
  const sizes = opts.dataSizes ?? { train: c.datasetSize, eval: c.evalSize };
  const notes: string[] = [];
  for (const split of ['train', 'eval'] as const) {
    const n = sizes[split];
    if (n === 0) continue; // nothing held out: nothing to evaluate
    const parts = [
      { name: `data set (${split}): indices`, bytes: lay.T * n * lay.L * 4 },
      { name: `data set (${split}): dense features`, bytes: n * lay.F * 4 },
      { name: `data set (${split}): labels`, bytes: n * 4 },
    ];
    if (!buffers.length) parts.push({ name: 'batch example ids', bytes: B * 4 });
    if (split === 'train' && lookahead) parts.push({ name: 'lookahead example ids', bytes: B * 4 });
    const bytes = parts.reduce((a, p) => a + p.bytes, 0);
    const big = parts.find((p) => p.bytes > cap);
    const what = split === 'train' ? 'training' : 'held-out';
    if (big)
      notes.push(
        `the ${what} ${big.name.replace(/^.*: /, '')} need ${fmtBytes(big.bytes)}, more than one binding (${fmtBytes(cap)})`,
      );
    else if (bytes > room)
      notes.push(
        `the ${what} data set (${fmtBytes(bytes)}) does not fit beside the model within memoryLimit ${c.memoryLimit} GiB`,
      );
    else {
      data[split] = true;
      buffers.push(...parts);
      room -= bytes;
    }
  }
  if (notes.length) data.note = `${notes.join('; ')}: those batches are assembled on the CPU and uploaded whole`;
  return { data, buffers };
}

/** Binary units, three significant digits from 1 KiB on (1.50 KiB, 12.3 MiB, 512 MiB). */
export function fmtBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${u[i]}`;
}

/** The configuration does not fit the device; `key` names the config key to change. */
export class CapacityError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'CapacityError';
  }
}
