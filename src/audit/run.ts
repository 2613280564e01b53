// One-run privacy audit (Steinke, Nasr, Jagielski, NeurIPS 2023) of the lab's own training code:
// m white-box canaries, each in the training set with probability 1/2, one training run, a score
// per canary, and the ε lower bound of src/privacy/audit.ts beside the accountant's ε.
//
// Canaries. Canary j owns row R_t + j of every table t (the audit's config appends m rows to each
// table; no real example refers to them, so they count in the memory plan like any row). An "in"
// canary is one extra training example whose bag in each table is that single row (the other
// slots empty), with zero dense features and label 1; an "out" canary is in no example at all.
// Membership comes from the audit seed (recorded in the result), independently with
// probability 1/2. The real data are exactly `train`'s; `train` itself never sees any of this.
//
// Score: the squared distance its rows moved, sum_t ||E_t[R_t + j] (final) - E_t[R_t + j] (initial)||².
// Only noise and the canary's own clipped gradient ever reach these rows, so with DP-SGD's noise on
// every row an "out" canary's rows move by pure Gaussian noise and an "in" canary's by the same
// noise plus at most lr·C/B per time it was sampled: an honest run cannot tell them apart much.
// The paper's gradient-space canaries score the projection on a known gradient direction; ours
// has no fixed direction (it depends on the model), and the distance needs none. Under either
// deliberate flaw an "out" canary's rows are never touched, never noised and never move (score 0)
// while a sampled "in" canary's rows did: the audit then guesses almost perfectly.
import { type Config, ConfigError, isPrivate, lrAt } from '../config/config';
import { Trainer } from '../engine/index';
import { INVALID_ROW } from '../kernels/gather';
import { makeSynthetic, type Dataset, type LabData } from '../data/synthetic';
import { Rng } from '../data/rng';
import { auditFromScores, type AuditBound } from '../privacy/audit';
import { AUDITED, FLAW_BUG_OF, FLAW_TEXT, type AuditFlaw } from './flaws';
import { algorithmOf, ALGORITHMS, type Algorithm, type AlgoName } from '../algorithms';
import { CANARY_KINDS, checkCanaryRows, gradientCanarySpec, SCORE_TEXT, type CanaryKind } from './canary';
import { gradientCanaryScores } from './gradient-score';
import { auditedConfig } from './power';

export { auditedConfig };

export { CANARY_KINDS, SCORE_TEXT, type CanaryKind };

export const DEFAULT_CANARIES = 1000;

/** Canary j is "in" when member[j]; independent fair coins from the audit seed. */
export function canaryMembership(seed: number, m: number): boolean[] {
  const rng = new Rng(seed ^ 0x5ca1ab1e);
  return Array.from({ length: m }, () => rng.next() < 0.5);
}

/** The audit run's config: m canary rows appended to every table, the "in" canaries added to the data. */
export function auditConfig(c: Config, m: number, inCount: number): Config {
  return { ...c, tables: c.tables.map((R) => R + m), datasetSize: c.datasetSize + inCount };
}

/**
 * The training set plus one example per "in" canary (appended, in canary order), for the audit's
 * tables; held-out data unchanged. `canaryOf[i]` is the canary of appended example i.
 */
export function withCanaries(data: LabData, member: readonly boolean[]): { data: LabData; canaryOf: number[] } {
  const m = member.length;
  const tr = data.train;
  const canaryOf = member.flatMap((b, j) => (b ? [j] : []));
  const n = tr.n + canaryOf.length;
  const dense = new Float32Array(n * tr.F);
  dense.set(tr.dense);
  const labels = new Float32Array(n);
  labels.set(tr.labels);
  const idx = tr.idx.map((a, t) => {
    const out = new Uint32Array(n * tr.L).fill(INVALID_ROW);
    out.set(a);
    canaryOf.forEach((j, i) => (out[(tr.n + i) * tr.L] = data.rows[t] + j));
    return out;
  });
  canaryOf.forEach((_, i) => (labels[tr.n + i] = 1));
  let prob: Float32Array | undefined;
  if (tr.prob) {
    prob = new Float32Array(n).fill(0.5);
    prob.set(tr.prob);
  }
  const train: Dataset = { n, F: tr.F, T: tr.T, L: tr.L, dense, idx, labels, prob };
  return { data: { ...data, train, rows: data.rows.map((R) => R + m) }, canaryOf };
}

/** sum over tables of the squared change of each canary's row; rows[t] holds the m canary rows of table t. */
export function canaryScores(before: Float32Array[], after: Float32Array[], D: number, m: number): Float64Array {
  const s = new Float64Array(m);
  before.forEach((b, t) => {
    const a = after[t];
    for (let j = 0; j < m; j++)
      for (let c = 0; c < D; c++) {
        const d = a[j * D + c] - b[j * D + c];
        s[j] += d * d;
      }
  });
  return s;
}

