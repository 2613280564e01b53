// The privacy numbers the lab shows, computed where the lab's worker (src/ui/workers/privacy-worker.ts)
// runs them: the preview of a configuration (sigma, epsilon from both accountants, the profile
// eps(delta)) and a run's epsilon after some steps. Same engine functions as the trainer and the
// CLI; PRV compositions take up to a second for long runs, which is why they are off the page's
// main thread.
import { isPrivate, PRV_MIN_DELTA, privacyKey, type Config } from '../../config/config';
import type { UrlIssue } from '../../config/url';
import { epsilonAfter, epsilonLogged, resolveSigma } from '../../engine/accounting';
import { privacyProfile, profileDeltas } from '../../privacy/prv';
import { computeEpsilon } from '../../privacy/rdp';
import { epsilonInfinite, noPrivacyReason } from '../../privacy/report';

export interface Preview {
  key: string;
  sigma?: number;
  prv?: number;
  rdp?: number;
  /** the profile of the noise mechanism over the run's steps: PRV upper bound and RDP per delta */
  profile?: { delta: number; prv: number; rdp: number }[];
  error?: string;
}

/** What the preview depends on: equal keys, equal previews. */
export const previewKey = privacyKey;

export function computePreview(c: Config): Preview {
  const p: Preview = { key: previewKey(c) };
  try {
    const sigma = resolveSigma(c);
    p.sigma = sigma;
    if (c.delta >= PRV_MIN_DELTA) p.prv = epsilonAfter({ ...c, accountant: 'prv' }, sigma, c.steps);
    p.rdp = epsilonAfter({ ...c, accountant: 'rdp' }, sigma, c.steps);
    if (sigma > 0 && c.delta >= PRV_MIN_DELTA) {
      const q = c.batch / c.datasetSize;
      const deltas = profileDeltas(c.delta);
      const prv = privacyProfile([{ q, sigma, steps: c.steps }], deltas);
      p.profile = deltas.map((d, i) => ({
        delta: d,
        prv: prv[i].epsilon,
        rdp: computeEpsilon({ q, sigma, steps: c.steps, delta: d }).epsilon,
      }));
    }
  } catch (e) {
    p.error = (e as Error).message;
  }
  return p;
}

/**
 * What whoever opens a link must know about its configuration: a private algorithm whose sigma
 * gives no finite epsilon (sigma 0, or too small for the accountant) trains without privacy.
 */
export function privacyWarnings(c: Config): UrlIssue[] {
  if (!isPrivate(c) || c.targetEpsilon > 0) return [];
  let eps: number | undefined;
  try {
    eps = epsilonAfter(c, c.sigma, c.steps);
  } catch {
    return [];
  }
  return epsilonInfinite(eps) ? [{ key: 'sigma', message: noPrivacyReason(c.sigma) }] : [];
}

/** An imported run's privacy, recomputed from its configuration: sigma, epsilon at each step asked, at its end. */
export interface Recomputed {
  sigma?: number;
  /** epsilon at each of the steps asked (as the trainer logs it) */
  epsilons?: (number | undefined)[];
  /** epsilon after the run's last step, exact */
  epsilon?: number;
  error?: string;
}

export function recompute(c: Config, steps: number[], stepsDone: number): Recomputed {
  try {
    const sigma = resolveSigma(c);
    const memo = new Map<number, number | undefined>();
    const at = (s: number) => (memo.has(s) ? memo.get(s) : memo.set(s, epsilonLogged(c, sigma, s)).get(s));
    return { sigma, epsilons: steps.map(at), epsilon: epsilonAfter(c, sigma, stepsDone) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A request to the privacy worker, and its answer. */
export type PrivacyRequest =
  | { id: number; kind: 'preview'; config: Config }
  /** sigma of the configuration (calibrated when it sets a target epsilon) */
  | { id: number; kind: 'sigma'; config: Config }
  /** epsilon of a log point (epsilonLogged) or of a run's end (epsilonAfter) */
  | { id: number; kind: 'logged' | 'after'; config: Config; sigma: number; steps: number }
  /** the no-privacy warnings of a link's configuration */
  | { id: number; kind: 'link'; config: Config }
  /** an imported run's epsilon at its log points and end, from its configuration */
  | { id: number; kind: 'imported'; config: Config; steps: number[]; stepsDone: number };

export type PrivacyAnswer =
  | { id: number; kind: 'preview'; preview: Preview }
  | { id: number; kind: 'logged' | 'after'; epsilon?: number; error?: string }
  | { id: number; kind: 'sigma'; sigma?: number; error?: string }
  | { id: number; kind: 'link'; warnings: UrlIssue[] }
  | { id: number; kind: 'imported'; recomputed: Recomputed }
  /** a preview request that a newer one replaced before it started */
  | { id: number; kind: 'stale' };

/** Answers one request (the worker's body; also the fallback where no Worker exists). */
export function answer(r: PrivacyRequest): PrivacyAnswer {
  if (r.kind === 'preview') return { id: r.id, kind: 'preview', preview: computePreview(r.config) };
  if (r.kind === 'link') return { id: r.id, kind: 'link', warnings: privacyWarnings(r.config) };
  if (r.kind === 'imported')
    return { id: r.id, kind: 'imported', recomputed: recompute(r.config, r.steps, r.stepsDone) };
  if (r.kind === 'sigma') {
    try {
      return { id: r.id, kind: 'sigma', sigma: resolveSigma(r.config) };
    } catch (e) {
      return { id: r.id, kind: 'sigma', error: (e as Error).message };
    }
  }
  try {
    const f = r.kind === 'logged' ? epsilonLogged : epsilonAfter;
    return { id: r.id, kind: r.kind, epsilon: f(r.config, r.sigma, r.steps) };
  } catch (e) {
    return { id: r.id, kind: r.kind, error: (e as Error).message };
  }
}
