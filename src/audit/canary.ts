// White-box gradient canaries for the one-run audit (src/audit/run.ts): the canaries' directions,
// their sampling, and the check that no real example touches their rows. The engine applies them
// (src/engine/graph/canary.ts); the scores are src/audit/gradient-score.ts's.
//
// Canary j owns row R_t + j of every table t (the audit appends m rows to each table, beyond
// every row the data can name: checkCanaryRows refuses data that names one). Its gradient is C·u_j,
// u_j a fixed unit vector over its rows of all tables (Gaussian, normalised, seeded from the audit
// seed). It is in the training set w.p. 1/2 (canaryMembership); an "in" canary is then sampled at
// each step w.p. q = batch / datasetSize, as Poisson sampling samples every example, by its own
// draws: at step s, xoshiro128** (src/data/rng.ts) seeded with auditSeed + s·0x9e3779b9 (mod 2^32,
// then ^ SAMPLE_SALT) gives one uniform per canary in canary order, in or out, and canary j is
// sampled when it is in and its uniform is below q. These draws are independent of the trainer's
// Philox batch sampling (which never sees the canaries) and reproducible from the audit seed.
import { type Config, ConfigError } from '../config/config';
import type { LabData } from '../data/synthetic';
import { Rng } from '../data/rng';
import { INVALID_ROW } from '../data/format';
import type { CanarySpec } from '../engine/index';

export { CANARY_KINDS, SCORE_TEXT, type CanaryKind } from './kinds';

const DIRECTION_SALT = 0xd1ec7105;
const SAMPLE_SALT = 0x5a3b1e57;

/** u_j for m canaries over T tables of D columns: canary j of table t at (t·m + j)·D, unit norm over its T·D values. */
export function canaryDirections(seed: number, m: number, T: number, D: number): Float32Array<ArrayBuffer> {
  const rng = new Rng((seed ^ DIRECTION_SALT) >>> 0);
  const out = new Float32Array(T * m * D);
  const v = new Float64Array(T * D);
  for (let j = 0; j < m; j++) {
    let n2 = 0;
    for (let i = 0; i < T * D; i++) n2 += (v[i] = rng.normal()) ** 2;
    const inv = 1 / Math.sqrt(n2);
    for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) out[(t * m + j) * D + d] = v[t * D + d] * inv;
  }
  return out;
}

/** The "in" canaries sampled at step s (1-based), at rate q, by the audit seed's own draws. */
export function sampledCanaries(seed: number, member: readonly boolean[], q: number, s: number): Uint32Array {
  const rng = new Rng(((seed + Math.imul(s, 0x9e3779b9)) ^ SAMPLE_SALT) >>> 0);
  const out: number[] = [];
  member.forEach((inSet, j) => {
    if (rng.next() < q && inSet) out.push(j);
  });
  return Uint32Array.from(out);
}

/** Throws when a real example names a row at or beyond its table's data rows (a canary's row). */
export function checkCanaryRows(data: LabData, rows: readonly number[]): void {
  data.train.idx.forEach((a, t) => {
    for (let i = 0; i < a.length; i++)
      if (a[i] !== INVALID_ROW && a[i] >= rows[t])
        throw new ConfigError(
          'tables',
          `example ${Math.floor(i / data.train.L)} names row ${a[i]} of table ${t}, which has ${rows[t]} rows: ` +
            'the audit places its canaries beyond every data row; fix the data or the table sizes',
        );
  });
}

/** The gradient audit's engine input for config c (before the canary rows) and its membership. */
export function gradientCanarySpec(c: Config, seed: number, member: readonly boolean[]): CanarySpec {
  const m = member.length;
  const q = Math.min(1, c.batch / c.datasetSize);
  return {
    m,
    first: c.tables,
    directions: canaryDirections(seed, m, c.tables.length, c.dim),
    sampledAt: (s) => sampledCanaries(seed, member, q, s),
  };
}
