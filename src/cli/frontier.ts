// `frontier`: utility against privacy. For every private algorithm and target epsilon, sigma is
// calibrated by the configured accountant (resolveSigma), the model trained and evaluated on the
// held-out split; the non-private sgd baseline runs beside them. Runs go in rounds, one seed at a
// time (the baseline, then every algorithm and epsilon), so a frontier stopped early still holds
// a complete picture at fewer seeds; --out rewrites the JSON after every run.
//   frontier [--algos dpsgd,lazydp] [--epsilons 0.5,1,2,4,8] [--seeds N] [--key value ...] [--json] [--out f.json]
import { ALGOS, ConfigError, makeConfig, parseDecimal, type Algo, type Config } from '../config/config';
import { ALGORITHMS, BASELINE, algorithm } from '../algorithms';
import { makeSynthetic, auc as aucOf } from '../data/synthetic';
import { Trainer, type DeviceInfo } from '../engine';
import { jsonInfinity } from '../privacy/report';
import { checkExportPath, writeFileAtomic } from './export-file';
import { expectedTouchedRows, rowsUpdatedPerStep } from './frontier-rows';

const selectsRows = (c: Config) => !['none', 'eager', 'lazy', 'lazy-exact'].includes(algorithm(c.algo).tableNoise);

type Flags = Record<string, string | boolean>;
type ConfigFromFlags = (flags: Flags, extra: string[], base?: Config) => { config: Config; rest: Flags };
type OpenDevice = (quiet: boolean) => Promise<{ device: GPUDevice; info: DeviceInfo & { adapterNote?: string } }>;

export const FRONTIER_HELP =
  '  frontier [--algos dpsgd,lazydp] [--epsilons 0.5,1,2,4,8] [--seeds N] [--key value ...] [--json] [--out f.json]\n' +
  '           held-out AUC and loss against epsilon (sigma calibrated per target by --accountant), with the sgd baseline;\n' +
  '           rounds of one seed each (1..N, or from --seed); --out is rewritten after every run';

// by default the eager algorithm and its lazy counterpart (DP-SGD and LazyDP): one model, two costs
const DEFAULT_ALGOS = ALGORITHMS.filter((a) => a.private && (a.tableNoise === 'eager' || a.tableNoise === 'lazy'));
export const FRONTIER_DEFAULTS = {
  algos: DEFAULT_ALGOS.map((a) => a.name) as Algo[],
  epsilons: [0.5, 1, 2, 4, 8],
  seeds: 1,
};

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
  rowsUpdated: number;
}

export interface FrontierPlan {
  base: Config;
  algos: Algo[];
  epsilons: number[];
  seeds: string[];
}

/** A list flag: comma-separated, each item parsed by `item` (which throws naming the flag). */
function listFlag<T>(flags: Flags, name: string, def: T[], item: (s: string) => T): T[] {
  const v = flags[name];
  if (v === undefined) return def;
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(name, `needs a comma-separated list`);
  const out = v.split(',').map((s) => item(s.trim()));
  if (new Set(out.map(String)).size !== out.length) throw new ConfigError(name, `lists ${v}: each value once`);
  return out;
}

