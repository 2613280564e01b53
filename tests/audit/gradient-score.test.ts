// Gradient-canary scores (src/audit/gradient-score.ts) on a CPU simulation of the Gaussian
// mechanism, fed to the audit's own guess rule and bound (src/privacy/audit.ts).
import { describe, expect, it } from 'vitest';
import { gradientCanaryScores, outScoreStd, type CanaryScaling } from '../../src/audit/gradient-score';
import { auditFromScores } from '../../src/privacy/audit';
import { gaussianEpsilon, idealAuditBound } from '../../src/audit/ideal';
import { computeEpsilon } from '../../src/privacy/rdp';
import { Rng } from '../../src/data/rng';

type Flaw = 'none' | 'noise-touched-rows-only' | 'pending-one-step';

interface Sim {
  m: number;
  D: number;
  tables: number;
  q: number;
  sigma: number;
  scaling: CanaryScaling;
  seed: number;
  flaw?: Flaw;
}

/**
 * m canaries with D coordinates in each of `tables` tables, as the engine would update them: per
 * step, E -= lr_s / B (C u_j if canary j is in and sampled + σ C z). Draw order: membership, then
 * directions, then per step (canary, sample, noise). Flaws: noise only on rows the step touches
 * (eager DP-SGD's classic bug), or a lazy update whose pending noise counts a gap of skipped steps
 * as one step (noise added only when a row is read and at the final flush, one step's worth each).
 */
function simulate(p: Sim) {
  const { m, D, tables, q, sigma, scaling, flaw = 'none' } = p;
  const { clip: C, batch: B } = scaling;
  const rng = new Rng(p.seed);
  const member = Array.from({ length: m }, () => rng.next() < 0.5);
  const dirs = Array.from({ length: tables }, () => Float64Array.from({ length: m * D }, () => rng.normal()));
  const norm = new Float64Array(m);
  dirs.forEach((d) => d.forEach((x, i) => (norm[Math.floor(i / D)] += x * x)));
  const before = Array.from({ length: tables }, () => Float64Array.from({ length: m * D }, () => rng.normal()));
  const after = before.map((b) => Float64Array.from(b));
  for (let s = 1; s <= scaling.steps; s++) {
    const a = scaling.lrAt(s) / B;
    for (let j = 0; j < m; j++) {
      const sampled = member[j] && rng.next() < q;
      const noisy = flaw === 'none' || sampled || (flaw === 'pending-one-step' && s === scaling.steps);
      for (let t = 0; t < tables; t++)
        for (let c = j * D; c < (j + 1) * D; c++) {
          const g = sampled ? (C * dirs[t][c]) / Math.sqrt(norm[j]) : 0;
          const z = rng.normal();
          after[t][c] -= a * (g + (noisy ? sigma * C * z : 0));
        }
    }
  }
  return { member, scores: gradientCanaryScores(before, after, dirs, D, m, scaling) };
}

const constant = (steps: number, lr = 0.5): CanaryScaling => ({ steps, lrAt: () => lr, batch: 64, clip: 1.5 });
const decaying = (steps: number): CanaryScaling => ({ steps, lrAt: (s) => 0.8 / Math.sqrt(s), batch: 256, clip: 0.7 });

