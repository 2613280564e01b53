// What one step of DP-AdaFEST or DP-FEST did to a slice of one table, for the teaching view: which
// rows the batch touched, which crossed the threshold (touched, and untouched by the sampled
// crossings) or were selected, and the whole table's counts. Computed on the CPU from the batch
// and the same Philox draws the GPU makes (as rows-updated.ts), so no GPU buffer is read back.
import { crossingCandidates } from '../noise/fest';
import { adafestCount, mapNorms2, touched, type RowsUpdatedInput } from './rows-updated';

/** One row of the slice at one step. */
export interface FestRow {
  row: number;
  /** examples of the batch that read the row (0: untouched) */
  examples: number;
  /** DP-AdaFEST: the clipped contribution count summed over the batch, and with its noise */
  count?: number;
  noisy?: number;
  /** the row was written: crossed the threshold (DP-AdaFEST) or is selected (DP-FEST) */
  updated: boolean;
}

/** A step's rows of one table: the slice's rows and the whole table's counts. */
export interface FestStep {
  rows: FestRow[];
  /** rows the batch read */
  touched: number;
  /** touched rows that were written (their gradient plus noise) */
  touchedUpdated: number;
  /** untouched rows that were written (noise only) */
  untouchedUpdated: number;
  /** all rows of the table */
  tableRows: number;
}

/** Sorted membership test in a sorted row list. */
function has(sorted: Uint32Array, r: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < r) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === r;
}

/**
 * Step s of a DP-AdaFEST (x.adafest) or DP-FEST (x.selection) run on table t, rows
 * [start, start + count). The clipped counts follow the paper's 0/1 map, clipped over all tables
 * (as the `fest_map` kernel and rows-updated.ts).
 */
export function festStep(
  x: RowsUpdatedInput,
  s: number,
  batch: ArrayLike<number>,
  t: number,
  start: number,
  count: number,
): FestStep {
  const maps = touched(x, batch);
  const m = maps[t];
  const decide = new Map<number, { count?: number; noisy?: number; updated: boolean }>();
  let untouchedUpdated = 0;
  if (x.adafest) {
    const norm2 = mapNorms2(maps, batch.length);
    for (const [r, ex] of m) decide.set(r, adafestCount(x, s, t, r, ex, norm2));
    for (const r of crossingCandidates(x.key, t, x.rows[t], s, x.adafest.crossing))
      if (!m.has(r)) {
        decide.set(r, { updated: true });
        untouchedUpdated++;
      }
  } else {
    const sel = x.selection![t];
    for (const r of m.keys()) decide.set(r, { updated: has(sel, r) });
    untouchedUpdated = sel.length - [...m.keys()].filter((r) => has(sel, r)).length;
    for (let r = start; r < Math.min(x.rows[t], start + count); r++)
      if (!m.has(r) && has(sel, r)) decide.set(r, { updated: true });
  }
  const rows: FestRow[] = [];
  for (let r = start; r < Math.min(x.rows[t], start + count); r++)
    rows.push({ row: r, examples: m.get(r)?.length ?? 0, updated: false, ...decide.get(r) });
  let touchedUpdated = 0;
  for (const r of m.keys()) if (decide.get(r)!.updated) touchedUpdated++;
  return { rows, touched: m.size, touchedUpdated, untouchedUpdated, tableRows: x.rows[t] };
}
