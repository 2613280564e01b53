// The privacy-utility frontier, shared by the CLI's `frontier` command and the lab's "Privacy vs
// utility" view (no DOM, no node): for every private algorithm and target epsilon, sigma is
// calibrated by the configured accountant (resolveSigma), the model trained and evaluated on the
// held-out split, beside the non-private baseline. Runs go in rounds, one seed at a time (the
// baseline, then every algorithm and epsilon), so a frontier stopped early still holds a
// complete picture at fewer seeds, and a resumed one goes on from the run it stopped before.
import { ConfigError, makeConfig, type Algo, type Config } from '../config/config';
import { BASELINE } from '../algorithms';
import { FRONTIER_ALGO_NAMES, FRONTIER_DEFAULT } from '../config/url-frontier';
import { makeSynthetic, auc as aucOf } from '../data/synthetic';
import { Trainer, resolveSigma } from '../engine';

/** One trained run. `targetEpsilon`, `epsilon` and `sigma` are absent for the baseline. */
export interface FrontierRun {
  algo: Algo;
  targetEpsilon?: number;
  epsilon?: number;
  sigma?: number;
  seed: string;
  auc: number;
  evalLoss: number;
  stepMedianMs: number;
  /** table rows a step writes, as the trainer counted them (summary.perStep.rowsUpdated) */
  rowsUpdated: number;
}

export interface FrontierPlan {
  base: Config;
  algos: Algo[];
  epsilons: number[];
  seeds: string[];
}

/** The default frontier (DP-SGD and LazyDP at five targets, one seed), as the lab's link has it. */
export const FRONTIER_DEFAULTS = {
  algos: FRONTIER_DEFAULT.algos as Algo[],
  epsilons: FRONTIER_DEFAULT.epsilons,
  seeds: FRONTIER_DEFAULT.seeds,
};

/** The private algorithms a frontier may list (the baseline always runs by itself). */
export const FRONTIER_ALGOS = FRONTIER_ALGO_NAMES as Algo[];

/** Fixed seeds from the base's (1 when random): a reproducible measurement, not private releases. */
export function frontierSeeds(base: Config, n: number): string[] {
  const first = base.seed === 'random' ? 1n : BigInt(base.seed);
  if (first + BigInt(n - 1) >= 1n << 64n)
    throw new ConfigError('seed', `seed ${base.seed} + ${n - 1} exceeds 2^64 - 1`);
  return Array.from({ length: n }, (_, i) => String(first + BigInt(i)));
}

/** Every run's configuration, in the order they run: per seed the baseline, then algorithm x target. */
export function frontierConfigs(p: FrontierPlan): Config[] {
  const out: Config[] = [];
  for (const seed of p.seeds) {
    out.push(makeConfig({ algo: BASELINE, targetEpsilon: 0, seed }, p.base));
    for (const algo of p.algos)
      for (const targetEpsilon of p.epsilons) out.push(makeConfig({ algo, targetEpsilon, seed }, p.base));
  }
  return out;
}

/** sigma for a configuration with a target: resolveSigma here, or the lab's privacy worker. */
export type SigmaOf = (c: Config) => number | Promise<number>;

const pointKey = (c: Pick<Config, 'algo' | 'targetEpsilon'>) => `${c.algo}|${c.targetEpsilon}`;

/**
 * Calibrates every (algorithm, target) before the first run, so an unreachable target fails now,
 * not an hour in; the error names what to change. An algorithm with releases of its own
 * (DP-AdaFEST's noisy counts, DP-FEST's private histogram) spends epsilon at any gradient sigma:
 * a target below that floor is refused with the floor and the keys that set it.
 */
export async function calibrateAll(configs: Config[], sigmaOf: SigmaOf = resolveSigma): Promise<Map<string, number>> {
  const sigmas = new Map<string, number>();
  for (const c of configs) {
    const k = pointKey(c);
    if (c.algo === BASELINE || sigmas.has(k)) continue;
    try {
      sigmas.set(k, await sigmaOf(c));
    } catch (e) {
      throw unreachable(c, e);
    }
  }
  return sigmas;
}

/**
 * The calibration's error as one about the --epsilons list (resolveSigma's message already names
 * the floor of an algorithm's own releases and the keys that set it).
 */
function unreachable(c: Config, e: unknown): unknown {
  const msg = (e as Error).message.replace(/^targetEpsilon: /, '');
  return new ConfigError('epsilons', `${c.algo} cannot reach target epsilon ${c.targetEpsilon}: ${msg}`);
}

/** The synthetic task every run trains on (it depends on the task keys only) and its teacher's AUC. */
export function frontierData(base: Config): { data: ReturnType<typeof makeSynthetic>; teacherAuc?: number } {
  const data = makeSynthetic(base);
  const teacherAuc = data.eval.prob ? aucOf(data.eval.prob, data.eval.labels) : undefined;
  return { data, teacherAuc };
}

