// What a configuration needs on the GPU, before anything is allocated, and how a table larger
// than one binding is split into shards of consecutive rows. WebGPU reports the
// largest buffer and binding but not the device's total memory, so the total is held to the
// config's `memoryLimit` (GiB), which a user with a big GPU raises.
import type { Config } from '../config/config';
import type { Layout } from './model';
import { segsumCarryBytes } from '../kernels/segsum';
import { wgradSplit } from '../kernels/wgrad';
import { microBatchable, resolvePlan, shardBuffers } from './plan';
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

export function estimateMemory(
  c: Config,
  limits?: Limits,
  opts: {
    shardRows?: number;
    noSearch?: boolean;
    /** false: batches assembled on the CPU whatever fits (tests, comparisons) */
    batchOnGpu?: boolean;
    /** examples per split when they differ from the config's (a Criteo file's held-out lines) */
    dataSizes?: { train: number; eval: number };
    /** the micro-batch to estimate (default: the config's) */
    microBatch?: number;
  } = {},
): MemoryEstimate {
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

function estimateWith(
  c: Config,
  limits: Limits | undefined,
  opts: Parameters<typeof estimateMemory>[2] & object,
): MemoryEstimate {
  const run = resolvePlan(c, undefined, opts.microBatch ?? c.microBatch);
  const { layout: lay, B, N } = run;
  const lookahead = run.extra.lookahead;
  const perShard = shardBuffers(run); // the same list buffers.ts allocates
  const buffers: { name: string; bytes: number }[] = [];
  const shards: number[] = [];
  const tableBytes: number[] = [];
  const packed = !!packTables(lay.rows, lay.D, limits, opts.shardRows);
  lay.rows.forEach((R, t) => {
    const plan = planShards(R, lay.D, limits, opts.shardRows);
    // packed tables are padded to PACK_ROWS rows (in the shared buffers: tables and history)
    const stored = (rows: number) => (packed ? Math.ceil(rows / PACK_ROWS) * PACK_ROWS : rows);
    shards.push(plan.length);
    let bytes = 0;
    plan.forEach((p, k) => {
      const sfx = plan.length > 1 ? `[${k}]` : '';
      for (const b of perShard) {
        const n = (b.packs ? stored(p.rows) : p.rows) * b.bytesPerRow;
        buffers.push({ name: b.describe(t) + sfx, bytes: n });
        bytes += n;
      }
    });
    tableBytes.push(bytes);
  });
  // every table's sorted pairs (LazyDP: and the lookahead's), row sums and carries share buffers
  const T = lay.rows.length;
  buffers.push({ name: 'sort (keys)', bytes: T * N * 4 });
  buffers.push({ name: 'sort (values)', bytes: T * N * 4 });
  if (lookahead) {
    buffers.push({ name: 'sort (lookahead keys)', bytes: T * N * 4 });
    buffers.push({ name: 'sort (lookahead values)', bytes: T * N * 4 });
  }
  buffers.push({ name: 'rowGrad (all tables)', bytes: T * N * lay.D * 4 });
  buffers.push({ name: 'segsumCarry (all tables)', bytes: segsumCarryBytes(N, lay.D, undefined, T) });
  let params = 0,
    acts = 0;
  for (const l of lay.layers) {
    params += l.inDim * l.outDim + l.outDim;
    acts += l.outDim;
  }
  buffers.push({
    name: 'mlp (params, grads, noise)',
    bytes: params * 4 * ((run.noiseMode === 2 ? 3 : 2) + (run.micro ? 1 : 0)),
  });
  if (c.mlpOptimizer !== 'sgd')
    buffers.push({ name: `mlp ${c.mlpOptimizer} state`, bytes: params * 4 * (c.mlpOptimizer === 'adam' ? 2 : 1) });
  // the K-split weight gradients' chunk partials (none with one chunk)
  const partials = wgradSplit(B, params).partialBytes;
  if (partials > 0) buffers.push({ name: 'mlp gradient partials', bytes: partials });
  buffers.push({ name: 'activations and gradients', bytes: B * (acts + lay.featureWidth) * 4 * 2 });
  if (lay.interaction === 'dot')
    buffers.push({ name: 'dot interaction (z and its gradient)', bytes: B * lay.interactionWidth * 4 * 2 });
  buffers.push({ name: 'batch', bytes: B * (lay.F + 2 * lay.T * lay.L + 3) * 4 });
  buffers.push({ name: 'norms', bytes: (lay.groups + 1) * B * 4 });
  // lrs (4 B a step) and the integer lr² prefix sums (8 B a step, plus the unit in the last entry)
  if (run.extra.lrSchedule) buffers.push({ name: 'lr schedule', bytes: (c.steps + 1) * 12 + 8 });
  let totalBytes = buffers.reduce((a, b) => a + b.bytes, 0);
  const limitBytes = c.memoryLimit * 2 ** 30;
  let problem: string | undefined, problemKey: string | undefined;
  const cap = limits ? bindingCap(limits) : Infinity;
  const big = buffers.find((b) => b.bytes > cap); // never a table shard: those are cut to fit
  // which part of the model each buffer belongs to, for messages that say what to shrink
  const partOf = (name: string): 'tables' | 'mlp' | 'batch' | 'steps' =>
    name.startsWith('mlp')
      ? 'mlp'
      : name === 'lr schedule'
        ? 'steps'
        : /^(sort|rowGrad|segsumCarry|activations|dot|batch|norms)/.test(name)
          ? 'batch'
          : 'tables';
  const partBytes = (part: string) => buffers.filter((b) => partOf(b.name) === part).reduce((a, b) => a + b.bytes, 0);
  const bk = c.microBatch > 0 ? 'microBatch' : 'batch';
  const batchWithin = () => largestFitting(c, limits, opts, bk);
  // the most rows per table with which everything fits (bisection, as for the batch)
  const tablesWithin = (): string => {
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
  };
  if (big) {
    const part = partOf(big.name);
    problemKey =
      part === 'mlp' ? (c.top.some((h) => h > c.bottom[0]) ? 'top' : 'bottom') : part === 'batch' ? bk : part;
    const n = part === 'batch' ? batchWithin() : 0;
    problem =
      `${big.name} needs ${fmtBytes(big.bytes)}, more than the ${fmtBytes(cap)} this device binds; ` +
      (part === 'batch'
        ? `it grows with the batch: ${n >= 1 ? `${bk} ${n.toLocaleString('en')} or less fits (${bk} is ${c[bk]})` : 'lower batch'}, or lower pooling or dim`
        : part === 'mlp'
          ? `the MLP is too big: lower the bottom and top sizes (${params.toLocaleString('en')} parameters; ${Math.floor(cap / (big.bytes / params)).toLocaleString('en')} would fit)`
          : part === 'steps'
            ? `lower steps (at most ${Math.floor(cap / 12 - 1).toLocaleString('en')})`
            : 'lower dim');
  } else if (totalBytes - partBytes('tables') > limitBytes) {
    // the tables alone cannot make room: name the part that does not fit and the size that would
    const mlp = partBytes('mlp'),
      batch = partBytes('batch');
    const part = mlp >= batch ? 'mlp' : 'batch';
    problemKey = part === 'mlp' ? 'bottom' : bk;
    const n = part === 'batch' ? batchWithin() : 0;
    problem =
      `the configuration needs ${fmtBytes(totalBytes)} of GPU memory, more than memoryLimit ${c.memoryLimit} GiB, and the tables are not the problem ` +
      `(tables ${fmtBytes(partBytes('tables'))}, MLP ${fmtBytes(mlp)}, batch buffers ${fmtBytes(batch)}): ` +
      (part === 'batch'
        ? n >= 1
          ? `${bk} ${n.toLocaleString('en')} or less fits (${bk} is ${c[bk]})`
          : 'lower batch, and the MLP sizes'
        : `the MLP's ${params.toLocaleString('en')} parameters do not fit; at most about ${Math.max(0, Math.floor(((limitBytes - (totalBytes - mlp)) / mlp) * params)).toLocaleString('en')} would`) +
      `, or raise memoryLimit if this GPU has the memory (WebGPU does not report it)`;
  } else if (totalBytes > limitBytes) {
    // the table that gains most from shrinking, and how many rows it may keep
    const t = tableBytes.indexOf(Math.max(...tableBytes));
    const perRow = perShard.reduce((a, b) => a + b.bytesPerRow, 0);
    const room = limitBytes - (totalBytes - tableBytes[t]);
    problemKey = 'tables';
    problem =
      `the configuration needs ${fmtBytes(totalBytes)} of GPU memory, more than memoryLimit ${c.memoryLimit} GiB` +
      (room >= perRow
        ? `: the largest table that fits beside the others has ${Math.floor(room / perRow).toLocaleString('en')} rows (table ${t} has ${lay.rows[t].toLocaleString('en')})`
        : `: even without its largest table it does not fit; ${tablesWithin()}`) +
      `, or raise memoryLimit if this GPU has the memory (WebGPU does not report it)`;
  }
  const data: MemoryEstimate['data'] = { train: false, eval: false };
  if (!problem) {
    const r = residentData(c, lay, B, lookahead, cap, limitBytes - totalBytes, opts);
    Object.assign(data, r.data);
    buffers.push(...r.buffers);
    totalBytes += r.buffers.reduce((a, b) => a + b.bytes, 0);
  }
  const microBatch = run.micro;
  return { totalBytes, limitBytes, buffers, shards, fits: !problem, problem, problemKey, data, microBatch };
}

/**
 * The largest batch (the micro-batch, where the config sets one) with which everything fits
 * (bisection: padding and sort sizes are not linear).
 */
function largestFitting(
  c: Config,
  limits: Limits | undefined,
  opts: Parameters<typeof estimateMemory>[2] & object,
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
