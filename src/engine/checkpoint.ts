// Resuming training from an exported model (the export is the checkpoint: every pending LazyDP
// draw was applied before it was written). What may change on resume, and what may not: the
// model's shapes and the data must be the same, and so must everything the accountant assumed
// for the steps already taken (q, sigma, C, clipping, delta, sampling, the padded batch), or the
// reported epsilon would be wrong. The file is read a tensor at a time, so a table larger than
// memory resumes too.
import { ConfigError, isPrivate, makeConfig, type Config } from '../config/config';
import { maxBatchFor } from './batch';
import { algorithm } from '../algorithms';
import { denseTableState } from './plan';
import { checkLayout, headerLength, parseHeader } from './safetensors';
import { modelLayout } from './model';
import { epsilonAfter, resolveSigma } from './accounting';

export interface TensorEntry {
  name: string;
  shape: number[];
  /** byte offset of the data in the file */
  offset: number;
  bytes: number;
}

/** Reads `length` bytes at `offset` of the file. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array> | Uint8Array;

export interface Checkpoint {
  /** the configuration the file was trained with */
  config: Config;
  /** steps already taken */
  steps: number;
  sigma: number;
  seedFixed: boolean;
  /** 'synthetic' or 'criteo' */
  data: string;
  /** Poisson batches of the file's steps that were truncated (the run's count goes on from it) */
  overflowBatches: number;
  /** DP-FEST: each table's selected rows (src/engine/fest-selection.ts encodeSelection) */
  festSelection?: number[];
  tensors: Map<string, TensorEntry>;
  read: ReadAt;
}

/** Opens an exported model as a checkpoint: header and metadata now, tensor data on demand. */
export async function openCheckpoint(read: ReadAt, size: number): Promise<Checkpoint> {
  const fail = (m: string) => new Error(`checkpoint: ${m}`);
  const n = headerLength(size >= 8 ? await read(0, 8) : new Uint8Array(0), size, 'checkpoint');
  const { metadata: meta, entries } = parseHeader(await read(8, n), size, 'checkpoint');
  if (meta.format !== 'dp-webgpu-lab/1')
    throw fail(`not a model exported by this lab (format ${JSON.stringify(meta.format ?? null)})`);
  if (meta.pending_noise_flushed !== 'true')
    throw fail('pending LazyDP noise was not flushed into this file: it cannot be resumed');
  checkLayout(entries, 8 + n, size, 'checkpoint');
  let config: Config;
  try {
    config = makeConfig(JSON.parse(meta.config));
  } catch (e) {
    throw fail(`its config does not parse: ${(e as Error).message}`);
  }
  const steps = Number(meta.steps);
  if (!Number.isInteger(steps) || steps < 0) throw fail(`bad steps ${JSON.stringify(meta.steps)}`);
  const tensors = new Map<string, TensorEntry>(
    entries.map((e) => [e.name, { name: e.name, shape: e.shape, offset: e.begin, bytes: e.end - e.begin }]),
  );
  const sigma = Number(meta.sigma);
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw fail(`bad sigma ${JSON.stringify(meta.sigma)}`);
  if (steps > config.steps) throw fail(`steps ${steps} beyond its config's ${config.steps}`);
  if (meta.data !== 'synthetic' && meta.data !== 'criteo')
    throw fail(`unknown data source ${JSON.stringify(meta.data)}`);
  const overflowBatches = meta.overflow_batches === undefined ? 0 : Number(meta.overflow_batches);
  if (!Number.isInteger(overflowBatches) || overflowBatches < 0)
    throw fail(`bad overflow_batches ${JSON.stringify(meta.overflow_batches)}`);
  const contradiction = selfContradiction(meta, config, steps, sigma, overflowBatches, tensors);
  if (contradiction)
    throw fail(
      `its metadata contradicts itself: ${contradiction}; the epsilon of a resumed run rests on it, so the file is refused`,
    );
  await checkFiniteTensors(tensors, read);
  return {
    config,
    steps,
    sigma,
    seedFixed: meta.seed_fixed === 'true',
    data: meta.data,
    overflowBatches,
    festSelection: meta.fest_selection === undefined ? undefined : parseSelection(meta.fest_selection),
    tensors,
    read,
  };
}

function parseSelection(text: string): number[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0))
    throw new Error('checkpoint: its fest_selection is not a list of row numbers');
  return v as number[];
}

/** Index of the first NaN or infinite float32 in `bytes` (little-endian), or -1. */
export function firstNonFinite(bytes: Uint8Array): number {
  const b = bytes.byteOffset % 4 ? bytes.slice() : bytes; // a view needs 4-byte alignment
  const f = new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i])) return i;
  return -1;
}

