// What the CLI's `audit` prints (text and JSON): the same privacy object as `train` (guaranteed,
// reasons, notes), and a verdict that says what a lower bound below epsilon can and cannot mean.
import type { DeviceInfo } from '../engine';
import type { AuditResult, ScoreSummary } from '../audit/run';
import { fmtEpsilon } from '../privacy/report';
import { auditPrivacy, auditVerdict } from '../audit/verdict';

export { auditPrivacy, auditVerdict, type AuditVerdict } from '../audit/verdict';
import { idealBoundForRun, type IdealBound } from '../audit/ideal';
import { lowPowerNote } from '../audit/power';

/** What the audited run was: the power run says its size and ε; a sparse plain run says --power can do more. */
export function powerLine(r: AuditResult): string | undefined {
  const c = r.auditConfig;
  if (r.power)
    return (
      `power audit: ${c.datasetSize} examples, q = ${(c.batch / c.datasetSize).toPrecision(3)}, ${c.steps} steps, ` +
      `sigma ${r.sigma.toPrecision(4)} calibrated to epsilon ${c.targetEpsilon} (${r.seconds.toFixed(0)} s)`
    );
  return lowPowerNote(c);
}

/**
 * The idealised bound beside the measured one: the Gaussian mechanism with this run's ε at its δ,
 * the same number of canaries, guessed the same way (src/audit/ideal.ts; median of 5 seeded draws,
 * 1 above 20,000 canaries to keep it quick).
 */
export function auditIdeal(r: AuditResult): IdealBound {
  return idealBoundForRun(r.canaries, r.epsilon, r.delta, {
    confidence: r.confidence,
    draws: r.canaries > 20_000 ? 1 : 5,
  });
}

export const MORE_CANARIES =
  'more canaries help: the same accuracy over more guesses is less likely by chance, so the bound climbs toward epsilon';

export function auditJson(r: AuditResult, device: DeviceInfo): Record<string, unknown> {
  const { canaryScores: _s, member: _m, ...rest } = r;
  const privacy = auditPrivacy(r);
  const { verdict, text } = auditVerdict(r, privacy);
  return {
    ...rest,
    idealBound: auditIdeal(r),
    idealBoundText: MORE_CANARIES,
    privacy,
    verdict,
    verdictText: text,
    device,
  };
}

/** A confidence as a percentage with the digits it needs: 0.999999999 is 99.9999999%, never 100%. */
export function fmtConfidence(c: number): string {
  const pct = c * 100;
  for (let d = 2; d <= 17; d++) {
    const s = pct.toPrecision(d);
    if (Number(s) >= 100 && pct < 100) continue;
    if (Math.abs(Number(s) - pct) <= 1e-9 * pct || d === 17) return String(Number(s));
  }
  return String(pct);
}

/** A median, or n/a with the reason when the coin flips left that group empty. */
function median(s: ScoreSummary, group: 'in' | 'out', canaries: number): string {
  if (s.count > 0) return s.median.toExponential(3);
  return `n/a (no "${group}" canaries: the audit seed's coin flips put all ${canaries} ${group === 'in' ? 'out' : 'in'}; use more canaries)`;
}

function idealLine(r: AuditResult): string {
  const i = auditIdeal(r);
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : fmtEpsilon(x));
  return (
    `idealised bound ${f(i.epsilonLower)} (draws ${f(i.min)} .. ${f(i.max)}): a Gaussian mechanism with this run's epsilon ` +
    `${f(r.epsilon)} at delta ${r.delta}, audited the same way with ${r.canaries} canaries; ${MORE_CANARIES}`
  );
}

/** The text report, line by line. */
export function auditText(r: AuditResult): string[] {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : fmtEpsilon(x));
  const p = auditPrivacy(r);
  const lines: string[] = [];
  if (r.broken) lines.push(`WARNING: ${r.flawText}. This run exists only to show that the audit catches it.`);
  lines.push(
    `canaries ${r.canaries} (${r.inCanaries} in, audit seed ${r.auditSeed}); ` +
      `guesses ${r.guesses} (${r.kIn} in, ${r.kOut} out), correct ${r.correct}`,
    `scores (${r.canaryKind} canaries: ${r.scoreText}): ` +
      `in median ${median(r.scores.in, 'in', r.canaries)} (${r.scores.in.zeros} unmoved), ` +
      `out median ${median(r.scores.out, 'out', r.canaries)} (${r.scores.out.zeros} unmoved)`,
    `epsilon lower bound ${f(r.epsilonLower)} (${fmtConfidence(r.confidence)}% confidence) ` +
      `vs accountant epsilon ${f(r.epsilon)} at delta ${r.delta}` +
      (p.guaranteed ? '' : ' (NOT a guarantee)'),
    idealLine(r),
    auditVerdict(r, p).text,
  );
  const power = powerLine(r);
  if (power) lines.push(power);
  for (const why of p.reasons) lines.push(`not a guarantee: ${why}`);
  return lines;
}