export interface ScoreSummary {
  count: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  /** canaries whose rows did not move at all */
  zeros: number;
}

export function summarize(xs: ArrayLike<number>): ScoreSummary {
  const s = Array.from(xs).sort((a, b) => a - b);
  const n = s.length;
  return {
    count: n,
    mean: n ? s.reduce((a, b) => a + b, 0) / n : NaN,
    median: n ? (n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN,
    min: n ? s[0] : NaN,
    max: n ? s[n - 1] : NaN,
    zeros: s.filter((x) => x === 0).length,
  };
}

export interface AuditOptions {
  canaries?: number;
  /** gradient (default): white-box gradient canaries (src/audit/canary.ts); input: canary examples */
  canaryKind?: CanaryKind;
  flaw?: AuditFlaw;
  /** membership seed (u32); absent: the low 32 bits of a fixed config seed, else random; always recorded */
  auditSeed?: number;
  confidence?: number;
  /** real data for the base config (default: its synthetic data set) */
  data?: LabData;
  /** audit the power run of this config (src/audit/power.ts) instead of the config itself */
  power?: boolean;
  onProgress?: (step: number, steps: number) => void;
  signal?: AbortSignal;
}

export interface AuditResult extends AuditBound {
  command: 'audit';
  algo: Config['algo'];
  flaw: AuditFlaw;
  canaryKind: CanaryKind;
  /** what the scores are, in words */
  scoreText: string;
  /** true when a deliberate flaw made this run broken on purpose */
  broken: boolean;
  flawText: string;
  /** the accountant's ε for the audit run (its q includes the "in" canaries) */
  epsilon: number;
  sigma: number;
  steps: number;
  auditSeed: number;
  inCanaries: number;
  scores: { in: ScoreSummary; out: ScoreSummary };
  /** every canary's score and membership, in canary order (histograms) */
  canaryScores: number[];
  member: boolean[];
  /** the config the audit trained: the given one (or its power run) plus the canary rows and examples */
  auditConfig: Config;
  /** true when this audited the power run (src/audit/power.ts), not the config as given */
  power: boolean;
  /** wall-clock seconds of the training run and scoring */
  seconds: number;
}

/** Throws a specific error when the audit cannot run this config with this flaw. */
/** Whether gradient canaries measure this algorithm: it updates (and noises) rows no example touches. */
export function gradientCanariesApply(a: Algorithm): boolean {
  return a.tableNoise === 'eager' || a.tableNoise === 'lazy' || a.tableNoise === 'lazy-exact';
}

/**
 * What the power audit (and bench's audit line) measures: every private algorithm that gradient
 * canaries apply to, exact modes aside (they equal their eager twin bit for bit): DP-SGD and LazyDP.
 */
export const POWER_AUDITED: readonly AlgoName[] = ALGORITHMS.filter(
  (a) => a.private && a.audit.runs && !a.exactOf && gradientCanariesApply(a),
).map((a) => a.name);

export function checkAudit(c: Config, flaw: AuditFlaw, m: number, kind: CanaryKind = 'gradient'): void {
  if (!isPrivate(c) || !algorithmOf(c).audit.runs)
    throw new ConfigError(
      'algo',
      `the audit measures a private algorithm: use ${AUDITED.map((a) => a.name).join(', ')} (got ${c.algo})`,
    );
  if (!(Number.isInteger(m) && m >= 2 && m <= 1_000_000))
    throw new ConfigError('canaries', `canaries must be an integer in [2, 1000000] (got ${m})`);
  if (!CANARY_KINDS.includes(kind))
    throw new ConfigError('canaryKind', `unknown canary kind ${String(kind)} (one of ${CANARY_KINDS.join(', ')})`);
  // the gradient score is the sum of the canary's noisy contributions only under plain SGD
  if (kind === 'gradient' && (c.tableOptimizer !== 'sgd' || c.weightDecay > 0))
    throw new ConfigError(
      'tableOptimizer',
      'gradient canaries score plain SGD on the tables: use tableOptimizer=sgd and weightDecay=0, or --canary-kind input',
    );
  // gradient canaries live on rows no example touches: an algorithm that updates only the rows it
  // selects (DP-FEST, DP-AdaFEST) would drop them unselected, so their score would measure nothing
  if (kind === 'gradient' && !gradientCanariesApply(algorithmOf(c)))
    throw new ConfigError(
      'canaryKind',
      `${c.algo} updates only the rows it selects, and a gradient canary's rows are never selected: use --canary-kind input (its canaries are examples, selected like any)`,
    );
  if (flaw === 'none') return;
  // a flaw is a bug of the algorithms that declare it (src/algorithms/: audit.flaws)
  if (!algorithmOf(c).audit.flaws.includes(flaw)) {
    const owners = AUDITED.filter((a) => a.audit.flaws.includes(flaw));
    throw new ConfigError(
      'flaw',
      `${flaw} is a bug of ${FLAW_BUG_OF[flaw]}: use --algo ${owners.map((a) => a.name).join(' or ')} (got ${c.algo})`,
    );
  }
  if (flaw === 'noise-touched-rows-only') {
    if (c.noiseKernel !== 'fused')
      throw new ConfigError('flaw', `${flaw} replaces the fused noise kernel: use noiseKernel=fused`);
    if (c.tableOptimizer !== 'sgd' || c.weightDecay > 0)
      throw new ConfigError(
        'flaw',
        `${flaw} replaces the sparse SGD table update: use tableOptimizer=sgd and weightDecay=0`,
      );
  }
}

/** Trains the config once with canaries (and the chosen flaw) and bounds its ε from below. */
export async function runAudit(device: GPUDevice, given: Config, opts: AuditOptions = {}): Promise<AuditResult> {
  const started = performance.now();
  const config = auditedConfig(given, !!opts.power);
  const m = opts.canaries ?? DEFAULT_CANARIES;
  const flaw = opts.flaw ?? 'none';
  const kind = opts.canaryKind ?? 'gradient';
  checkAudit(config, flaw, m, kind);
  // a fixed training seed makes the whole audit reproducible; otherwise a fresh one (recorded)
  const auditSeed =
    opts.auditSeed ??
    (config.seed !== 'random'
      ? Number(BigInt(config.seed) % 2n ** 32n)
      : crypto.getRandomValues(new Uint32Array(1))[0]);
  const member = canaryMembership(auditSeed, m);
  if (opts.power && opts.data && opts.data.train.n !== config.datasetSize)
    throw new ConfigError(
      'datasetSize',
      `the power audit trains ${config.datasetSize} examples; the data given has ${opts.data.train.n}: audit without --power, or give that many`,
    );
  const base = opts.data ?? makeSynthetic(config);
  const gradient = kind === 'gradient';
  // gradient canaries are no examples: the data and its size (so q) are the real ones
  const { data } = gradient ? { data: { ...base, rows: base.rows.map((R) => R + m) } } : withCanaries(base, member);
  if (gradient) checkCanaryRows(base, config.tables);
  const c = auditConfig(config, m, data.train.n - base.train.n);
  const canaries = gradient ? gradientCanarySpec(config, auditSeed, member) : undefined;
  const t = await Trainer.create(device, c, { data, auditFlaw: flaw, canaries });
  try {
    const D = c.dim;
    const readCanaries = () => Promise.all(config.tables.map((R, k) => t.readRows(k, R, m)));
    const before = await readCanaries(); // at step 0: nothing pending, the initial rows
    await t.run(c.steps, {
      logEvery: Math.max(1, Math.round(c.steps / 20)),
      onLog: (p) => opts.onProgress?.(p.step, c.steps),
      signal: opts.signal,
    });
    if (t.stepsDone < c.steps) throw new Error(`audit stopped at step ${t.stepsDone} of ${c.steps}`);
    const after = await readCanaries(); // after the run's final flush (unless the flaw skips it)
    const scores = canaries
      ? gradientCanaryScores(before, after, tableDirections(canaries.directions, config.tables.length, m * D), D, m, {
          steps: c.steps,
          lrAt: (s) => lrAt(c, s),
          batch: c.batch,
          clip: c.clip,
        })
      : canaryScores(before, after, D, m);
    const bound = auditFromScores(scores, member, c.delta, opts.confidence ?? 0.95);
    const ins = Array.from(scores).filter((_, j) => member[j]);
    const outs = Array.from(scores).filter((_, j) => !member[j]);
    return {
      command: 'audit',
      algo: c.algo,
      flaw,
      canaryKind: kind,
      scoreText: SCORE_TEXT[kind],
      broken: flaw !== 'none',
      flawText: FLAW_TEXT[flaw],
      ...bound,
      epsilon: t.summary().epsilon ?? Infinity,
      sigma: t.sigma,
      steps: t.stepsDone,
      auditSeed,
      inCanaries: ins.length,
      scores: { in: summarize(ins), out: summarize(outs) },
      canaryScores: Array.from(scores),
      member,
      auditConfig: c,
      power: !!opts.power,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    t.destroy();
  }
}

/** The directions of each table (m·D values each), as gradientCanaryScores takes them. */
function tableDirections(all: Float32Array, T: number, per: number): Float32Array[] {
  return Array.from({ length: T }, (_, t) => all.subarray(t * per, (t + 1) * per));
}
