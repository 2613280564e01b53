// The deliberate flaws' names and descriptions, apart from their kernel so the UI can load them
// before any GPU code.
import { ALGORITHMS, type AlgoName } from '../algorithms';
export const AUDIT_FLAWS = ['none', 'noise-touched-rows-only', 'skip-final-flush'] as const;
export type AuditFlaw = (typeof AUDIT_FLAWS)[number];

/** What each flaw does, in words for the CLI and the lab. */
export const FLAW_TEXT: Record<AuditFlaw, string> = {
  none: 'honest run: the algorithm as the accountant assumes it',
  'noise-touched-rows-only':
    'BROKEN on purpose: DP-SGD that adds noise only to the rows the batch touched (naive sparse DP-SGD)',
  'skip-final-flush':
    'BROKEN on purpose: LazyDP without its flush (pending noise is never added before the model is read, ' +
    'at evaluations or at the end: rows no later batch reads keep none)',
};

/** Whose bug each flaw imitates, in words for messages. */
export const FLAW_BUG_OF: Record<Exclude<AuditFlaw, 'none'>, string> = {
  'noise-touched-rows-only': 'eager DP-SGD',
  'skip-final-flush': 'LazyDP',
};

/** The algorithm each flaw belongs to: the first registered one that declares it (src/algorithms/). */
export const FLAW_ALGO = Object.fromEntries(
  AUDIT_FLAWS.filter((f) => f !== 'none').map((f) => [f, ALGORITHMS.find((a) => a.audit.flaws.includes(f))!.name]),
) as Record<Exclude<AuditFlaw, 'none'>, AlgoName>;

/** The algorithms the audit runs (private ones), for messages and pickers. */
export const AUDITED = ALGORITHMS.filter((a) => a.audit.runs);
