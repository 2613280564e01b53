// The oracle's DP-FEST and DP-AdaFEST (docs/algorithms-fest.md), written from the algorithms'
// definitions and the Philox layout (src/noise/fest.ts), not from the kernels: DP-FEST's private
// selection before training and its masked, selected-rows-only update; DP-AdaFEST's clipped
// contribution map, noisy counts, threshold, crossings of untouched rows and noisy update.
// referenceStep (./dlrm.ts) calls these for the step kinds 'fest' and 'adafest'.
import type { Layout } from '../engine/model';
import { countNoise, crossingCandidates, histogramNoise } from '../noise/fest';
import { eagerTableNoise } from '../noise/philox';
import type { StepValues } from '../kernels/noise';
import { INVALID_ROW } from '../kernels/gather';
import { crossingProbability } from '../privacy/fest';
import { unknownKind } from './kinds';

/** Example i's distinct rows of each table (its bags, slots INVALID_ROW or past the table skipped). */
function distinctRows(lay: Layout, idx: readonly Uint32Array[], i: number): Set<number>[] {
  return lay.rows.map((R, t) => {
    const s = new Set<number>();
    for (const r of idx[t].subarray(i * lay.L, (i + 1) * lay.L)) if (r !== INVALID_ROW && r < R) s.add(r);
    return s;
  });
}

/**
 * Per table, each distinct row's sum over examples of min(1, clip / ||v_i||), v_i example i's 0/1
 * vector of distinct rows over all tables: the clipped histogram (DP-FEST's over the training
 * data, DP-AdaFEST's contribution map over the batch).
 */
export function clippedRowCounts(lay: Layout, idx: readonly Uint32Array[], n: number, clip: number) {
  const counts = lay.rows.map(() => new Map<number, number>());
  for (let i = 0; i < n; i++) {
    const rows = distinctRows(lay, idx, i);
    const norm2 = rows.reduce((a, s) => a + s.size, 0);
    const scale = norm2 ? Math.min(1, clip / Math.sqrt(norm2)) : 0;
    rows.forEach((s, t) => s.forEach((r) => counts[t].set(r, (counts[t].get(r) ?? 0) + scale)));
  }
  return counts;
}

/**
 * DP-FEST's private selection, before training: every row's clipped count plus
 * N(0, (sigma bound)^2) (histogram stream), and per table the k rows of largest noisy count (ties
 * to the lower row), sorted ascending.
 */
export function festSelectionRef(
  lay: Layout,
  trainIdx: readonly Uint32Array[],
  o: { k: number; sigma: number; bound: number; key: StepValues['key'] },
): Uint32Array[] {
  const n = trainIdx.length ? trainIdx[0].length / lay.L : 0;
  const counts = clippedRowCounts(lay, trainIdx, n, o.bound);
  return lay.rows.map((R, t) => {
    const noisy = Array.from(
      { length: R },
      (_, r) => (counts[t].get(r) ?? 0) + o.sigma * o.bound * histogramNoise(o.key, t, r),
    );
    const order = Array.from({ length: R }, (_, r) => r).sort((a, b) => noisy[b] - noisy[a] || a - b);
    return Uint32Array.from(order.slice(0, Math.min(o.k, R))).sort();
  });
}

/** DP-FEST: drops every unselected row's gradient from one example's table gradients (before clipping). */
export function keepSelected(dE: Map<number, Float64Array>[], selected: readonly Uint32Array[]): void {
  dE.forEach((mp, t) => {
    const keep = new Set(selected[t]);
    for (const r of [...mp.keys()]) if (!keep.has(r)) mp.delete(r);
  });
}

/** E[r] -= lr/B (g + noiseStd z), z DP-SGD's eager draw of (t, r, column, step); g absent: 0. */
function noisyRowUpdate(lay: Layout, E: Float32Array, st: StepValues, t: number, r: number, g?: Float64Array) {
  for (let d = 0; d < lay.D; d++)
    E[r * lay.D + d] -= st.lr * st.invB * ((g?.[d] ?? 0) + st.noiseStd * eagerTableNoise(st.key, t, r, d, st.step));
}

/**
 * DP-FEST's table update: the selected rows' clipped sums (the others were dropped before
 * clipping), then DP-SGD's noise on every selected row, read or not. Unselected rows never change.
 */
export function festTables(
  lay: Layout,
  tables: Float32Array[],
  sumE: Map<number, Float64Array>[],
  st: StepValues,
  selected: readonly Uint32Array[],
): void {
  const k = st.lr * st.invB;
  tables.forEach((E, t) => {
    for (const [r, v] of sumE[t]) for (let d = 0; d < lay.D; d++) E[r * lay.D + d] -= k * v[d];
    for (const r of selected[t])
      for (let d = 0; d < lay.D; d++) E[r * lay.D + d] -= k * st.noiseStd * eagerTableNoise(st.key, t, r, d, st.step);
  });
}

export interface AdafestParams {
  /** sigma1: the count noise multiplier */
  sigma1: number;
  /** C1: each example's contribution map is clipped to this L2 norm */
  clip1: number;
  /** tau: a row is updated when its noisy count exceeds it */
  tau: number;
}

/**
 * DP-AdaFEST's table update: the batch's clipped contribution map, N(0, (sigma1 C1)^2) on each
 * touched row's count (count stream); touched rows above tau get their clipped gradient sum plus
 * DP-SGD's noise, the others nothing. An untouched row's count is its noise alone: the rows among
 * the step's crossing candidates (each row independently with p = Q(tau / (sigma1 C1))) that the
 * batch did not touch get the noise alone.
 */
export function adafestTables(
  lay: Layout,
  tables: Float32Array[],
  batch: { idx: readonly Uint32Array[]; n: number },
  sumE: Map<number, Float64Array>[],
  st: StepValues,
  a: AdafestParams,
): void {
  const counts = clippedRowCounts(lay, batch.idx, batch.n, a.clip1);
  const std1 = a.sigma1 * a.clip1;
  const p = crossingProbability(a.tau, std1);
  tables.forEach((E, t) => {
    for (const [r, c] of counts[t])
      if (c + std1 * countNoise(st.key, t, r, st.step) > a.tau) noisyRowUpdate(lay, E, st, t, r, sumE[t].get(r));
    for (const r of crossingCandidates(st.key, t, lay.rows[t], st.step, p))
      if (!counts[t].has(r)) noisyRowUpdate(lay, E, st, t, r);
  });
}

/**
 * How many steps' table noise a row that no batch read receives over `steps` steps (after the
 * flush where the algorithm has one), as its mean and mean square: what the conformance suite's
 * variance test of unread rows expects, per reference kind.
 */
export function unreadNoiseSteps(
  kind: string,
  steps: number,
  o: { selected?: boolean; adafest?: AdafestParams },
): { mean: number; meanSq: number } {
  const every = { mean: steps, meanSq: steps * steps };
  switch (kind) {
    case 'sgd':
      return { mean: 0, meanSq: 0 };
    case 'dp-sgd':
    case 'lazy':
    case 'lazy-exact':
      return every;
    case 'fest':
      return o.selected ? every : { mean: 0, meanSq: 0 };
    case 'adafest': {
      // each step an unread row crosses alone with p: K ~ Binomial(steps, p)
      const p = crossingProbability(o.adafest!.tau, o.adafest!.sigma1 * o.adafest!.clip1);
      return { mean: steps * p, meanSq: steps * p * (1 - p) + (steps * p) ** 2 };
    }
    default:
      throw unknownKind(kind);
  }
}