/** The float32 at index `i` of `bytes` (little-endian, any alignment). */
export const valueAt = (bytes: Uint8Array, i: number): number =>
  new DataView(bytes.buffer, bytes.byteOffset + 4 * i, 4).getFloat32(0, true);

/** The refusal for a tensor holding `value` at index `at`: the weights of a diverged run or a damaged file. */
export function nonFiniteError(name: string, value: number, at: number): Error {
  return new Error(
    `checkpoint: tensor ${name} holds ${value} (value ${at}): the run that wrote it diverged or the file is damaged, so it cannot be continued; train again (with a lower learning rate if it diverged)`,
  );
}

/**
 * Every tensor's data read once, 16 MiB at a time, before anything is allocated: NaN or infinity
 * in a checkpoint would only be found steps later as a "diverged" run.
 */
async function checkFiniteTensors(tensors: Map<string, TensorEntry>, read: ReadAt): Promise<void> {
  const chunk = 16 << 20;
  for (const e of tensors.values())
    for (let o = 0; o < e.bytes; o += chunk) {
      const bytes = await read(e.offset + o, Math.min(chunk, e.bytes - o));
      const i = firstNonFinite(bytes);
      if (i >= 0) throw nonFiniteError(e.name, valueAt(bytes, i), o / 4 + i);
    }
}

/** The tensors a model of this configuration exports, by name (as Trainer.exportShapes). */
export function checkpointShapes(c: Config): Map<string, number[]> {
  const lay = modelLayout(c);
  const out = new Map<string, number[]>();
  lay.rows.forEach((R, t) => out.set(`tables.${t}`, [R, lay.D]));
  for (const l of lay.layers) {
    out.set(`${l.mlp}.${l.index}.weight`, [l.outDim, l.inDim]);
    out.set(`${l.mlp}.${l.index}.bias`, [l.outDim]);
  }
  return out;
}

/**
 * Why the file's metadata cannot be believed (or undefined): its steps, sigma, epsilon, privacy
 * keys and seed against its own configuration, and its tensors against the shapes that
 * configuration makes. Every size is checked here, against tensor data that is really in the
 * file, before a resumed run allocates anything.
 */
function selfContradiction(
  meta: Record<string, string>,
  c: Config,
  steps: number,
  sigma: number,
  overflow: number,
  tensors: Map<string, TensorEntry>,
): string | undefined {
  const want = checkpointShapes(c);
  for (const [name, shape] of want) {
    const got = tensors.get(name);
    if (!got) return `tensor ${name} of its config is missing`;
    if (JSON.stringify(got.shape) !== JSON.stringify(shape))
      return `tensor ${name} has shape [${got.shape}], its config makes [${shape}]`;
  }
  for (const name of tensors.keys())
    if (!want.has(name)) return `tensor ${JSON.stringify(name)} is not part of its config's model`;
  if (meta.algo !== c.algo) return `algo ${JSON.stringify(meta.algo)}, its config says ${c.algo}`;
  // the accountant behind epsilon: the metadata's must be its config's (a file without the key
  // predates it; its epsilon is then checked against its config's accountant below)
  if (meta.accountant !== undefined && meta.accountant !== c.accountant)
    return `accountant ${JSON.stringify(meta.accountant)}, its config says ${c.accountant}`;
  for (const k of ['clipping', 'sampling'] as const)
    if (meta[k] !== c[k]) return `${k} ${JSON.stringify(meta[k])}, its config says ${c[k]}`;
  for (const k of ['clip', 'delta'] as const)
    if (Number(meta[k]) !== c[k]) return `${k} ${JSON.stringify(meta[k])}, its config says ${c[k]}`;
  let want_sigma: number;
  try {
    want_sigma = resolveSigma(c);
  } catch (e) {
    return `its config gives no sigma (${(e as Error).message})`;
  }
  if (Math.abs(sigma - want_sigma) > 1e-9 * Math.max(1, want_sigma))
    return `sigma ${sigma}, its config gives ${want_sigma}`;
  if (overflow > steps) return `overflow_batches ${overflow} beyond its ${steps} steps`;
  const seedFixed = meta.seed_fixed === 'true';
  if (meta.seed_fixed !== 'true' && meta.seed_fixed !== 'false')
    return `seed_fixed ${JSON.stringify(meta.seed_fixed)} (true or false)`;
  if (seedFixed !== (c.seed !== 'random') || meta.seed !== (seedFixed ? c.seed : 'random'))
    return `seed ${JSON.stringify(meta.seed)} (seed_fixed ${meta.seed_fixed}), its config's seed is ${c.seed}`;
  // epsilon as the accountant gives it for these steps: a file cannot claim less than it spent
  const eps = epsilonAfter(c, sigma, steps);
  if (eps === undefined) {
    if (meta.epsilon !== 'none') return `epsilon ${JSON.stringify(meta.epsilon)} for a non-private run`;
  } else {
    const got = Number(meta.epsilon);
    const ok =
      eps === Infinity ? got === Infinity : Number.isFinite(got) && Math.abs(got - eps) <= 1e-6 * Math.max(1, eps);
    if (meta.epsilon === undefined || !ok)
      return `epsilon ${JSON.stringify(meta.epsilon ?? null)} after ${steps} steps, its config and sigma give ${eps}`;
  }
  return undefined;
}

