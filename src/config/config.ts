// One configuration object for the UI, the URL, the CLI and JSON files. The schema below is
// the single source of truth: defaults, ranges and help text all come from it.
import { ALGORITHMS, ALGO_NAMES, BASELINE, algorithmOf, type AlgoName } from '../algorithms';
import { ConfigError } from './errors';

export { ConfigError } from './errors';
/** The registered algorithms' names (src/algorithms/), in the lab's order. */
export const ALGOS = ALGO_NAMES;
export type Algo = AlgoName;
export const CLIPPINGS = ['flat', 'per-layer'] as const;
export type Clipping = (typeof CLIPPINGS)[number];
export const SAMPLINGS = ['poisson', 'shuffle'] as const;
export type Sampling = (typeof SAMPLINGS)[number];
// Feature interaction (DESIGN §2): 'concat' feeds [v_0, v_1, ..., v_T] to the top MLP; 'dot'
// feeds [v_0, <v_a, v_c> for a < c] in DLRM's pair order (shaders/interaction.wgsl).
export const INTERACTIONS = ['concat', 'dot'] as const;
export type Interaction = (typeof INTERACTIONS)[number];
export const NOISE_KERNELS = ['fused', 'unfused'] as const;
export type NoiseKernel = (typeof NOISE_KERNELS)[number];
export const LR_SCHEDULES = ['constant', 'cosine', 'step'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];
export const TABLE_OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export type TableOptimizer = (typeof TABLE_OPTIMIZERS)[number];
// The privacy accountant behind epsilon and sigma calibration: 'prv' (Gopi et al. 2021, Opacus'
// default; tighter) or 'rdp' (Renyi DP at Opacus' orders). src/privacy/prv.ts, src/privacy/rdp.ts.
export const ACCOUNTANTS = ['prv', 'rdp'] as const;
// DP-FEST's selection (docs/algorithms-fest.md): 'private' (a Gaussian histogram of row use over
// the training data, part of ε) or 'public' (the synthetic generator's popularity ranks, declared
// public: ε then covers the training only).
export const FEST_PRIORS = ['private', 'public'] as const;
export type FestPrior = (typeof FEST_PRIORS)[number];
export type Accountant = (typeof ACCOUNTANTS)[number];
/** Smallest delta the PRV accountant takes (float64 rounding over its mesh; src/privacy/prv.ts). */
export const PRV_MIN_DELTA = 1e-9;

export interface Config {
  /** rows per embedding table */
  tables: number[];
  dim: number;
  /** indices per bag (per example and table) */
  pooling: number;
  /** expected batch size (Poisson) or exact batch size (shuffle) */
  batch: number;
  /** number of dense features */
  dense: number;
  /** hidden sizes of the bottom MLP; a last layer maps to `dim` */
  bottom: number[];
  /** hidden sizes of the top MLP; a last layer maps to one logit */
  top: number[];
  interaction: Interaction;
  lr: number;
  lrSchedule: LrSchedule;
  steps: number;
  /** noise and sampling seed: 'random' (crypto) or a fixed unsigned 64-bit integer as decimal */
  seed: string;
  /** seed of the synthetic data set and of the initial weights */
  dataSeed: number;
  zipf: number;
  algo: Algo;
  sigma: number;
  clip: number;
  clipping: Clipping;
  delta: number;
  accountant: Accountant;
  /** when > 0, sigma is calibrated to reach this epsilon after `steps` */
  targetEpsilon: number;
  sampling: Sampling;
  datasetSize: number;
  /** held-out examples for AUC */
  evalSize: number;
  evalEvery: number;
  noiseKernel: NoiseKernel;
  tableOptimizer: TableOptimizer;
  weightDecay: number;
  /** optimizer of the MLP parameters (dense anyway: allowed with every algorithm) */
  mlpOptimizer: TableOptimizer;
  /** GPU memory the run may allocate, in GiB (WebGPU does not report the device's total) */
  memoryLimit: number;
  /** dp-fest: rows kept per table (a count; tables smaller than it keep every row) */
  festK: number;
  /** dp-fest: how the rows are chosen: a private histogram (costs ε) or a declared public prior */
  festPrior: FestPrior;
  /** dp-fest: noise multiplier of the private histogram */
  festHistogramSigma: number;
  /** dp-fest: L2 bound of one example's contribution to the histogram */
  festBound: number;
  /** dp-adafest: noise multiplier of the contribution map (sigma1) */
  selectionSigma: number;
  /** dp-adafest: L2 clip norm of one example's contribution map (C1) */
  selectionClip: number;
  /** dp-adafest: a row is updated when its noisy count exceeds this (tau) */
  threshold: number;
  /**
   * most examples the GPU processes at once (0: the whole batch); `batch` stays the logical batch
   * whose clipped gradients are summed and noised once per step (src/engine/micro.ts)
   */
  microBatch: number;
}

