// CLI command `privacy`: epsilon of a DP-SGD run, or the noise multiplier for a target epsilon.
//   privacy [--accountant prv|rdp] --q Q --sigma S --steps N --delta D [--orders opacus|tfp] [--eps-error E]
//   privacy [--accountant prv|rdp] --q Q --target-epsilon E --steps N --delta D [--orders opacus|tfp]
// The accountant is PRV unless --accountant rdp (or --orders, which only RDP has) says otherwise.
//   privacy --algo dp-adafest|dp-fest ...: the sparsity-preserving algorithms, src/cli/privacy-fest.ts
import { calibrateSigma } from '../privacy/calibrate';
import { parseDecimal } from '../config/config';
import { computeEpsilon, OPACUS_ORDERS, TFP_ORDERS } from '../privacy/rdp';
import { computePrvEpsilon, PrvPlan } from '../privacy/prv';
import { PrvRefusal } from '../privacy/prv-refusal';
import { festPrivacyCommand } from './privacy-fest';
import { ALGORITHMS } from '../algorithms';

const KNOWN = new Set(['q', 'sigma', 'steps', 'delta', 'target-epsilon', 'targetEpsilon', 'orders', 'json']);
KNOWN.add('accountant').add('eps-error');
KNOWN.add('algo'); // DP-SGD's own names; the sparsity-preserving ones go to privacy-fest.ts

function num(flags: Record<string, string | boolean>, name: string, key = name): number | undefined {
  const v = flags[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`--${name} needs a numeric value`);
  const x = parseDecimal(v);
  if (!Number.isFinite(x)) throw new Error(`--${name} must be a finite number, in decimal (got '${v}')`);
  return x;
}

/** Rounds up to `digits` significant digits, so a printed sigma is never below the computed one. */
function ceilSig(x: number, digits: number): string {
  let s = x.toPrecision(digits);
  if (Number(s) < x) {
    const e = Math.floor(Math.log10(Math.abs(x))) - digits + 1;
    s = (Number(s) + 10 ** e).toPrecision(digits);
  }
  return String(Number(s));
}

// epsilon is printed rounded up too: a report must not understate it.
const fmt = (x: number) => (Number.isFinite(x) ? ceilSig(x, 6) : x > 0 ? '∞ (no privacy)' : String(x));

export function privacyCommand(flags: Record<string, string | boolean>): {
  text: string;
  json: Record<string, unknown>;
} {
  // one Gaussian per step at --sigma (DP-SGD's noise on every row it writes) here; algorithms that
  // select rows release more (DP-FEST's histogram, DP-AdaFEST's second Gaussian): privacy-fest.ts
  const dpsgdLike = (a: (typeof ALGORITHMS)[number]) =>
    a.tableNoise === 'eager' || a.tableNoise === 'lazy' || a.tableNoise === 'lazy-exact';
  if (flags.algo !== undefined && !ALGORITHMS.some((a) => a.private && dpsgdLike(a) && a.name === flags.algo))
    return festPrivacyCommand(flags);
  for (const k of Object.keys(flags)) if (!KNOWN.has(k)) throw new Error(`unknown flag --${k} for 'privacy'`);

  const q = num(flags, 'q');
  const sigma = num(flags, 'sigma');
  const steps = num(flags, 'steps');
  const delta = num(flags, 'delta');
  const target = num(flags, 'target-epsilon') ?? num(flags, 'target-epsilon', 'targetEpsilon');

  if (q === undefined) throw new Error('missing --q (Poisson sampling rate, batch / dataset size)');
  if (!(q > 0 && q <= 1)) throw new Error(`--q must be in (0, 1] (got ${q})`);
  if (steps === undefined) throw new Error('missing --steps (number of training steps)');
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`--steps must be an integer >= 1 (got ${steps})`);
  if (delta === undefined) throw new Error('missing --delta');
  if (!(delta > 0 && delta < 1)) throw new Error(`--delta must be in (0, 1) (got ${delta})`);
  if (sigma !== undefined && target !== undefined) throw new Error('give either --sigma or --target-epsilon, not both');
  if (sigma === undefined && target === undefined)
    throw new Error('missing --sigma (noise multiplier) or --target-epsilon');

  const ordersFlag = flags.orders ?? 'opacus';
  if (ordersFlag !== 'opacus' && ordersFlag !== 'tfp')
    throw new Error(`--orders must be 'opacus' or 'tfp' (got '${ordersFlag}')`);
  const orders = ordersFlag === 'tfp' ? TFP_ORDERS : OPACUS_ORDERS;
  const accountant = flags.accountant ?? (flags.orders !== undefined ? 'rdp' : 'prv');
  if (accountant !== 'prv' && accountant !== 'rdp')
    throw new Error(`--accountant must be 'prv' or 'rdp' (got '${accountant}')`);
  if (accountant === 'prv' && flags.orders !== undefined) throw new Error('--orders applies to --accountant rdp only');
  if (accountant === 'rdp' && flags['eps-error'] !== undefined)
    throw new Error('--eps-error applies to --accountant prv only');
  if (accountant === 'prv') return prvCommand(q, sigma, steps, delta, target, num(flags, 'eps-error') ?? 0.01);
  const where = `Poisson-subsampled Gaussian, RDP at ${ordersFlag === 'tfp' ? 'TF Privacy' : 'Opacus'} orders, Balle et al. 2020 conversion`;

  if (sigma !== undefined) {
    if (!(sigma >= 0)) throw new Error(`--sigma must be >= 0 (got ${sigma})`);
    const { epsilon, order } = computeEpsilon({ q, sigma, steps, delta, orders });
    return {
      text:
        `epsilon = ${fmt(epsilon)} at delta = ${delta} (best RDP order ${Number.isNaN(order) ? 'n/a' : order})\n` +
        `  q = ${q}, sigma = ${sigma}, steps = ${steps}; ${where}`,
      json: {
        command: 'privacy',
        mode: 'epsilon',
        accountant: 'rdp',
        q,
        sigma,
        steps,
        delta,
        orders: ordersFlag,
        epsilon,
        order,
      },
    };
  }

  const targetEpsilon = target as number;
  if (!(targetEpsilon > 0)) throw new Error(`--target-epsilon must be > 0 (got ${targetEpsilon})`);
  let s: number;
  try {
    s = calibrateSigma({ targetEpsilon, q, steps, delta, orders });
  } catch (e) {
    throw new Error(`--target-epsilon: ${(e as Error).message}`, { cause: e });
  }
  const { epsilon, order } = computeEpsilon({ q, sigma: s, steps, delta, orders });
  return {
    text:
      `sigma = ${ceilSig(s, 8)} reaches epsilon = ${fmt(epsilon)} <= ${targetEpsilon} at delta = ${delta} (best RDP order ${order})\n` +
      `  q = ${q}, steps = ${steps}; ${where}`,
    json: {
      command: 'privacy',
      mode: 'calibrate',
      accountant: 'rdp',
      q,
      steps,
      delta,
      targetEpsilon,
      orders: ordersFlag,
      sigma: s,
      epsilon,
      order,
    },
  };
}

