// `audit`: the one-run privacy audit from the command line (src/audit/run.ts).
//   npm run -s cli -- audit --algo dpsgd|lazydp [--flaw none|noise-touched-rows-only|skip-final-flush]
//     [--canary-kind gradient|input] [--canaries M] [--audit-seed S] [--confidence 0.95] [--power] [--seeds N]
//     [config keys] [--json]
// A progress line goes to stderr meanwhile; --json prints one object on stdout.
import { ConfigError, parseDecimal, type Config } from '../config/config';
import type { DeviceInfo } from '../engine';
import {
  runAudit,
  checkAudit,
  auditedConfig,
  DEFAULT_CANARIES,
  CANARY_KINDS,
  type AuditResult,
  type CanaryKind,
} from '../audit/run';
import { jsonInfinity } from '../privacy/report';
import { AUDIT_FLAWS, type AuditFlaw } from '../audit/flaws';
import { auditJson, auditText } from './audit-report';
import { seedLine, seedsText, summarizeSeeds } from './audit-seeds';
import { POWER_KEYS, POWER_RUN } from '../audit/power';
import { camel } from './args';

export { auditJson };

type Flags = Record<string, string | boolean>;
type ConfigFromFlags = (flags: Flags, extra: string[]) => { config: Config; rest: Flags };
type OpenDevice = (quiet: boolean) => Promise<{ device: GPUDevice; info: DeviceInfo & { adapterNote?: string } }>;

export const AUDIT_HELP =
  '  audit    --algo dpsgd|lazydp [--flaw none|noise-touched-rows-only|skip-final-flush] [--canaries M]\n' +
  '           [--canary-kind gradient|input] [--audit-seed S] [--confidence C] [--power] [--seeds N]\n' +
  '           [--key value ...] [--json]\n' +
  "           (one-run privacy audit: an ε lower bound from canaries beside the accountant's ε;\n" +
  '            the flaws are broken on purpose, for teaching; --power audits a full-batch run of the model\n' +
  '            (1,024 examples, q 31/32, 64 steps, σ for --target-epsilon, else 8), whose bound can reach\n' +
  '            the idealised one; --seeds N runs audit seeds S..S+N-1 (S = --audit-seed, else 1): each bound,\n' +
  '            the median and the largest)';

const AUDIT_FLAGS = ['flaw', 'canary-kind', 'canaries', 'audit-seed', 'confidence', 'power', 'seeds'];

function intFlag(v: string | boolean | undefined, key: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  // decimal only, as for config keys: '0x10' is refused, not read as 16
  const n = typeof v === 'string' ? parseDecimal(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(key, `needs a whole number in ${min} .. ${max}, in decimal, got ${String(v)}`);
  return n;
}

/** The audit's own flags, checked; the rest are config keys. */
export function auditFlags(rest: Flags): {
  flaw: AuditFlaw;
  canaryKind: CanaryKind;
  canaries: number;
  auditSeed?: number;
  confidence: number;
  power: boolean;
  seeds: number;
} {
  const flaw = (rest.flaw ?? 'none') as AuditFlaw;
  if (!AUDIT_FLAWS.includes(flaw))
    throw new ConfigError('flaw', `unknown flaw ${String(rest.flaw)} (one of ${AUDIT_FLAWS.join(', ')})`);
  const canaryKind = (rest['canary-kind'] ?? 'gradient') as CanaryKind;
  if (!CANARY_KINDS.includes(canaryKind))
    throw new ConfigError(
      'canary-kind',
      `unknown canary kind ${String(rest['canary-kind'])} (one of ${CANARY_KINDS.join(', ')})`,
    );
  const canaries = intFlag(rest.canaries, 'canaries', DEFAULT_CANARIES, 2, 1_000_000);
  const auditSeed =
    rest['audit-seed'] === undefined ? undefined : intFlag(rest['audit-seed'], 'audit-seed', 0, 0, 2 ** 32 - 1);
  const confidence =
    rest.confidence === undefined ? 0.95 : typeof rest.confidence === 'string' ? parseDecimal(rest.confidence) : NaN;
  if (!(confidence > 0 && confidence < 1))
    throw new ConfigError(
      'confidence',
      `needs a decimal number strictly between 0 and 1, got ${String(rest.confidence)}`,
    );
  const seeds = intFlag(rest.seeds, 'seeds', 1, 1, 1000);
  return { flaw, canaryKind, canaries, auditSeed, confidence, power: rest.power === true, seeds };
}

export async function auditCommand(
  flags: Flags,
  configFromFlags: ConfigFromFlags,
  openDevice: OpenDevice,
): Promise<void> {
  const { config, rest } = configFromFlags(flags, AUDIT_FLAGS);
  const { seeds, ...opts } = auditFlags(rest);
  if (opts.power) refusePowerKeys(flags);
  // before the device: a refused audit costs nothing
  checkAudit(auditedConfig(config, opts.power), opts.flaw, opts.canaries, opts.canaryKind);
  const json = !!rest.json;
  const { device, info } = await openDevice(json);
  const tty = process.stderr.isTTY;
  const broken = opts.flaw !== 'none' ? ` [BROKEN: ${opts.flaw}]` : '';
  const once = (auditSeed: number | undefined) =>
    runAudit(device, config, {
      ...opts,
      auditSeed,
      onProgress: (s, n) => process.stderr.write(`audit ${config.algo}${broken}: step ${s}/${n}${tty ? '\r' : '\n'}`),
    });
  try {
    if (seeds > 1) return await seedsCommand(once, opts.auditSeed ?? 1, seeds, json, info);
    const r = await once(opts.auditSeed);
    if (tty) process.stderr.write('\n');
    if (json) {
      console.log(JSON.stringify(auditJson(r, info), jsonInfinity));
      return;
    }
    for (const line of auditText(r)) console.log(line);
  } finally {
    device.destroy();
  }
}

/** --power sets the run's size itself: a size given with it is refused, never silently replaced. */
export function refusePowerKeys(flags: Flags): void {
  const given = Object.keys(flags).find((k) => (POWER_KEYS as readonly string[]).includes(camel(k)));
  if (given)
    throw new ConfigError(
      given,
      `--power trains its own run (${POWER_RUN.datasetSize} examples, batch ${POWER_RUN.batch}, ${POWER_RUN.steps} steps, Poisson sampling): drop --${given}, or audit without --power`,
    );
}

/** --seeds N: audit seeds first..first+N-1 one after the other, a line each, then the summary. */
async function seedsCommand(
  once: (seed: number) => Promise<AuditResult>,
  first: number,
  n: number,
  json: boolean,
  info: DeviceInfo,
): Promise<void> {
  const tty = process.stderr.isTTY;
  const runs: AuditResult[] = [];
  for (let k = 0; k < n; k++) {
    const r = await once((first + k) % 2 ** 32);
    if (tty) process.stderr.write('\n');
    runs.push(r);
    if (!json) console.log(seedLine(r));
  }
  const summary = summarizeSeeds(runs);
  if (json) {
    const each = runs.map((r) => auditJson(r, info));
    console.log(JSON.stringify({ command: 'audit', ...summary, runs: each, device: info }, jsonInfinity));
    return;
  }
  for (const line of seedsText(summary, runs)) console.log(line);
}
