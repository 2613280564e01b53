// CLI `privacy --algo dp-adafest|dp-fest`: epsilon of a run of the sparsity-preserving
// algorithms (src/privacy/fest.ts, docs/algorithms-fest.md), or sigma2 for a target epsilon.
//   privacy --algo dp-adafest --selection-sigma S1 --sigma S2 --q Q --steps N --delta D [--accountant prv|rdp] [--json]
//     [--tables R1,R2 --threshold T --selection-clip C1]: also the expected untouched crossings per step
//   privacy --algo dp-adafest (--selection-sigma S1 | --sigma-ratio R) --target-epsilon E --q Q --steps N --delta D
//   privacy --algo dp-fest (--histogram-sigma H | --prior public) --sigma S --q Q --steps N --delta D
import { dpAdafest } from '../algorithms/dp-adafest';
import { dpFest } from '../algorithms/dp-fest';
import { DEFAULT_CONFIG, parseDecimal } from '../config/config';
import { accountantNamed, sigmaEff, type Accountant, type Mechanism } from '../privacy/accountants';
import {
  adafestMechanisms,
  calibrateAdafestSigma,
  crossingsLine,
  expectedCrossings,
  festMechanisms,
  type SelectionNoise,
} from '../privacy/fest';

/** The algorithms this command accounts for (dpsgd and the LazyDP variants stay in privacy.ts). */
export const FEST_ALGOS = [dpAdafest.name, dpFest.name] as const;
const KNOWN = new Set(['algo', 'q', 'sigma', 'steps', 'delta', 'accountant', 'json', 'target-epsilon']);
for (const k of ['selection-sigma', 'sigma-ratio', 'histogram-sigma', 'prior', 'tables', 'threshold', 'selection-clip'])
  KNOWN.add(k);
type Flags = Record<string, string | boolean>;

function num(flags: Flags, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`--${name} needs a numeric value`);
  const x = parseDecimal(v);
  if (Number.isNaN(x)) throw new Error(`--${name} must be a number, in decimal (got '${v}')`);
  return x;
}

function required(flags: Flags, name: string, what: string): number {
  const x = num(flags, name);
  if (x === undefined) throw new Error(`missing --${name} (${what})`);
  return x;
}

/** Rounds up to 6 significant digits: a printed epsilon never understates the computed one. */
function up(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '∞ (no privacy)' : String(x);
  let s = x.toPrecision(6);
  if (Number(s) < x) s = (Number(s) + 10 ** (Math.floor(Math.log10(x)) - 5)).toPrecision(6);
  return String(Number(s));
}

function common(flags: Flags) {
  const q = required(flags, 'q', 'Poisson sampling rate, batch / dataset size');
  if (!(q > 0 && q <= 1)) throw new Error(`--q must be in (0, 1] (got ${q})`);
  const steps = required(flags, 'steps', 'number of training steps');
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`--steps must be an integer >= 1 (got ${steps})`);
  const delta = required(flags, 'delta', 'the delta of (epsilon, delta)');
  if (!(delta > 0 && delta < 1)) throw new Error(`--delta must be in (0, 1) (got ${delta})`);
  const name = flags.accountant ?? 'prv';
  if (name !== 'prv' && name !== 'rdp') throw new Error(`--accountant must be 'prv' or 'rdp' (got '${String(name)}')`);
  return { q, steps, delta, acc: accountantNamed(name) };
}

const positive = (flags: Flags, name: string, what: string) => {
  const x = required(flags, name, what);
  if (!(x > 0)) throw new Error(`--${name} must be > 0 (got ${x}); Infinity means that release carries no information`);
  return x;
};

export function festPrivacyCommand(flags: Flags): { text: string; json: Record<string, unknown> } {
  for (const k of Object.keys(flags))
    if (!KNOWN.has(k)) throw new Error(`unknown flag --${k} for 'privacy --algo ${String(flags.algo)}'`);
  const algo = flags.algo;
  if (algo === dpAdafest.name) return adafest(flags);
  if (algo === dpFest.name) return fest(flags);
  throw new Error(`--algo must be dpsgd, lazydp, lazydp-exact, ${FEST_ALGOS.join(' or ')} (got '${String(algo)}')`);
}

