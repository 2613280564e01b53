// Rows of the embedding tables a training step writes, per algorithm: the cost side of the
// frontier. The engine does not count them, so they are computed from the training data and the
// sampling rate: a table row r that appears in n_r training examples is in a Poisson batch of
// rate q with probability 1 - (1 - q)^n_r, so a batch touches sum_r (1 - (1 - q)^n_r) distinct
// rows on average (exact in expectation; shuffled batches of the same size are close to it).
import type { Config } from '../config/config';
import type { Dataset } from '../data/synthetic';
import { INVALID_ROW } from '../data/format';
import { denseTableState, isLazy } from '../engine';
import { algorithm } from '../algorithms';

/** Expected distinct rows (all tables together) one batch of rate q touches. */
export function expectedTouchedRows(train: Dataset, rows: number[], q: number): number {
  let total = 0;
  const L = train.L;
  rows.forEach((R, t) => {
    // examples per row, each example counted once however often its bag repeats the row
    const count = new Uint32Array(R);
    const last = new Int32Array(R).fill(-1);
    const idx = train.idx[t];
    for (let i = 0; i < train.n; i++)
      for (let l = 0; l < L; l++) {
        const r = idx[i * L + l];
        if (r === INVALID_ROW || last[r] === i) continue;
        last[r] = i;
        count[r]++;
      }
    const log1mq = Math.log1p(-Math.min(q, 1));
    for (let r = 0; r < R; r++) if (count[r] > 0) total += q >= 1 ? 1 : -Math.expm1(count[r] * log1mq);
  });
  return total;
}

/** Evaluations of a run (each flushes LazyDP's pending noise into every row): every evalEvery steps and the last. */
export function evaluations(c: Config): number {
  if (c.evalEvery <= 0) return 1;
  return Math.floor(c.steps / c.evalEvery) + (c.steps % c.evalEvery === 0 ? 0 : 1);
}

/**
 * Rows written per step by the table update, averaged over the run:
 * - sgd (sparse): the rows the batch touched;
 * - eager DP-SGD, or any dense table optimizer: every row (noise or state on every row);
 * - LazyDP: the rows the batch touched (gradient) plus the rows the next batch will touch
 *   (their pending noise, the lookahead; none after the last step), plus every row at each flush
 *   (one per evaluation), spread over the steps. lazydp-exact writes the same rows (its flush
 *   replays more rounds of noise into them).
 */
export function rowsUpdatedPerStep(c: Config, touched: number): number {
  const all = c.tables.reduce((a, r) => a + r, 0);
  if (isLazy(c)) return (touched * (2 * c.steps - 1)) / c.steps + (all * evaluations(c)) / c.steps;
  if (algorithm(c.algo).private || denseTableState(c) >= 0) return all;
  return touched;
}