/** The frontier's flags: which algorithms, targets and seeds, on top of a base configuration. */
export function planFrontier(flags: Flags, configFromFlags: ConfigFromFlags): { plan: FrontierPlan; rest: Flags } {
  for (const [k, why] of [
    ['algo', 'give the private algorithms as --algos a,b (sgd runs as the baseline by itself)'],
    ['sigma', 'sigma is calibrated to each target: give the targets as --epsilons'],
    ['target-epsilon', 'give the targets as --epsilons e1,e2,...'],
    ['targetEpsilon', 'give the targets as --epsilons e1,e2,...'],
  ] as const)
    if (flags[k] !== undefined) throw new ConfigError(k, `does not apply to frontier: ${why}`);
  const own: Flags = Object.create(null) as Flags;
  const cfgFlags: Flags = Object.create(null) as Flags;
  for (const [k, v] of Object.entries(flags)) (['algos', 'epsilons', 'seeds'].includes(k) ? own : cfgFlags)[k] = v;
  // the frontier evaluates at the end of each run unless told otherwise (evaluations cost time)
  if (cfgFlags['eval-every'] === undefined && cfgFlags.evalEvery === undefined) cfgFlags['eval-every'] = '0';
  const { config: base, rest } = configFromFlags(cfgFlags, ['out']);
  const privateAlgos = ALGOS.filter((a) => a !== BASELINE);
  const algos = listFlag(own, 'algos', FRONTIER_DEFAULTS.algos, (s) => {
    if (!(privateAlgos as readonly string[]).includes(s))
      throw new ConfigError(
        'algos',
        s === BASELINE
          ? `${BASELINE} is the non-private baseline and always runs: list private algorithms only`
          : `unknown private algorithm ${JSON.stringify(s)} (choose from ${privateAlgos.join(', ')})`,
      );
    return s as Algo;
  });
  const epsilons = listFlag(own, 'epsilons', FRONTIER_DEFAULTS.epsilons, (s) => {
    const e = parseDecimal(s);
    if (!(e > 0 && e <= 1e6)) throw new ConfigError('epsilons', `each target must be a number in (0, 1e6], got ${s}`);
    return e;
  });
  const n = own.seeds === undefined ? FRONTIER_DEFAULTS.seeds : parseDecimal(String(own.seeds));
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new ConfigError('seeds', `needs a whole number of seeds in 1 .. 1000, got ${String(own.seeds)}`);
  // fixed seeds: the frontier measures utility, reproducibly (runs with a fixed seed are not private releases)
  const first = base.seed === 'random' ? 1n : BigInt(base.seed);
  if (first + BigInt(n - 1) >= 1n << 64n)
    throw new ConfigError('seed', `seed ${base.seed} + ${n - 1} exceeds 2^64 - 1`);
  const seeds = Array.from({ length: n }, (_, i) => String(first + BigInt(i)));
  return { plan: { base, algos, epsilons, seeds }, rest };
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

export function fmtSeconds(s: number): string {
  return s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
}

/** Mean and (sample) standard deviation. */
function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, sd: Math.sqrt(v) };
}

/** The frontier as a table: mean (and spread) over the seeds done, per algorithm and target. */
export function frontierTable(points: FrontierRun[], baseline: FrontierRun[]): string {
  const f = (x: number, d = 4) => x.toFixed(d);
  const lines = ['algo          target eps  eps      sigma    AUC (sd)          eval loss (sd)    rows/step  seeds'];
  const row = (label: string, eps: string, runs: FrontierRun[]) => {
    const a = meanSd(runs.map((r) => r.auc)),
      l = meanSd(runs.map((r) => r.evalLoss));
    const e = runs[0].epsilon === undefined ? '-' : f(meanSd(runs.map((r) => r.epsilon!)).mean, 3);
    const s = runs[0].sigma === undefined ? '-' : f(runs[0].sigma, 3);
    lines.push(
      `${label.padEnd(13)} ${eps.padEnd(11)} ${e.padEnd(8)} ${s.padEnd(8)} ${f(a.mean)} (${f(a.sd, 3)})  ` +
        `${f(l.mean)} (${f(l.sd, 3)})  ${Math.round(runs[0].rowsUpdated).toString().padStart(9)}  ${runs.length}`,
    );
  };
  if (baseline.length) row(BASELINE, '-', baseline);
  const keys = [...new Set(points.map((p) => `${p.algo}|${p.targetEpsilon}`))];
  for (const k of keys) {
    const runs = points.filter((p) => `${p.algo}|${p.targetEpsilon}` === k);
    row(runs[0].algo, String(runs[0].targetEpsilon), runs);
  }
  return lines.join('\n');
}