/** The algorithms whose tables may take a dense optimizer or weight decay, for the help text. */
const DENSE_TABLE_ALGOS = ALGORITHMS.filter((a) => a.denseTables)
  .map((a) => a.name)
  .join(' and ');

type Kind = 'int' | 'num' | 'intlist' | 'enum' | 'seed';
export interface KeySpec {
  kind: Kind;
  min?: number;
  max?: number;
  values?: readonly string[];
  maxLen?: number;
  help: string;
}

export const SCHEMA: { [K in keyof Config]: KeySpec } = {
  tables: { kind: 'intlist', min: 1, max: 2 ** 31, maxLen: 64, help: 'rows per embedding table' },
  dim: { kind: 'int', min: 1, max: 1024, help: 'embedding dimension D' },
  pooling: { kind: 'int', min: 1, max: 256, help: 'indices per bag (sum pooling)' },
  batch: { kind: 'int', min: 1, max: 65536, help: 'batch size (expected size under Poisson sampling)' },
  dense: { kind: 'int', min: 1, max: 1024, help: 'dense features per example' },
  bottom: { kind: 'intlist', min: 1, max: 4096, maxLen: 8, help: 'bottom MLP hidden sizes' },
  top: { kind: 'intlist', min: 1, max: 4096, maxLen: 8, help: 'top MLP hidden sizes' },
  interaction: {
    kind: 'enum',
    values: INTERACTIONS,
    help: 'feature interaction: concat (bottom output and pooled vectors side by side) or dot (bottom output and pairwise dot products, as DLRM)',
  },
  lr: { kind: 'num', min: 0, max: 1e4, help: 'learning rate' },
  lrSchedule: { kind: 'enum', values: LR_SCHEDULES, help: 'learning-rate schedule' },
  steps: { kind: 'int', min: 1, max: 10_000_000, help: 'training steps' },
  seed: { kind: 'seed', help: "noise and sampling seed: 'random' or a fixed u64 (reproducible, not private)" },
  dataSeed: { kind: 'int', min: 0, max: 2 ** 32 - 1, help: 'seed of the synthetic data and initial weights' },
  zipf: { kind: 'num', min: 0, max: 4, help: 'Zipf exponent of row popularity (0 = uniform)' },
  algo: { kind: 'enum', values: ALGOS, help: 'training algorithm' },
  sigma: { kind: 'num', min: 0, max: 1e6, help: 'noise multiplier' },
  clip: { kind: 'num', min: 1e-9, max: 1e9, help: 'clipping norm C' },
  clipping: { kind: 'enum', values: CLIPPINGS, help: 'flat (one norm) or per-layer (FlashDP) clipping' },
  delta: { kind: 'num', min: 1e-300, max: 0.999999, help: 'target delta' },
  accountant: {
    kind: 'enum',
    values: ACCOUNTANTS,
    help:
      'privacy accountant for epsilon and sigma calibration: prv (numerical composition, Opacus default, tighter; ' +
      'reports the upper bound at eps error 0.01, delta >= 1e-9) or rdp (Renyi DP)',
  },
  targetEpsilon: { kind: 'num', min: 0, max: 1e6, help: 'when > 0, calibrate sigma to this epsilon' },
  sampling: { kind: 'enum', values: SAMPLINGS, help: 'poisson (what the accountant assumes) or shuffle' },
  datasetSize: { kind: 'int', min: 1, max: 100_000_000, help: 'training examples' },
  evalSize: { kind: 'int', min: 0, max: 10_000_000, help: 'held-out examples' },
  evalEvery: { kind: 'int', min: 0, max: 10_000_000, help: 'steps between held-out evaluations (0 = end only)' },
  noiseKernel: { kind: 'enum', values: NOISE_KERNELS, help: 'fused (sample and write in one pass) or unfused' },
  tableOptimizer: {
    kind: 'enum',
    values: TABLE_OPTIMIZERS,
    help: `optimizer of the embedding tables: sgd (sparse, touched rows only), momentum (0.9) or adam (0.9, 0.999): dense, every row every step; ${DENSE_TABLE_ALGOS} only`,
  },
  weightDecay: {
    kind: 'num',
    min: 0,
    max: 1,
    help: `L2 weight decay on the embedding tables (dense: every row every step); ${DENSE_TABLE_ALGOS} only`,
  },
  mlpOptimizer: {
    kind: 'enum',
    values: TABLE_OPTIMIZERS,
    help: 'optimizer of the MLP parameters: sgd, momentum (0.9) or adam (0.9, 0.999); any algorithm (the MLPs are dense)',
  },
  memoryLimit: {
    kind: 'num',
    min: 1 / 64,
    max: 4096,
    help: 'GPU memory the run may allocate, in GiB: WebGPU does not report how much the device has, so raise it on a big GPU',
  },
  festK: { kind: 'int', min: 1, max: 2 ** 31, help: 'dp-fest: rows kept (trained and noised) per table' },
  festPrior: {
    kind: 'enum',
    values: FEST_PRIORS,
    help: "dp-fest: how rows are chosen: private (noisy histogram of row use, part of ε) or public (the synthetic data's popularity ranks; ε covers training only)",
  },
  festHistogramSigma: { kind: 'num', min: 0, max: 1e6, help: 'dp-fest: noise multiplier of the private histogram' },
  festBound: { kind: 'num', min: 1e-9, max: 1e9, help: "dp-fest: L2 bound of one example's histogram contribution" },
  selectionSigma: { kind: 'num', min: 1e-9, max: 1e6, help: 'dp-adafest: noise multiplier sigma1 of the row counts' },
  selectionClip: { kind: 'num', min: 1e-9, max: 1e9, help: "dp-adafest: L2 clip norm C1 of one example's row counts" },
  threshold: {
    kind: 'num',
    min: -1e9,
    max: 1e9,
    help: 'dp-adafest: threshold tau; a row is updated when its noisy count exceeds it',
  },
  microBatch: {
    kind: 'int',
    min: 0,
    max: 65536,
    help:
      'most examples the GPU processes at once (0 = the whole batch, or the largest that fits memoryLimit): ' +
      'the logical batch is split into micro-batches whose clipped gradients add up before one noisy update',
  },
};