// Keys whose change would make the file a different model or data set, or the accountant's
// view of the steps already taken wrong.
const SAME_MODEL = ['tables', 'dim', 'pooling', 'dense', 'bottom', 'top', 'interaction'] as const;
const SAME_DATA = ['dataSeed', 'zipf'] as const; // what makes the synthetic data (datasetSize: below)
// datasetSize counts for every data source: q = batch / datasetSize (a Criteo file's split
// follows evalSize, so a changed evalSize moves examples between the splits)
const SAME_PRIVACY = ['batch', 'datasetSize', 'sampling', 'clip', 'clipping', 'delta'] as const;

/**
 * The algorithm's own keys (DP-FEST's k and histogram, DP-AdaFEST's σ1, C1, τ) and what each step
 * and the time before training release must stay as the file's steps had them: the accountant
 * composes the file's steps with the new ones as one run, so a changed σ1 or histogram would be
 * counted at the new value for steps that used the old one.
 */
function sameRelease(ck: Checkpoint, next: Config): ConfigError | undefined {
  const prev = ck.config;
  const pa = algorithm(prev.algo);
  const na = algorithm(next.algo);
  for (const k of new Set([...pa.configKeys, ...na.configKeys]) as Set<keyof Config>)
    if (JSON.stringify(prev[k]) !== JSON.stringify(next[k]))
      return new ConfigError(
        k,
        `must stay ${JSON.stringify(prev[k])}: the accountant counts the ${ck.steps} steps already taken with it`,
      );
  const release = (a: typeof pa, c: Config) => JSON.stringify([a.mechanisms(ck.sigma, c), a.beforeTraining?.(c) ?? []]);
  if (release(pa, prev) !== release(na, next))
    return new ConfigError(
      'algo',
      `${next.algo} releases other mechanisms than ${prev.algo}, which took the file's ${ck.steps} steps: the accountant cannot count them as one run; resume with algo ${prev.algo}`,
    );
  return undefined;
}

/**
 * Why `next` cannot continue the checkpoint (a ConfigError naming the key), or undefined.
 * `sigma` is next's resolved noise multiplier.
 */
