// Scores of white-box gradient canaries (Steinke, Nasr, Jagielski 2023, their strongest audits),
// computed on the CPU from the canary coordinates before and after a run. Pure: no engine, no GPU.
//
// A gradient canary j owns coordinates no real example touches (its rows) and, whenever it is in
// the training set and Poisson-sampled, contributes the per-example gradient C·u_j, u_j a fixed unit
// vector over those coordinates (norm C: flat clipping leaves it unchanged). The engine's table
// update is plain SGD, E -= lr_s / B · (clipped sum + σ C z) with B the expected batch size
// (src/kernels/noise.ts, StepValues.invB), so over steps 1..T the canary coordinates move by
//   Δ = -Σ_s (lr_s / B) (C u_j b_s + σ C z_s),   b_s = 1 when canary j was sampled at step s.
// Projected on -u_j and divided by the unit C·l̄/B (l̄ the mean lr over the run), that is
//   score_j = Σ_s w_s (b_s + σ ⟨z_s, u_j⟩),  w_s = lr_s / l̄,
// the sum of the canary's noisy contributions: with a constant lr an included canary adds exactly
// 1 per sampled step, an "out" canary's score is N(0, σ² Σ w_s²) and an "in" canary's is shifted by
// Σ_s w_s b_s. LazyDP gives the same distribution: its pending noise for the skipped steps has
// variance σ²C²/B² Σ lr_s², as eager noise. Only the final movement is seen, so with a decaying
// lr the steps count with weight w_s (a larger lr, a louder step), which is all the weights say.
// Not valid with momentum, Adam or weight decay on the tables (the movement is then not this sum):
// the engine refuses gradient canaries there.

/** How the engine scales one step's clipped gradient sum and noise into the table update. */
export interface CanaryScaling {
  steps: number;
  /** lr of step s = 1..steps: the engine's lrAt(config, s) */
  lrAt: (s: number) => number;
  /** the expected batch size B (the engine divides by it, not by the sampled batch's size) */
  batch: number;
  /** clipping norm C: an included canary's gradient has exactly this norm */
  clip: number;
}

function checkScaling(s: CanaryScaling): void {
  if (!(Number.isInteger(s.steps) && s.steps >= 1))
    throw new RangeError(`steps must be an integer >= 1 (got ${s.steps})`);
  if (!(s.batch > 0)) throw new RangeError(`batch must be > 0 (got ${s.batch})`);
  if (!(s.clip > 0)) throw new RangeError(`clip must be > 0 (got ${s.clip})`);
}

/** w_s = lr_s / mean lr, for s = 1..steps at index s - 1: how much step s counts in a score. */
export function stepWeights(s: CanaryScaling): Float64Array {
  checkScaling(s);
  const lr = Float64Array.from({ length: s.steps }, (_, i) => s.lrAt(i + 1));
  const mean = lr.reduce((a, b) => a + b, 0) / s.steps;
  if (!(mean > 0) || lr.some((x) => !(x >= 0)))
    throw new RangeError('the learning rates must be >= 0 with a positive mean');
  return lr.map((x) => x / mean);
}

/** The score unit C·l̄/B: how far an included canary moves along its direction per sampled step at the mean lr. */
export function scoreUnit(s: CanaryScaling): number {
  checkScaling(s);
  let sum = 0;
  for (let i = 1; i <= s.steps; i++) sum += s.lrAt(i);
  return (s.clip * (sum / s.steps)) / s.batch;
}

/** Standard deviation of an "out" canary's score: σ·sqrt(Σ w_s²) (σ the noise multiplier). */
export function outScoreStd(s: CanaryScaling, sigma: number): number {
  return sigma * Math.sqrt(stepWeights(s).reduce((a, w) => a + w * w, 0));
}

/**
 * One canary's score from its coordinates before and after the run and its gradient direction
 * (any non-zero vector over the same coordinates; it is normalised here): -⟨after - before, u⟩
 * divided by scoreUnit. Higher means "more likely in".
 */
export function gradientCanaryScore(
  before: ArrayLike<number>,
  after: ArrayLike<number>,
  direction: ArrayLike<number>,
  s: CanaryScaling,
): number {
  const n = direction.length;
  if (before.length !== n || after.length !== n)
    throw new RangeError(`before (${before.length}), after (${after.length}) and direction (${n}) differ in length`);
  let dot = 0,
    norm2 = 0;
  for (let i = 0; i < n; i++) {
    dot += (after[i] - before[i]) * direction[i];
    norm2 += direction[i] * direction[i];
  }
  if (!(norm2 > 0)) throw new RangeError('the canary direction is zero');
  return -dot / Math.sqrt(norm2) / scoreUnit(s);
}

/**
 * Scores of m canaries laid out as the audit lays out its rows: per table t, before[t], after[t]
 * and directions[t] hold m rows of D values, canary j at j·D; canary j's coordinates (and its
 * direction) are its rows of every table together.
 */
export function gradientCanaryScores(
  before: readonly ArrayLike<number>[],
  after: readonly ArrayLike<number>[],
  directions: readonly ArrayLike<number>[],
  D: number,
  m: number,
  s: CanaryScaling,
): Float64Array {
  const T = before.length;
  if (after.length !== T || directions.length !== T)
    throw new RangeError(`before, after and directions need one array per table (${T})`);
  for (const a of [...before, ...after, ...directions])
    if (a.length !== m * D)
      throw new RangeError(`each table's canary rows need m·D = ${m * D} values (got ${a.length})`);
  const unit = scoreUnit(s);
  const out = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let dot = 0,
      norm2 = 0;
    for (let t = 0; t < T; t++)
      for (let c = j * D; c < (j + 1) * D; c++) {
        dot += (after[t][c] - before[t][c]) * directions[t][c];
        norm2 += directions[t][c] * directions[t][c];
      }
    if (!(norm2 > 0)) throw new RangeError(`the direction of canary ${j} is zero`);
    out[j] = -dot / Math.sqrt(norm2) / unit;
  }
  return out;
}