export const CONFIG_KEYS = Object.keys(SCHEMA) as (keyof Config)[];

/** Trains in seconds on SwiftShader and shows a clearly-above-chance AUC. */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  tables: [4096, 4096, 1024, 256],
  dim: 16,
  pooling: 4,
  batch: 256,
  dense: 13,
  bottom: [32],
  top: [32],
  interaction: 'concat',
  lr: 0.5,
  lrSchedule: 'constant',
  steps: 300,
  seed: 'random',
  dataSeed: 42,
  zipf: 1.05,
  algo: BASELINE,
  sigma: 1.0,
  // 5, not 1: at C 1 clipping alone (sigma 0) leaves the default task at held-out loss 0.72 (sgd
  // 0.45); the noise (std sigma C) grows with C, so epsilon is unchanged (README "Privacy vs utility")
  clip: 5,
  clipping: 'flat',
  delta: 1e-5,
  accountant: 'prv',
  targetEpsilon: 0,
  sampling: 'poisson',
  datasetSize: 32768,
  evalSize: 4096,
  evalEvery: 100,
  noiseKernel: 'fused',
  tableOptimizer: 'sgd',
  weightDecay: 0,
  mlpOptimizer: 'sgd',
  memoryLimit: 4,
  // dp-fest: a quarter of the default task's big tables; bound 4 = sqrt(pooling x tables), no
  // example clipped; the histogram at sigma 5 is one release over the data set, a small share of ε
  festK: 1024,
  festPrior: 'private',
  festHistogramSigma: 5,
  festBound: 4,
  // dp-adafest: C1 = 4 clips no default example (16 rows); an untouched row crosses with
  // probability Q(16 / 4) = 3.2e-5 (about 317 rows per step at 1e7 rows; Q(8 / 4) = 2.3 % gave
  // 227,501, docs/performance.md), a touched one needs ~16 examples in the batch
  selectionSigma: 1,
  selectionClip: 4,
  threshold: 16,
  microBatch: 0,
}) as Config;