export function resumeProblem(
  ck: Checkpoint,
  next: Config,
  sigma: number,
  dataSource?: string,
): ConfigError | undefined {
  const prev = ck.config;
  if (dataSource !== undefined && dataSource !== ck.data)
    return new ConfigError(
      'data',
      `the file was trained on ${ck.data === 'criteo' ? 'a Criteo file' : 'the synthetic task'}; resume on the same data (${dataSource === 'criteo' ? 'not a Criteo file' : 'give the file again'})`,
    );
  const same = (k: keyof Config) => JSON.stringify(prev[k]) === JSON.stringify(next[k]);
  for (const k of SAME_MODEL)
    if (!same(k))
      return new ConfigError(k, `must stay ${JSON.stringify(prev[k])} to resume this model (its shapes depend on it)`);
  if (ck.data === 'synthetic')
    for (const k of SAME_DATA)
      if (!same(k))
        return new ConfigError(k, `must stay ${JSON.stringify(prev[k])} to resume on the same synthetic data`);
  if (isPrivate(prev) !== isPrivate(next))
    return new ConfigError(
      'algo',
      isPrivate(next)
        ? `the ${ck.steps} steps in this file were trained with sgd (not private): a private run cannot continue it`
        : `this file is private (${prev.algo}); continuing with sgd would void its guarantee: export instead`,
    );
  if (isPrivate(next)) {
    for (const k of SAME_PRIVACY)
      if (!same(k))
        return new ConfigError(
          k,
          `must stay ${JSON.stringify(prev[k])}: the accountant counts the ${ck.steps} steps already taken with it`,
        );
    const algoProblem = sameRelease(ck, next);
    if (algoProblem) return algoProblem;
    if (Math.abs(sigma - ck.sigma) > 1e-9 * ck.sigma)
      return new ConfigError(
        'sigma',
        `the file's steps used sigma ${ck.sigma}; this run would use ${sigma}${next.targetEpsilon > 0 ? ' (targetEpsilon calibrates sigma for all steps): set sigma to it and targetEpsilon to 0' : ''}`,
      );
    if (maxBatchFor(next) !== maxBatchFor(prev))
      return new ConfigError(
        'steps',
        `the padded batch (${maxBatchFor(prev)} for the file's run of ${prev.steps} steps, ${maxBatchFor(next)} for ${next.steps}) sets the accountant's delta for every step: keep steps ${prev.steps} (to checkpoint, train with the total steps and stop early: CLI --stop-at)`,
      );
    if (ck.seedFixed && next.seed === 'random')
      return new ConfigError(
        'seed',
        'the file was trained with a fixed seed (not private): resume with that seed, or train afresh with a random one',
      );
  }
  if (ck.steps >= next.steps)
    return new ConfigError('steps', `the file has already taken ${ck.steps} steps; set steps above that to continue`);
  if (denseTableState(next) >= 1)
    return new ConfigError(
      'tableOptimizer',
      `${next.tableOptimizer} keeps state the file does not hold: resume with tableOptimizer sgd, or train afresh`,
    );
  if (next.mlpOptimizer !== 'sgd')
    return new ConfigError(
      'mlpOptimizer',
      `${next.mlpOptimizer} keeps state the file does not hold: resume with mlpOptimizer sgd, or train afresh`,
    );
  return undefined;
}

/** Every tensor `config`'s model has, with its shape, in export order. */
export function modelTensorShapes(config: Config): { name: string; shape: number[] }[] {
  const lay = modelLayout(config);
  return [
    ...lay.rows.map((R, t) => ({ name: `tables.${t}`, shape: [R, lay.D] })),
    ...lay.layers.flatMap((l) => [
      { name: `${l.mlp}.${l.index}.weight`, shape: [l.outDim, l.inDim] },
      { name: `${l.mlp}.${l.index}.bias`, shape: [l.outDim] },
    ]),
  ];
}

/** A tensor `config`'s model needs that the file lacks or holds in another shape (f32: 4 bytes a value). */
export function tensorProblem(ck: Checkpoint, config: Config): Error | undefined {
  for (const w of modelTensorShapes(config)) {
    const got = ck.tensors.get(w.name);
    if (!got) return new Error(`checkpoint: tensor ${w.name} is missing`);
    if (JSON.stringify(got.shape) !== JSON.stringify(w.shape) || got.bytes !== 4 * w.shape.reduce((a, b) => a * b, 1))
      return new Error(`checkpoint: ${w.name} has shape [${got.shape}], this model needs [${w.shape}]`);
  }
  return undefined;
}

/**
 * The lab's rules for continuing a file in a page: the file's configuration with this page's
 * memory limit, the same data source, steps left to take, and plain SGD where the file was trained
 * with momentum or Adam (their state is not in the file: `dropped` says which). Throws with the
 * reason; every check on the file's contents (resumeProblem, tensorProblem) is the caller's too.
 */
export function labResumeConfig(
  ck: Checkpoint,
  name: string,
  here: { memoryLimit: number; data: 'synthetic' | 'criteo' },
): { config: Config; dropped: string[] } {
  if (ck.data === 'criteo' && here.data !== 'criteo')
    throw new Error(`${name} was trained on a Criteo file: load that file under Data first, then open the model`);
  if (ck.data === 'synthetic' && here.data !== 'synthetic')
    throw new Error(`${name} was trained on the synthetic task: choose it under Data first, then open the model`);
  if (ck.steps >= ck.config.steps)
    throw new Error(
      `${name} has finished its ${ck.steps} steps: there is nothing to continue (train afresh for a longer run)`,
    );
  const c = ck.config;
  const dropped: string[] = [];
  if (c.tableOptimizer !== 'sgd') dropped.push(`tableOptimizer ${c.tableOptimizer}`);
  if (c.mlpOptimizer !== 'sgd') dropped.push(`mlpOptimizer ${c.mlpOptimizer}`);
  return { config: { ...c, memoryLimit: here.memoryLimit, tableOptimizer: 'sgd', mlpOptimizer: 'sgd' }, dropped };
}
