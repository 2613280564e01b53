// Comparing runs on the training charts: where each logged ε was computed, one point per step,
// and the styles and legend labels of the overlaid earlier runs, so runs of one algorithm can be
// told apart.

import { epsilonStep } from '../../engine';
import type { LogPoint } from '../../engine';
import type { RunRecord } from '../state/store';

/** One point per step: where several log points share a step, the last. */
export function atSteps(pts: { x: number; y: number }[]): { x: number; y: number }[] {
  return pts.filter((p, i) => pts[i + 1]?.x !== p.x);
}

/**
 * Where a logged ε was computed: with PRV the lab computes ε at 24 points of the run and logs
 * each step with the next one's value, so drawn at the logged steps it rises as a staircase. A
 * resumed model's first point (no step rate) is exact at its step.
 */
export function epsilonAt(r: RunRecord, p: LogPoint): number {
  return Number.isNaN(p.stepsPerSec) ? p.step : epsilonStep(r.config, p.step);
}

/** Dash patterns for the overlaid runs of one algorithm, in turn (the current run is solid). */
export const DASHES = [
  [6, 4],
  [2, 3],
  [12, 4, 2, 4],
  [1, 6],
];

/** Each overlaid run's dash: the k-th overlay of an algorithm gets the k-th pattern. */
export function overlayDashes(overlays: RunRecord[]): Map<RunRecord, number[]> {
  const seen = new Map<string, number>();
  return new Map(
    overlays.map((r) => {
      const k = seen.get(r.algo) ?? 0;
      seen.set(r.algo, k + 1);
      return [r, DASHES[k % DASHES.length]];
    }),
  );
}

/**
 * Legend labels for the overlaid runs, by what differs from the current configuration; two of one
 * algorithm that differ from it alike are told apart by their run number.
 */
export function overlayLabels(overlays: RunRecord[], label: (r: RunRecord) => string): Map<RunRecord, string> {
  const key = (r: RunRecord) => `${r.algo}\u0000${label(r)}`;
  const count = new Map<string, number>();
  for (const r of overlays) count.set(key(r), (count.get(key(r)) ?? 0) + 1);
  return new Map(overlays.map((r) => [r, count.get(key(r))! > 1 ? `${label(r)} · run ${r.id}` : label(r)]));
}

/**
 * A run that stopped before its end: one trained here without a summary (paused or cut off), or a
 * loaded one whose curves end before its configured steps (a loaded file carries no summary).
 */
export function unfinished(r: Pick<RunRecord, 'source' | 'summary' | 'stepsDone' | 'config'>): boolean {
  return r.source === 'imported' ? r.stepsDone < r.config.steps : !r.summary;
}