function adafest(flags: Flags) {
  const { q, steps, delta, acc } = common(flags);
  for (const k of ['histogram-sigma', 'prior'])
    if (flags[k] !== undefined) throw new Error(`--${k} applies to --algo ${dpFest.name} only`);
  const target = num(flags, 'target-epsilon');
  const sigmaGiven = flags.sigma !== undefined;
  if (sigmaGiven === (target !== undefined)) throw new Error('give either --sigma (sigma2) or --target-epsilon');
  let selection: SelectionNoise;
  if (flags['sigma-ratio'] !== undefined) {
    if (sigmaGiven) throw new Error('--sigma-ratio applies with --target-epsilon; with --sigma give --selection-sigma');
    if (flags['selection-sigma'] !== undefined) throw new Error('give either --selection-sigma or --sigma-ratio');
    selection = { ratio: positive(flags, 'sigma-ratio', 'sigma1 / sigma2') };
  } else selection = { sigma1: positive(flags, 'selection-sigma', 'sigma1, the contribution map noise multiplier') };
  let sigma2: number;
  if (target !== undefined) {
    if (!(target > 0)) throw new Error(`--target-epsilon must be > 0 (got ${target})`);
    try {
      sigma2 = calibrateAdafestSigma(acc, { targetEpsilon: target, delta, q, steps, selection });
    } catch (e) {
      throw new Error(`--target-epsilon: ${(e as Error).message}`, { cause: e });
    }
  } else sigma2 = positive(flags, 'sigma', 'sigma2, the gradient noise multiplier');
  const sigma1 = 'sigma1' in selection ? selection.sigma1 : selection.ratio * sigma2;
  const mechanisms = adafestMechanisms({ q, steps, sigma: sigma2 }, sigma1);
  const r = report(dpAdafest.name, acc, { q, steps, delta }, mechanisms, acc.epsilon(mechanisms, delta), {
    selectionSigma: sigma1,
    sigma: sigma2,
    sigmaEff: sigmaEff([sigma1, sigma2]),
    ...(target !== undefined ? { mode: 'calibrate', targetEpsilon: target } : { mode: 'epsilon' }),
  });
  const cost = crossingsOf(flags, sigma1);
  return { text: `${r.text}\n${cost.line}`, json: { ...r.json, crossings: cost.crossings } };
}

/**
 * What a step costs beside the batch: the expected untouched crossings, for --tables, --threshold
 * and --selection-clip (the configuration's defaults where not given).
 */
function crossingsOf(flags: Flags, sigma1: number) {
  const v = flags.tables;
  if (v !== undefined && (typeof v !== 'string' || v.trim() === ''))
    throw new Error('--tables needs row counts, e.g. --tables 1e6,1e6');
  const tables = v === undefined ? DEFAULT_CONFIG.tables : v.split(',').map((x) => parseDecimal(x));
  if (tables.some((R) => !(Number.isInteger(R) && R >= 1)))
    throw new Error(`--tables must be row counts (integers >= 1), comma-separated (got '${String(v)}')`);
  const threshold = num(flags, 'threshold') ?? DEFAULT_CONFIG.threshold;
  const selectionClip = num(flags, 'selection-clip') ?? DEFAULT_CONFIG.selectionClip;
  if (!(selectionClip > 0)) throw new Error(`--selection-clip must be > 0 (got ${selectionClip})`);
  const c = { threshold, selectionSigma: sigma1, selectionClip };
  const given = v !== undefined ? '' : ` (the default tables; give --tables R1,R2,.. for yours)`;
  return {
    line: `  ${crossingsLine(tables, c)}${given}`,
    crossings: { tables, threshold, selectionClip, ...expectedCrossings(tables, c) },
  };
}

function fest(flags: Flags) {
  const { q, steps, delta, acc } = common(flags);
  for (const k of ['selection-sigma', 'sigma-ratio', 'target-epsilon', 'tables', 'threshold', 'selection-clip'])
    if (flags[k] !== undefined) throw new Error(`--${k} applies to --algo ${dpAdafest.name} only`);
  const prior = flags.prior;
  if (prior !== undefined && prior !== 'public')
    throw new Error(`--prior takes 'public' (the rows come from a public prior); got '${String(prior)}'`);
  const pub = prior === 'public';
  if (pub && flags['histogram-sigma'] !== undefined) throw new Error('give either --histogram-sigma or --prior public');
  const selection = pub
    ? ({ kind: 'public' } as const)
    : {
        kind: 'histogram' as const,
        sigma: positive(flags, 'histogram-sigma', "the selection histogram's noise multiplier, or --prior public"),
      };
  const sigma = positive(flags, 'sigma', 'the gradient noise multiplier');
  const mechanisms = festMechanisms({ q, steps, sigma }, selection);
  return report(dpFest.name, acc, { q, steps, delta }, mechanisms, acc.epsilon(mechanisms, delta), {
    mode: 'epsilon',
    sigma,
    ...(selection.kind === 'histogram' ? { histogramSigma: selection.sigma } : { publicPrior: true }),
  });
}

function report(
  algo: string,
  acc: Accountant,
  run: { q: number; steps: number; delta: number },
  mechanisms: Mechanism[],
  epsilon: number,
  extra: Record<string, unknown>,
) {
  const covers =
    extra.publicPrior === true
      ? 'training only: the rows were chosen from a public prior, whose cost is not counted here'
      : algo === dpFest.name
        ? 'the selection histogram and the training'
        : 'the contribution maps and the gradients, as one Gaussian per step at sigma_eff';
  const sig = Object.entries(extra)
    .filter(([k]) => /sigma/i.test(k))
    .map(([k, v]) => `${k} = ${String(v)}`)
    .join(', ');
  const text =
    `epsilon = ${up(epsilon)} at delta = ${run.delta} (${algo}, ${acc.label}${acc.name === 'prv' ? ' upper bound' : ''}; covers ${covers})\n` +
    `  q = ${run.q}, steps = ${run.steps}, ${sig}`;
  return {
    text,
    json: { command: 'privacy', algo, accountant: acc.name, ...run, ...extra, epsilon, mechanisms },
  };
}
