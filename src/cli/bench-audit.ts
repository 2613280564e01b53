// The audit line of `npm run bench` (the fixed set): the power audit (src/audit/power.ts) of the
// bench's model (the default one for the set) at its target epsilon, else 8, with 1,000 gradient canaries, for dpsgd and lazydp, one audit seed
// each, beside the idealised bound. The benchmark of docs/audit.md is the median over 5 seeds
// (`audit --power --seeds 5`); one seed keeps the bench to about a minute more on SwiftShader.
import { ConfigError, type Config } from '../config/config';
import { POWER_AUDITED, runAudit, type AuditResult } from '../audit/run';
import { POWER_EPSILON } from '../audit/power';
import { auditIdeal } from './audit-report';

const CANARIES = 1000;
const SEED = 1;

/**
 * Whether this bench ends with the power audit: `--audit on|off`, on by default for the fixed set
 * (`npm run bench`) and off for one configuration or a link. Checked before the device opens.
 */
export function benchAuditWanted(v: string | boolean | undefined, mode: 'set' | 'config' | 'url'): boolean {
  if (v === undefined) return mode === 'set';
  if (v === 'on' || v === 'off') return v === 'on';
  throw new ConfigError('audit', `needs on or off, got ${String(v)}`);
}

export interface BenchAudit {
  epsilon: number;
  canaries: number;
  auditSeed: number;
  idealBound?: number;
  runs: { algo: string; epsilonLower?: number; accountantEpsilon?: number; seconds?: number; error?: string }[];
}

/** Runs the power audits (a failure is recorded, not thrown: the bench's timings stand). */
export async function benchAudit(
  device: GPUDevice,
  model: Config,
  progress: (text: string) => void,
): Promise<BenchAudit> {
  const epsilon = model.targetEpsilon > 0 ? model.targetEpsilon : POWER_EPSILON;
  const out: BenchAudit = { epsilon, canaries: CANARIES, auditSeed: SEED, runs: [] };
  for (const algo of POWER_AUDITED) {
    const config: Config = { ...model, algo, targetEpsilon: epsilon };
    try {
      const r: AuditResult = await runAudit(device, config, {
        power: true,
        canaries: CANARIES,
        auditSeed: SEED,
        onProgress: (s, n) => progress(`audit ${algo} (power): step ${s}/${n}`),
      });
      out.idealBound ??= auditIdeal(r).epsilonLower;
      out.runs.push({ algo, epsilonLower: r.epsilonLower, accountantEpsilon: r.epsilon, seconds: r.seconds });
    } catch (e) {
      out.runs.push({ algo, error: (e as Error).message });
    }
  }
  return out;
}

export function benchAuditLine(a: BenchAudit): string {
  const runs = a.runs.map((r) =>
    r.error !== undefined
      ? `${r.algo} failed: ${r.error}`
      : `${r.algo} ${r.epsilonLower!.toFixed(2)} (${r.seconds!.toFixed(0)} s)`,
  );
  return (
    `audit (power run, epsilon ${a.epsilon}, ${a.canaries} gradient canaries, audit seed ${a.auditSeed}): ` +
    `lower bound ${runs.join(', ')}; idealised ${a.idealBound?.toFixed(2) ?? 'n/a'}` +
    ' (goal: median of 5 seeds >= 2, `audit --power --seeds 5`)'
  );
}
