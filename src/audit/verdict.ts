// The audit's verdict and the privacy object of the run it trained, shared by the CLI's report
// (src/cli/audit-report.ts) and the lab's Audit view, so that both say the same thing: a lower
// bound below epsilon cannot make epsilon a guarantee where the run has none (fixed seed,
// shuffled batches, sigma 0).
import type { AuditResult } from './run';
import { epsilonInfinite, privacyReport, type PrivacyReport } from '../privacy/report';

/**
 * 'false': the lower bound exceeds a finite epsilon (the claim is caught false).
 * 'consistent': it does not, and epsilon is a guarantee.
 * 'consistent-not-guaranteed': it does not, but epsilon is no guarantee for this run anyway.
 * 'no-claim': epsilon is infinite, so there is no claim a bound could contradict.
 */
export type AuditVerdict = 'false' | 'consistent' | 'consistent-not-guaranteed' | 'no-claim';

/** The privacy object `train --json` writes, for the run the audit trained. */
export function auditPrivacy(r: AuditResult): PrivacyReport {
  const c = r.auditConfig;
  return privacyReport(c, { epsilon: r.epsilon, seedFixed: c.seed !== 'random', sigma: r.sigma });
}

export function auditVerdict(r: AuditResult, p: PrivacyReport): { verdict: AuditVerdict; text: string } {
  if (epsilonInfinite(r.epsilon))
    return {
      verdict: 'no-claim',
      text:
        'no claim to test: the accountant gives epsilon = ∞ (no privacy), which no lower bound can contradict; ' +
        'the bound only measures how much these canaries leak',
    };
  if (r.epsilonLower > r.epsilon)
    return {
      verdict: 'false',
      text: "the privacy claim is FALSE for this run: the lower bound exceeds the accountant's epsilon",
    };
  if (!p.guaranteed)
    return {
      verdict: 'consistent-not-guaranteed',
      text:
        "consistent, but epsilon is NOT a guarantee for this run (reasons below): the lower bound does not exceed the accountant's epsilon, " +
        'which only says these canaries, guessed from the weights alone, leak no more than it allows; it cannot make epsilon hold',
    };
  return {
    verdict: 'consistent',
    text: "consistent: the lower bound does not exceed the accountant's epsilon (this cannot prove the claim true)",
  };
}