describe('gradient-canary scores', () => {
  it('one full-batch step, one coordinate: the scores are the idealised b + N(0, 1/μ²) and the bound is the same number', () => {
    // the simulation below draws exactly what idealScores draws (coins, then one normal each)
    const m = 1000,
      sigma = 0.8,
      seed = 21;
    const scaling = constant(1);
    const rng = new Rng(seed);
    const member = Array.from({ length: m }, () => rng.next() < 0.5);
    const before = [new Float64Array(m).fill(0.25)];
    const after = [Float64Array.from(member, (b) => 0.25 - (0.5 / 64) * ((b ? 1.5 : 0) + sigma * 1.5 * rng.normal()))];
    const scores = gradientCanaryScores(before, after, [new Float64Array(m).fill(1)], 1, m, scaling);
    const got = auditFromScores(scores, member, 1e-5).epsilonLower;
    const ideal = idealAuditBound(m, 1 / sigma, { draws: 1, seed });
    expect(got).toBeGreaterThan(0.5);
    expect(Math.abs(got - ideal.epsilonLower)).toBeLessThan(1e-6);
  });

  it('units: an out score is N(0, σ² Σ w²), an in score is shifted by q Σ w (lr schedule and batch scaling undone)', () => {
    const scaling = decaying(40);
    const { member, scores } = simulate({ m: 2000, D: 3, tables: 2, q: 0.3, sigma: 1.2, scaling, seed: 5 });
    const group = (b: boolean) => Array.from(scores).filter((_, j) => member[j] === b);
    const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
    const sd = (x: number[]) => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2)));
    const outs = group(false),
      ins = group(true);
    const s = outScoreStd(scaling, 1.2);
    // ~1000 draws each: the mean is known to ±3 s/√1000, the sd to about ±10%
    expect(Math.abs(mean(outs))).toBeLessThan((3 * s) / Math.sqrt(outs.length));
    expect(sd(outs) / s).toBeGreaterThan(0.9);
    expect(sd(outs) / s).toBeLessThan(1.1);
    expect(Math.abs(mean(ins) - 0.3 * 40)).toBeLessThan((3 * s * 1.1) / Math.sqrt(ins.length) + 0.3);
  });

  it('full batch, constant lr, 25 steps: the audit of the simulated run matches the idealised bound (μ = √T/σ)', () => {
    // q = 1: the mechanism is exactly μ-GDP with μ = √25 / σ, the same profile the ideal uses
    const sigma = 5,
      mu = Math.sqrt(25) / sigma;
    const bounds = [1, 2, 3, 4, 5].map((seed) => {
      const { member, scores } = simulate({ m: 1000, D: 2, tables: 2, q: 1, sigma, scaling: constant(25), seed });
      return auditFromScores(scores, member, 1e-5).epsilonLower;
    });
    const ideal = idealAuditBound(1000, mu, { draws: 5, seed: 9 });
    const med = [...bounds].sort((a, b) => a - b)[2];
    // two medians of 5 draws each, one draw's sd ~0.15 here: within 0.3
    expect(Math.abs(med - ideal.epsilonLower), `${bounds} vs ${ideal.epsilonLower}`).toBeLessThan(0.3);
    expect(Math.max(...bounds)).toBeLessThanOrEqual(gaussianEpsilon(mu, 1e-5));
  });

  it('honest Poisson-sampled runs with a decaying lr, 8 seeds: never above the accountant ε', () => {
    const q = 0.2,
      sigma = 1.1,
      steps = 30;
    const eps = computeEpsilon({ q, sigma, steps, delta: 1e-5 }).epsilon;
    for (let seed = 1; seed <= 8; seed++) {
      const { member, scores } = simulate({ m: 500, D: 2, tables: 1, q, sigma, scaling: decaying(steps), seed });
      expect(auditFromScores(scores, member, 1e-5).epsilonLower, `seed ${seed}`).toBeLessThanOrEqual(eps);
    }
  });

  it('both flaws are caught: noise only on touched rows, and pending noise under-counted (a gap as one step)', () => {
    const touched = { m: 1000, D: 2, tables: 1, q: 0.2, sigma: 3, scaling: decaying(30), seed: 4 };
    const epsT = computeEpsilon({ q: 0.2, sigma: 3, steps: 30, delta: 1e-5 }).epsilon;
    const a = simulate({ ...touched, flaw: 'noise-touched-rows-only' });
    expect(auditFromScores(a.scores, a.member, 1e-5).epsilonLower).toBeGreaterThan(epsT);
    // rows read rarely or never keep one step's noise: "out" canaries barely move
    const read = { m: 1000, D: 2, tables: 1, q: 0.2, sigma: 3, scaling: decaying(30), seed: 5 };
    const epsR = epsT;
    const b = simulate({ ...read, flaw: 'pending-one-step' });
    expect(auditFromScores(b.scores, b.member, 1e-5).epsilonLower).toBeGreaterThan(epsR);
    // the same runs without the flaw stay below ε
    for (const [p, e] of [
      [touched, epsT],
      [read, epsR],
    ] as const) {
      const h = simulate(p);
      expect(auditFromScores(h.scores, h.member, 1e-5).epsilonLower).toBeLessThanOrEqual(e);
    }
  });

  it('refuses mismatched layouts and a zero direction', () => {
    const s = constant(3);
    expect(() =>
      gradientCanaryScores([new Float64Array(4)], [new Float64Array(4)], [new Float64Array(4)], 2, 2, s),
    ).toThrow(/direction of canary 0 is zero/);
    expect(() =>
      gradientCanaryScores([new Float64Array(4)], [new Float64Array(3)], [new Float64Array(4)], 2, 2, s),
    ).toThrow(/m·D = 4/);
    expect(() =>
      gradientCanaryScores([new Float64Array(4)], [new Float64Array(4)], [new Float64Array(4)], 2, 2, {
        ...s,
        batch: 0,
      }),
    ).toThrow(/batch/);
  });
});