/**
 * The learning rate a run starts from when none is given (CLI without --lr; the lab's panel while
 * lr is still the previous optimizer's default): momentum (0.9) takes steps about ten times
 * larger than plain SGD, and Adam normalises every coordinate, so both need a smaller one (Adam
 * at SGD's 0.5 kills the model: held-out AUC 0.5 on the default task). Measured on the default
 * task, 150 steps: sgd 0.5, momentum 0.1, adam 0.01 all reach AUC about 0.81 to 0.85.
 */
export const OPTIMIZER_LR: Readonly<Record<TableOptimizer, number>> = Object.freeze({
  sgd: 0.5,
  momentum: 0.1,
  adam: 0.01,
});

/** The default learning rate for these optimizers: the smallest of the two (Adam's beats momentum's). */
export function defaultLr(c: Pick<Config, 'tableOptimizer' | 'mlpOptimizer'>): number {
  return Math.min(OPTIMIZER_LR[c.tableOptimizer], OPTIMIZER_LR[c.mlpOptimizer]);
}

const U64_MAX = (1n << 64n) - 1n;

/** Plain decimal text (optional sign, fraction, exponent): no hexadecimal, binary, octal, Infinity. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A number from text as people write it in decimal; NaN for anything else. Number() alone would
 * read '0x10' as 16, '0b11' as 3 and '0o7' as 7, which nobody typing a batch size means.
 */
export function parseDecimal(s: string): number {
  const t = s.trim();
  return DECIMAL.test(t) ? Number(t) : NaN;
}

/** Parses one value (from JSON or a string such as a CLI flag) for `key`; throws ConfigError. */
export function parseValue<K extends keyof Config>(key: K, raw: unknown): Config[K] {
  const spec = SCHEMA[key];
  if (!spec) throw new ConfigError(String(key), 'unknown configuration key');
  const num = (v: unknown): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parseDecimal(v) : NaN;
    if (!Number.isFinite(n))
      throw new ConfigError(
        key,
        `expected a number, got ${show(v)}${typeof v === 'string' && /^\s*[+-]?0[xbo]/i.test(v) ? ' (decimal only: hexadecimal, binary and octal are refused)' : ''}`,
      );
    return n;
  };
  const range = (n: number): number => {
    if (spec.kind !== 'num' && !Number.isInteger(n)) throw new ConfigError(key, `expected an integer, got ${n}`);
    if (spec.min !== undefined && n < spec.min) throw new ConfigError(key, `must be >= ${spec.min}, got ${n}`);
    if (spec.max !== undefined && n > spec.max) throw new ConfigError(key, `must be <= ${spec.max}, got ${n}`);
    return n;
  };
  switch (spec.kind) {
    case 'int':
    case 'num':
      return range(num(raw)) as Config[K];
    case 'intlist': {
      const items = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw.split(',').filter((s) => s.trim() !== '')
          : typeof raw === 'number'
            ? [raw]
            : null;
      if (!items) throw new ConfigError(key, `expected a list of integers, got ${show(raw)}`);
      if (key === 'tables' && items.length === 0) throw new ConfigError(key, 'needs at least one table');
      if (spec.maxLen !== undefined && items.length > spec.maxLen)
        throw new ConfigError(key, `at most ${spec.maxLen} entries, got ${items.length}`);
      return items.map((v) => range(num(v))) as Config[K];
    }
    case 'enum': {
      if (typeof raw !== 'string' || !spec.values!.includes(raw))
        throw new ConfigError(key, `expected one of ${spec.values!.join(', ')}, got ${show(raw)}`);
      return raw as Config[K];
    }
    case 'seed': {
      // a JSON number above 2^53 was already rounded when it was parsed: only a string keeps it exact
      if (typeof raw === 'number' && !Number.isSafeInteger(raw))
        throw new ConfigError(
          key,
          `${show(raw)} is not an exact integer (numbers above 2^53 are rounded): give the seed as a string, e.g. "18446744073709551615"`,
        );
      const s = typeof raw === 'number' ? String(raw) : raw;
      if (s === 'random') return s as Config[K];
      if (typeof s !== 'string' || !/^\d{1,20}$/.test(s) || BigInt(s) > U64_MAX)
        throw new ConfigError(key, `expected 'random' or an unsigned 64-bit integer, got ${show(raw)}`);
      return BigInt(s).toString() as Config[K];
    }
  }
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

