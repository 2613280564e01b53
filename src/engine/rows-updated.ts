// Rows the table update writes per step (summary.perStep.rowsUpdated), by how the algorithm noises
// its tables: every row (eager), the batch's rows and the next batch's (lazy: the update and the
// lookahead's noise), the rows whose noisy count crossed the threshold (DP-AdaFEST), the batch's
// selected rows and every selected row's noise (DP-FEST). Computed on the CPU from the batches
// and the same Philox draws the GPU makes, so no readback is needed.
import type { TableNoise } from '../algorithms';
import { INVALID_ROW } from '../kernels/gather';
import { countNoise, crossingCandidates } from '../noise/fest';
import type { Key } from '../noise/philox';
import type { Dataset } from '../data/synthetic';
import type { StepPlan } from './plan';
import { adafestCrossing } from './graph/fest';

export interface RowsUpdatedInput {
  tableNoise: TableNoise;
  /** whether the tables take a dense optimizer (every row written every step) */
  dense: boolean;
  rows: readonly number[];
  L: number;
  train: Dataset;
  key: Key;
  /** DP-AdaFEST: C1, sigma1 * C1, tau, and the untouched rows' crossing probability */
  adafest?: { clip: number; noiseStd: number; tau: number; crossing: number };
  /** DP-FEST: each table's selected rows */
  selection?: readonly Uint32Array[];
}

/** Per table, each distinct row an example set reads, with the examples' slot lists. */
export function touched(x: RowsUpdatedInput, batch: ArrayLike<number>): Map<number, number[]>[] {
  return x.rows.map((_, t) => {
    const m = new Map<number, number[]>();
    for (let i = 0; i < batch.length; i++)
      for (let l = 0; l < x.L; l++) {
        const r = x.train.idx[t][batch[i] * x.L + l];
        if (r === INVALID_ROW) continue;
        const ex = m.get(r);
        if (!ex) m.set(r, [i]);
        else if (ex[ex.length - 1] !== i) ex.push(i);
      }
    return m;
  });
}

/** Each example's squared norm in the paper's 0/1 map: the number of distinct rows it reads, all tables. */
export function mapNorms2(maps: Map<number, number[]>[], examples: number): Float64Array {
  const norm2 = new Float64Array(examples);
  for (const m of maps) for (const ex of m.values()) for (const i of ex) norm2[i]++;
  return norm2;
}

/**
 * DP-AdaFEST's decision on row r of table t at step s, read by the batch slots `ex`: its count with
 * each example's map clipped to C1 over all tables (`norm2`: mapNorms2), the noisy count, and
 * whether that crosses tau (as the `fest_map` kernel decides).
 */
export function adafestCount(
  x: RowsUpdatedInput,
  s: number,
  t: number,
  r: number,
  ex: readonly number[],
  norm2: Float64Array,
): { count: number; noisy: number; updated: boolean } {
  const a = x.adafest!;
  const count = ex.reduce((acc, i) => acc + Math.min(1, a.clip / Math.sqrt(norm2[i])), 0);
  const noisy = count + a.noiseStd * countNoise(x.key, t, r, s);
  return { count, noisy, updated: noisy > a.tau };
}

/** DP-AdaFEST's selected rows at step s: touched rows whose noisy clipped count > tau, and crossings. */
function adafestRows(x: RowsUpdatedInput, s: number, batch: ArrayLike<number>): number {
  const maps = touched(x, batch);
  const norm2 = mapNorms2(maps, batch.length);
  let n = 0;
  maps.forEach((m, t) => {
    for (const [r, ex] of m) if (adafestCount(x, s, t, r, ex, norm2).updated) n++;
    for (const r of crossingCandidates(x.key, t, x.rows[t], s, x.adafest!.crossing)) if (!m.has(r)) n++;
  });
  return n;
}

/** Rows written by step s's table update (`next`: the lookahead batch, lazy noise). */
export function rowsUpdatedAt(
  x: RowsUpdatedInput,
  s: number,
  batch: ArrayLike<number>,
  next: ArrayLike<number>,
): number {
  const all = x.rows.reduce((a, r) => a + r, 0);
  if (x.dense) return all;
  switch (x.tableNoise) {
    case 'eager':
      return all;
    case 'none':
      return touched(x, batch).reduce((a, m) => a + m.size, 0);
    case 'lazy':
    case 'lazy-exact': {
      const ahead = touched(x, next);
      return touched(x, batch).reduce((a, m, t) => {
        let both = 0;
        for (const r of m.keys()) if (ahead[t].has(r)) both++;
        return a + m.size + ahead[t].size - both;
      }, 0);
    }
    case 'adafest':
      return adafestRows(x, s, batch);
    case 'fest':
      // the batch's selected rows all get noise too: the selection's size covers them
      return x.selection!.reduce((a, sel) => a + sel.length, 0);
  }
}

/**
 * Mean rows written per step over steps from+1 .. to (up to 64 of them, evenly spread); `batch`
 * gives step s's examples as the sampler drew them.
 */
export function meanRowsUpdated(
  p: StepPlan,
  train: Dataset,
  key: Key,
  selection: readonly Uint32Array[] | undefined,
  run: { from: number; to: number; batch: (s: number) => ArrayLike<number> },
): number {
  const done = run.to - run.from;
  if (done <= 0) return 0;
  const c = p.config;
  const x = rowsInput(p, train, key, selection);
  const k = Math.min(64, done);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    const s = run.from + 1 + Math.floor((i * done) / k);
    const next = p.extra.lookahead && s < c.steps ? run.batch(s + 1) : [];
    sum += rowsUpdatedAt(x, s, run.batch(s), next);
  }
  return sum / k;
}

/** What the row counts need of a run: its plan, training data, key and DP-FEST selection. */
export function rowsInput(
  p: StepPlan,
  train: Dataset,
  key: Key,
  selection: readonly Uint32Array[] | undefined,
): RowsUpdatedInput {
  const c = p.config;
  return {
    tableNoise: p.tableNoise,
    dense: p.denseState >= 0,
    rows: p.layout.rows,
    L: p.layout.L,
    train,
    key,
    selection,
    adafest: p.extra.festMap
      ? {
          clip: c.selectionClip,
          noiseStd: c.selectionSigma * c.selectionClip,
          tau: c.threshold,
          crossing: adafestCrossing(p),
        }
      : undefined,
  };
}