/** A PRV refusal says what to change in this command's flags (--accountant rdp, --sigma, ...). */
function inFlags<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof PrvRefusal) throw new Error(e.textFor('cli'), { cause: e });
    throw e;
  }
}

function prvCommand(
  q: number,
  sigma: number | undefined,
  steps: number,
  delta: number,
  target: number | undefined,
  epsError: number,
) {
  if (!(epsError > 0 && epsError < 1)) throw new Error(`--eps-error must be in (0, 1) (got ${epsError})`);
  const where =
    `Poisson-subsampled Gaussian, PRV accountant (Gopi et al. 2021), ` +
    `eps error ${epsError}, delta error ${delta / 1000}`;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let s: number | undefined;
  if (sigma === undefined) {
    const targetEpsilon = target as number;
    if (!(targetEpsilon > 0)) throw new Error(`--target-epsilon must be > 0 (got ${targetEpsilon})`);
    try {
      s = inFlags(() => calibrateSigma({ targetEpsilon, q, steps, delta, accountant: 'prv', epsError }));
    } catch (e) {
      throw new Error(`--target-epsilon: ${(e as Error).message}`, { cause: e });
    }
  } else if (!(sigma >= 0)) throw new Error(`--sigma must be >= 0 (got ${sigma})`);
  const r = inFlags(() => computePrvEpsilon({ q, sigma: s ?? (sigma as number), steps, delta, epsError }));
  const computeMs = performance.now() - t0;
  // CPU time too: on a shared machine wall time says more about the neighbours
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const band = `PRV upper bound; estimate ${fmt(r.estimate)}, lower bound ${fmt(r.lower)}`;
  const json = {
    command: 'privacy',
    accountant: 'prv',
    q,
    steps,
    delta,
    epsilon: r.epsilon,
    estimate: r.estimate,
    lower: r.lower,
    epsError: r.epsError,
    deltaError: r.deltaError,
    computeMs,
    cpuMs,
  };
  if (s === undefined)
    return {
      text:
        `epsilon = ${fmt(r.epsilon)} at delta = ${delta} (${band})\n` +
        `  q = ${q}, sigma = ${sigma}, steps = ${steps}; ${where}`,
      json: { ...json, mode: 'epsilon', sigma },
    };
  return {
    text:
      `sigma = ${ceilSig(s, 8)} reaches epsilon = ${fmt(r.epsilon)} <= ${target} at delta = ${delta} (${band})\n` +
      `  q = ${q}, steps = ${steps}; ${where}`,
    json: { ...json, mode: 'calibrate', targetEpsilon: target, sigma: s },
  };
}

/**
 * `bench --privacy`: the PRV accountant's cost, epsilon of a 20,000-step run at a few settings
 * (the target: under a second). No GPU. The first setting also pays the JIT warm-up, as
 * a one-off `privacy` command does.
 */
export const PRIVACY_BENCH: readonly { q: number; sigma: number; steps: number; delta: number }[] = [
  { q: 0.002, sigma: 1.1, steps: 20_000, delta: 1e-6 },
  { q: 0.0078, sigma: 1, steps: 20_000, delta: 1e-6 }, // the lab's default q (256 / 32,768)
  { q: 0.01, sigma: 1, steps: 20_000, delta: 1e-5 },
  { q: 0.01, sigma: 1, steps: 20_000, delta: 1e-6 },
];

export function privacyBench(settings = PRIVACY_BENCH): {
  text: string;
  json: Record<string, unknown>[];
} {
  const rows = settings.map((s) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const plan = new PrvPlan([{ q: s.q, sigma: s.sigma, steps: s.steps }], { deltaError: s.delta / 1000, once: true });
    const r = plan.compose().epsilon(s.delta);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { ...s, epsilon: r.epsilon, mesh: plan.size, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
  });
  const text = rows
    .map(
      (r) =>
        `PRV epsilon ${fmt(r.epsilon)} for ${r.steps} steps (q ${r.q}, sigma ${r.sigma}, delta ${r.delta}, mesh ${r.mesh}): ` +
        `${r.ms.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms)`,
    )
    .join('\n');
  return { text, json: rows.map((r) => ({ command: 'bench', mode: 'privacy', accountant: 'prv', ...r })) };
}