/** Checks that the keys fit together; throws ConfigError naming the key at fault. */
export function checkConsistency(c: Config): void {
  algorithmOf(c).check(c); // the algorithm's own checks (LazyDP: sparse tables only)
  if (c.sampling === 'shuffle' && c.batch > c.datasetSize)
    throw new ConfigError('batch', `a shuffled batch (${c.batch}) cannot exceed datasetSize (${c.datasetSize})`);
  if (c.accountant === 'prv' && isPrivate(c) && c.delta < PRV_MIN_DELTA)
    throw new ConfigError(
      'delta',
      `the PRV accountant needs delta >= ${PRV_MIN_DELTA} (below it float64 rounding dominates); use accountant=rdp`,
    );
  if (c.batch > c.datasetSize)
    throw new ConfigError('batch', `batch (${c.batch}) exceeds datasetSize (${c.datasetSize})`);
  if (c.microBatch > c.batch)
    throw new ConfigError(
      'microBatch',
      `microBatch (${c.microBatch}) exceeds batch (${c.batch}): a micro-batch is a part of the logical batch; lower microBatch or set it to 0 (the whole batch)`,
    );
}

/**
 * Builds a full config from a partial one (JSON file, URL, CLI flags): unknown keys and bad
 * values throw a ConfigError naming the key. Missing keys take their defaults.
 */
export function makeConfig(partial: Record<string, unknown> = {}, base: Config = DEFAULT_CONFIG): Config {
  const out: Config = structuredClone(base) as Config;
  for (const [k, v] of Object.entries(partial)) {
    if (!Object.hasOwn(SCHEMA, k))
      throw new ConfigError(k, `unknown configuration key (known: ${CONFIG_KEYS.join(', ')})`);
    (out as unknown as Record<string, unknown>)[k] = parseValue(k as keyof Config, v);
  }
  checkConsistency(out);
  return out;
}

/** Like makeConfig, but collects every error and keeps the base value for each bad key. */
export function makeConfigLenient(
  partial: Record<string, unknown>,
  base: Config = DEFAULT_CONFIG,
): { config: Config; errors: ConfigError[] } {
  const out: Config = structuredClone(base) as Config;
  const errors: ConfigError[] = [];
  for (const [k, v] of Object.entries(partial)) {
    try {
      if (!Object.hasOwn(SCHEMA, k)) throw new ConfigError(k, 'unknown configuration key');
      (out as unknown as Record<string, unknown>)[k] = parseValue(k as keyof Config, v);
    } catch (e) {
      errors.push(e instanceof ConfigError ? e : new ConfigError(k, String(e)));
    }
  }
  try {
    checkConsistency(out);
  } catch (e) {
    if (e instanceof ConfigError) errors.push(e);
    else throw e;
  }
  return { config: out, errors };
}

/** The keys a run's epsilon and sigma depend on, as one string: equal keys, equal privacy figures
 * (the lab memoises its preview and its calibration check on it). */
export function privacyKey(c: Config): string {
  return JSON.stringify([
    c.algo,
    c.sigma,
    c.targetEpsilon,
    c.batch,
    c.datasetSize,
    c.steps,
    c.delta,
    c.sampling,
    c.accountant,
    // the other releases of DP-AdaFEST and DP-FEST
    c.selectionSigma,
    c.festPrior,
    c.festHistogramSigma,
  ]);
}

/** Whether the configuration's algorithm reports ε (its registry entry says). */
export function isPrivate(c: Pick<Config, 'algo'>): boolean {
  return algorithmOf(c).private;
}

/** Learning rate of step s (1-based). */
export function lrAt(c: Config, s: number): number {
  switch (c.lrSchedule) {
    case 'constant':
      return c.lr;
    case 'cosine':
      return c.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * (s - 1)) / Math.max(1, c.steps))));
    case 'step':
      return c.lr * Math.pow(0.5, Math.floor((4 * (s - 1)) / Math.max(1, c.steps)));
  }
}