/** Trains one configuration on the shared data set and reads its end-of-run figures. */
export async function trainOne(
  device: GPUDevice,
  c: Config,
  data: ReturnType<typeof makeSynthetic>,
  signal?: AbortSignal,
): Promise<FrontierRun | undefined> {
  const t = await Trainer.create(device, c, { data });
  try {
    await t.run(c.steps, { signal });
    if (signal?.aborted || t.stepsDone < c.steps) return undefined;
    const s = t.summary();
    const privacy = c.algo === BASELINE ? {} : { targetEpsilon: c.targetEpsilon, epsilon: s.epsilon, sigma: s.sigma };
    return {
      algo: c.algo,
      ...privacy,
      seed: c.seed,
      auc: s.auc,
      evalLoss: s.evalLoss,
      stepMedianMs: s.stepMedianMs,
      // the trainer's own count (the rows each step's update wrote), not an estimate
      rowsUpdated: s.perStep.rowsUpdated,
    };
  } finally {
    t.destroy();
  }
}

/** A frontier's results: what the CLI writes with --json and the lab exports as JSON. */
export interface FrontierResult {
  command: 'frontier';
  config: Config;
  algos: Algo[];
  epsilons: number[];
  seeds: string[];
  runs: number;
  complete: boolean;
  teacherAuc?: number;
  note: string;
  points: FrontierRun[];
  baseline: FrontierRun[];
}

export const FRONTIER_NOTE =
  'fixed seeds: a reproducible measurement of utility, not private releases; rowsUpdated: table rows the trainer counted written per step (mean over the run)';

export function emptyResult(plan: FrontierPlan, teacherAuc: number | undefined): FrontierResult {
  return {
    command: 'frontier',
    config: plan.base,
    algos: plan.algos,
    epsilons: plan.epsilons,
    seeds: plan.seeds,
    runs: frontierConfigs(plan).length,
    complete: false,
    teacherAuc,
    note: FRONTIER_NOTE,
    points: [],
    baseline: [],
  };
}

/** Runs done so far (points and baselines): the index of the next configuration to train. */
export const runsDone = (r: FrontierResult): number => r.points.length + r.baseline.length;

/**
 * Trains the configurations from the first not yet done (a resumed frontier goes on where it
 * stopped), adding each result to `result` and calling `onRun` after each; stops between runs
 * (or inside one, dropping it) when `signal` aborts.
 */
export async function runFrontier(
  device: GPUDevice,
  plan: FrontierPlan,
  result: FrontierResult,
  opts: {
    data?: ReturnType<typeof makeSynthetic>;
    signal?: AbortSignal;
    /** how sigma is calibrated (default resolveSigma; the lab asks its privacy worker) */
    sigmaOf?: SigmaOf;
    /** calibrateAll ran already (the CLI checks every target before it opens the device) */
    calibrated?: boolean;
    onStart?: (i: number, c: Config) => void;
    onRun?: (r: FrontierRun, i: number, n: number) => void | Promise<void>;
  } = {},
): Promise<void> {
  const configs = frontierConfigs(plan);
  // every target checked before the first run; each run calibrates again, as `train --target-epsilon`
  // does (the same sigma, and the epsilon reported by the same path)
  if (!opts.calibrated) await calibrateAll(configs, opts.sigmaOf);
  const data = opts.data ?? frontierData(plan.base).data;
  for (let i = runsDone(result); i < configs.length; i++) {
    if (opts.signal?.aborted) return;
    opts.onStart?.(i, configs[i]);
    const r = await trainOne(device, configs[i], data, opts.signal);
    if (!r) return;
    (r.algo === BASELINE ? result.baseline : result.points).push(r);
    result.complete = i === configs.length - 1;
    await opts.onRun?.(r, i, configs.length);
  }
}

/** Mean and (sample) standard deviation. */
export function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, sd: Math.sqrt(v) };
}

/** One (algorithm, target) over the seeds done: the frontier's point. */
export interface FrontierSummary {
  algo: Algo;
  targetEpsilon: number;
  epsilon: number;
  sigma: number;
  auc: { mean: number; sd: number };
  evalLoss: { mean: number; sd: number };
  stepMedianMs: number;
  rowsUpdated: number;
  seeds: number;
}

/** The points grouped by algorithm and target, in the order they first ran. */
export function summarize(points: FrontierRun[]): FrontierSummary[] {
  const keys = [...new Set(points.map((p) => `${p.algo}|${p.targetEpsilon}`))];
  return keys.map((k) => {
    const runs = points.filter((p) => `${p.algo}|${p.targetEpsilon}` === k);
    return {
      algo: runs[0].algo,
      targetEpsilon: runs[0].targetEpsilon!,
      epsilon: meanSd(runs.map((r) => r.epsilon!)).mean,
      sigma: runs[0].sigma!,
      auc: meanSd(runs.map((r) => r.auc)),
      evalLoss: meanSd(runs.map((r) => r.evalLoss)),
      stepMedianMs: meanSd(runs.map((r) => r.stepMedianMs)).mean,
      rowsUpdated: meanSd(runs.map((r) => r.rowsUpdated)).mean,
      seeds: runs.length,
    };
  });
}

export function fmtSeconds(s: number): string {
  return s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
}

/** Seconds left, from the mean time of the runs done so far (undefined before the first). */
export function timeLeft(elapsedS: number, done: number, total: number): number | undefined {
  return done > 0 ? (elapsedS / done) * (total - done) : undefined;
}
