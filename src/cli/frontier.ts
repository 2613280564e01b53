// `frontier`: utility against privacy. For every private algorithm and target epsilon, sigma is
// calibrated by the configured accountant (resolveSigma), the model trained and evaluated on the
// held-out split; the non-private sgd baseline runs beside them. Runs go in rounds, one seed at a
// time (the baseline, then every algorithm and epsilon), so a frontier stopped early still holds
// a complete picture at fewer seeds; --out rewrites the JSON after every run.
//   frontier [--algos dpsgd,lazydp] [--epsilons 0.5,1,2,4,8] [--seeds N] [--key value ...] [--json] [--out f.json]
import { ConfigError, parseDecimal, type Algo, type Config } from '../config/config';
import { BASELINE } from '../algorithms';
import { type DeviceInfo } from '../engine';
import { jsonInfinity } from '../privacy/report';
import {
  FRONTIER_ALGOS,
  FRONTIER_DEFAULTS,
  calibrateAll,
  emptyResult,
  fmtSeconds,
  frontierConfigs,
  frontierData,
  frontierSeeds,
  meanSd,
  runFrontier,
  type FrontierPlan,
  type FrontierRun,
} from '../frontier/frontier';
import { checkExportPath, writeFileAtomic } from './export-file';

type Flags = Record<string, string | boolean>;
type ConfigFromFlags = (flags: Flags, extra: string[], base?: Config) => { config: Config; rest: Flags };
type OpenDevice = (quiet: boolean) => Promise<{ device: GPUDevice; info: DeviceInfo & { adapterNote?: string } }>;

export const FRONTIER_HELP =
  '  frontier [--algos dpsgd,lazydp] [--epsilons 0.5,1,2,4,8] [--seeds N] [--key value ...] [--json] [--out f.json]\n' +
  '           held-out AUC and loss against epsilon (sigma calibrated per target by --accountant), with the sgd baseline;\n' +
  '           rounds of one seed each (1..N, or from --seed); --out is rewritten after every run';

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
  const privateAlgos = FRONTIER_ALGOS;
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
  const seeds = frontierSeeds(base, n);
  return { plan: { base, algos, epsilons, seeds }, rest };
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
  // every configuration is checked before the first run, sigma calibrated for every target:
  // a bad key or an unreachable target fails now, not an hour in
  const configs = frontierConfigs(plan);
  await calibrateAll(configs);
  const say = (s: string) => (json ? console.error(s) : console.log(s));
  const { device, info } = await deps.openDevice(json);
  // one data set for every run (it depends on the task keys only)
  const { data, teacherAuc } = frontierData(plan.base);
  const result = { ...emptyResult(plan, teacherAuc), device: info };
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
    await runFrontier(device, plan, result, {
      data,
      calibrated: true,
      onRun: async (r, i, n) => {
        await save();
        const left = ((performance.now() - t0) / 1000 / (i + 1)) * (n - i - 1);
        say(
          `[${i + 1}/${n}] seed ${r.seed} ${r.algo}` +
            (r.sigma === undefined
              ? ''
              : ` target ${r.targetEpsilon}: sigma ${r.sigma.toFixed(3)} eps ${r.epsilon?.toFixed(3)}`) +
            `: AUC ${r.auc.toFixed(4)} loss ${r.evalLoss.toFixed(4)}, step ${r.stepMedianMs.toFixed(1)} ms` +
            (left > 0 ? ` (about ${fmtSeconds(left)} left)` : ''),
        );
      },
    });
  } finally {
    device.destroy();
  }
  if (json) console.log(JSON.stringify(result, jsonInfinity));
  else {
    console.log(frontierTable(result.points, result.baseline));
    if (out) console.log(`wrote ${out}`);
  }
}
