// `audit --seeds N`: the same audit with audit seeds S, S+1, ..., S+N-1 (S = --audit-seed, default 1),
// each a fresh training run, one line per seed, then the median and the largest bound against the
// accountant's epsilon. The benchmarks of docs/audit.md: the median of 5 power audits at epsilon 8
// (goal at least 2), and 20 honest seeds whose every bound is at most epsilon.
import type { AuditResult } from '../audit/run';
import { auditIdeal } from './audit-report';
import { median } from '../numerics/stats';

export interface SeedsSummary {
  seeds: number[];
  bounds: number[];
  epsilons: number[];
  median: number;
  max: number;
  min: number;
  /** every seed's bound at most its run's accountant epsilon */
  allAtMostEpsilon: boolean;
  /** seeds whose bound exceeds their epsilon: their privacy claim is false */
  above: number[];
  idealBound: number;
}

/** The median of the bounds; NaN for none (no audit ran, so no number to print). */
export function medianOf(xs: readonly number[]): number {
  return xs.length ? median(xs) : NaN;
}

export function summarizeSeeds(runs: readonly AuditResult[]): SeedsSummary {
  const bounds = runs.map((r) => r.epsilonLower);
  const above = runs.filter((r) => r.epsilonLower > r.epsilon).map((r) => r.auditSeed);
  return {
    seeds: runs.map((r) => r.auditSeed),
    bounds,
    epsilons: runs.map((r) => r.epsilon),
    median: medianOf(bounds),
    max: Math.max(...bounds),
    min: Math.min(...bounds),
    allAtMostEpsilon: above.length === 0,
    above,
    idealBound: runs.length ? auditIdeal(runs[0]).epsilonLower : NaN,
  };
}

/** One line per seed, as it finishes. */
export function seedLine(r: AuditResult): string {
  return (
    `audit seed ${r.auditSeed}: lower bound ${r.epsilonLower.toFixed(3)} vs accountant epsilon ${r.epsilon.toFixed(3)}, ` +
    `correct ${r.correct} / ${r.guesses}, in / out median ${r.scores.in.median.toFixed(2)} / ${r.scores.out.median.toFixed(2)}, ` +
    `${r.seconds.toFixed(0)} s`
  );
}

/** The summary lines after the last seed. */
export function seedsText(s: SeedsSummary, runs: readonly AuditResult[]): string[] {
  const r = runs[0];
  const head =
    `${runs.length} seeds (${r.algo}${r.broken ? ` BROKEN: ${r.flaw}` : ''}, ${r.canaries} ${r.canaryKind} canaries` +
    `${r.power ? ', power audit' : ''}): bounds ${s.bounds.map((b) => b.toFixed(3)).join(', ')}`;
  const eps = Math.max(...s.epsilons);
  return [
    head,
    `median bound ${s.median.toFixed(3)}, min ${s.min.toFixed(3)}, max ${s.max.toFixed(3)}; ` +
      `idealised bound ${s.idealBound.toFixed(3)}; accountant epsilon ${eps.toFixed(3)}`,
    s.allAtMostEpsilon
      ? `every bound is at most the accountant's epsilon (largest ${s.max.toFixed(3)} <= ${Math.min(...s.epsilons).toFixed(3)})`
      : `CLAIM FALSE: the bound exceeds the accountant's epsilon at audit seed(s) ${s.above.join(', ')}`,
  ];
}
