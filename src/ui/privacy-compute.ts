// The privacy numbers the lab shows, computed where the lab's worker (src/ui/privacy-worker.ts)
// runs them: the preview of a configuration (sigma, epsilon from both accountants, the profile
// eps(delta)) and a run's epsilon after some steps. Same engine functions as the trainer and the
// CLI; PRV compositions take up to a second for long runs, which is why they are off the page's
// main thread.
import { PRV_MIN_DELTA, privacyKey, type Config } from '../config/config';
import { epsilonAfter, epsilonLogged, resolveSigma } from '../engine/accounting';
import { privacyProfile, profileDeltas } from '../privacy/prv';
import { computeEpsilon } from '../privacy/rdp';

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

/** A request to the privacy worker, and its answer. */
export type PrivacyRequest =
  | { id: number; kind: 'preview'; config: Config }
  /** sigma of the configuration (calibrated when it sets a target epsilon) */
  | { id: number; kind: 'sigma'; config: Config }
  /** epsilon of a log point (epsilonLogged) or of a run's end (epsilonAfter) */
  | { id: number; kind: 'logged' | 'after'; config: Config; sigma: number; steps: number };

export type PrivacyAnswer =
  | { id: number; kind: 'preview'; preview: Preview }
  | { id: number; kind: 'logged' | 'after'; epsilon?: number; error?: string }
  | { id: number; kind: 'sigma'; sigma?: number; error?: string }
  /** a preview request that a newer one replaced before it started */
  | { id: number; kind: 'stale' };

/** Answers one request (the worker's body; also the fallback where no Worker exists). */
export function answer(r: PrivacyRequest): PrivacyAnswer {
  if (r.kind === 'preview') return { id: r.id, kind: 'preview', preview: computePreview(r.config) };
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