/** Trains one configuration on the shared data set and reads its end-of-run figures. */
async function trainOne(
  device: GPUDevice,
  c: Config,
  data: ReturnType<typeof makeSynthetic>,
  touched: number,
): Promise<FrontierRun> {
  const t = await Trainer.create(device, c, { data });
  try {
    await t.run(c.steps);
    const s = t.summary();
    const privacy = c.algo === BASELINE ? {} : { targetEpsilon: c.targetEpsilon, epsilon: s.epsilon, sigma: s.sigma };
    return {
      algo: c.algo,
      ...privacy,
      seed: c.seed,
      auc: s.auc,
      evalLoss: s.evalLoss,
      stepMedianMs: s.stepMedianMs,
      // algorithms that select rows: the trainer's exact count (it replays their selection draws)
      rowsUpdated: selectsRows(c) ? s.perStep.rowsUpdated : rowsUpdatedPerStep(c, touched),
    };
  } finally {
    t.destroy();
  }
}

export async function frontierCommand(
  flags: Flags,
  deps: { configFromFlags: ConfigFromFlags; openDevice: OpenDevice },
): Promise<void> {
  const { plan, rest } = planFrontier(flags, deps.configFromFlags);
  const json = !!rest.json;
  const out = typeof rest.out === 'string' ? rest.out : undefined;
  if (rest.out !== undefined && out === undefined)
    throw new ConfigError('out', 'needs a file name, e.g. frontier.json');
  if (out) checkExportPath('out', out);
  // every configuration is checked before the first run: a bad key fails now, not an hour in
  const configs = frontierConfigs(plan);
  const say = (s: string) => (json ? console.error(s) : console.log(s));
  const { device, info } = await deps.openDevice(json);
  // one data set for every run (it depends on the task keys only), and the rows a batch touches
  const data = makeSynthetic(plan.base);
  const touched = expectedTouchedRows(data.train, plan.base.tables, plan.base.batch / plan.base.datasetSize);
  const teacherAuc = data.eval.prob ? aucOf(data.eval.prob, data.eval.labels) : undefined;
  const result = {
    command: 'frontier',
    config: plan.base,
    algos: plan.algos,
    epsilons: plan.epsilons,
    seeds: plan.seeds,
    runs: configs.length,
    complete: false,
    teacherAuc,
    note: 'fixed seeds: a reproducible measurement of utility, not private releases; rowsUpdated: expected table rows written per step, from the training data and q',
    points: [] as FrontierRun[],
    baseline: [] as FrontierRun[],
    device: info,
  };
  const save = async () => {
    if (!out) return;
    const bytes = new TextEncoder().encode(JSON.stringify(result, jsonInfinity, 1) + '\n');
    await writeFileAtomic('out', out, async (write) => write(bytes));
  };
  say(
    `frontier: ${plan.algos.join(', ')} at epsilon ${plan.epsilons.join(', ')} (delta ${plan.base.delta}, ${plan.base.accountant}), ` +
      `${plan.seeds.length} seed(s), ${configs.length} runs of ${plan.base.steps} steps` +
      (teacherAuc !== undefined ? `; teacher AUC ${teacherAuc.toFixed(4)}` : ''),
  );
  const t0 = performance.now();
  try {
    for (const [i, c] of configs.entries()) {
      const r = await trainOne(device, c, data, touched);
      (c.algo === BASELINE ? result.baseline : result.points).push(r);
      result.complete = i === configs.length - 1;
      await save();
      const left = ((performance.now() - t0) / 1000 / (i + 1)) * (configs.length - i - 1);
      say(
        `[${i + 1}/${configs.length}] seed ${r.seed} ${r.algo}` +
          (r.sigma === undefined
            ? ''
            : ` target ${r.targetEpsilon}: sigma ${r.sigma.toFixed(3)} eps ${r.epsilon?.toFixed(3)}`) +
          `: AUC ${r.auc.toFixed(4)} loss ${r.evalLoss.toFixed(4)}, step ${r.stepMedianMs.toFixed(1)} ms` +
          (left > 0 ? ` (about ${fmtSeconds(left)} left)` : ''),
      );
    }
  } finally {
    device.destroy();
  }
  if (json) console.log(JSON.stringify(result, jsonInfinity));
  else {
    console.log(frontierTable(result.points, result.baseline));
    if (out) console.log(`wrote ${out}`);
  }
}
