// A colleague's "Download JSON" file, read back: its runs' curves become earlier runs that can be
// overlaid on the training charts. Only what the curves need is taken (algorithm, configuration,
// log points); a file that is not such a download gets one specific message, nothing half-loaded.
// A file's privacy claims are never taken on trust: its epsilon is kept only as "what the file
// claims", the lab's accountant recomputes epsilon from the run's configuration (in the privacy
// worker), and a fixed seed in either configuration counts whatever the file's flag says.

import { ALGOS, isPrivate, makeConfigLenient, type Algo, type Config } from '../../config/config';
import { zeroStages, type LogPoint } from '../../engine';
import { fmtEpsilon, privacyReport, type PrivacyReport } from '../../privacy/report';
import { requestRecompute } from '../workers/privacy-client';
import { store, type ImportedRun, type RunRecord } from './store';
import { cleanText } from '../../config/url-text';

/** at most this many runs and log points per run are read from one file */
export const MAX_IMPORTED_RUNS = 24;
const MAX_POINTS = 20_000;

// ImportedRun lives in the store (which holds imported runs), so that the store needs nothing of this module
export type { ImportedRun } from './store';

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : v === 'Infinity' ? Infinity : undefined;

/** The runs of a results JSON with curves; throws an Error whose message says what is wrong. */
export function parseResultsJson(text: string): ImportedRun[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`, { cause: e });
  }
  const d = doc as { lab?: unknown; runs?: unknown; device?: unknown };
  if (!d || typeof d !== 'object' || d.lab !== 'dp-webgpu-lab')
    throw new Error('not a results file of this lab ("lab": "dp-webgpu-lab" missing)');
  if (!Array.isArray(d.runs)) throw new Error('the file has no "runs" list');
  const out: ImportedRun[] = [];
  const importedDevice = deviceText(d.device);
  d.runs.forEach((raw: unknown, i: number) => {
    const r = raw as {
      algo?: unknown;
      requested?: unknown;
      config?: unknown;
      seedFixed?: unknown;
      summary?: { log?: unknown; epsilon?: unknown } | null;
      privacy?: { epsilon?: unknown; guaranteed?: unknown } | null;
      log?: unknown;
    };
    if (!r || typeof r !== 'object') throw new Error(`run ${i + 1}: not an object`);
    if (!(ALGOS as readonly unknown[]).includes(r.algo))
      throw new Error(`run ${i + 1}: unknown algorithm ${JSON.stringify(r.algo)?.slice(0, 40)}`);
    const read = (c: unknown, what: string): Config => {
      if (!c || typeof c !== 'object') throw new Error(`run ${i + 1}: no ${what} configuration`);
      const { config, errors } = makeConfigLenient(c as Record<string, unknown>);
      if (errors.length) throw new Error(`run ${i + 1}: ${what} configuration: ${errors[0].message}`);
      return config;
    };
    const config = read(r.config ?? r.requested, 'resolved');
    const requested = r.requested ? read(r.requested, 'requested') : config;
    const rawLog = r.summary?.log ?? r.log;
    if (!Array.isArray(rawLog)) throw new Error(`run ${i + 1}: no log points`);
    const log: LogPoint[] = [];
    for (const p of rawLog.slice(0, MAX_POINTS) as {
      step?: unknown;
      loss?: unknown;
      auc?: unknown;
      epsilon?: unknown;
      evalLoss?: unknown;
    }[]) {
      const step = num(p?.step);
      const loss = num(p?.loss);
      if (step === undefined || loss === undefined || !Number.isInteger(step) || step < 0)
        throw new Error(`run ${i + 1}: a log point without a step and a loss`);
      log.push({
        step,
        loss,
        auc: num(p.auc),
        evalLoss: num(p.evalLoss),
        stageMs: zeroStages(),
        stepsPerSec: 0,
        examples: 0,
      });
    }
    if (!log.length) return; // a run that never logged: nothing to draw
    out.push({
      algo: r.algo as Algo,
      requested,
      config,
      seedFixed: r.seedFixed === true || config.seed !== 'random' || requested.seed !== 'random',
      log,
      stepsDone: log[log.length - 1].step,
      claimedEpsilon: num(r.privacy?.epsilon) ?? num(r.summary?.epsilon) ?? num(rawLog.at(-1)?.epsilon),
      claimedGuaranteed: r.privacy?.guaranteed === true,
      ...(importedDevice ? { importedDevice } : {}),
    });
  });
  if (!out.length) throw new Error('the file holds no run with curves');
  if (out.length > MAX_IMPORTED_RUNS)
    throw new Error(`${out.length} runs; at most ${MAX_IMPORTED_RUNS} are read from one file`);
  return out;
}

/** The device a results file names (its adapter's description, else vendor and architecture), as safe text. */
function deviceText(dev: unknown): string | undefined {
  if (typeof dev === 'string') return cleanText(dev, 80) || undefined;
  if (!dev || typeof dev !== 'object') return undefined;
  const x = dev as { description?: unknown; vendor?: unknown; architecture?: unknown };
  const parts = [x.description].filter((v) => typeof v === 'string' && v.trim());
  if (!parts.length) parts.push(...[x.vendor, x.architecture].filter((v) => typeof v === 'string' && v.trim()));
  return cleanText(parts.join(' '), 80) || undefined;
}

/** Adds a file's runs to the lab and has the privacy worker recompute each one's epsilon. */
export function loadImported(file: string, runs: ImportedRun[]): Promise<void> {
  const recs = store.importRuns(file, runs);
  return Promise.all(recs.map(recomputeImported)).then(() => undefined);
}

/** Epsilon at each log point and at the end, by the lab's accountant, from the run's configuration. */
async function recomputeImported(r: RunRecord): Promise<void> {
  try {
    r.recomputed = await requestRecompute(
      r.config,
      r.log.map((p) => p.step),
      r.stepsDone,
    );
  } catch (e) {
    r.recomputed = { error: (e as Error).message };
  }
  const eps = r.recomputed.epsilons;
  if (eps) r.log = r.log.map((p, i) => ({ ...p, epsilon: eps[i] }));
  store.runs = [...store.runs];
  store.changed();
}

/** The lab's epsilon for an imported run: undefined until recomputed (or when it could not be). */
export function recomputedEpsilon(r: RunRecord): number | undefined {
  if (!isPrivate(r.config)) return Infinity;
  return r.recomputed?.epsilon;
}

/** Two epsilons the same to the 3 digits shown (both infinite counts as the same). */
const sameEps = (a: number, b: number) =>
  a === b || (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 5e-4 * Math.max(Math.abs(a), Math.abs(b)));

/**
 * What an imported run's file claims that the lab does not confirm, in words ('file claims ε 0.5;
 * recomputed 16.1'); undefined when the file claims nothing or the lab agrees.
 */
export function claimNote(r: RunRecord): string | undefined {
  if (r.source !== 'imported' || r.claimedEpsilon === undefined) return undefined;
  const claim = `file claims ε ${fmtEpsilon(r.claimedEpsilon)}`;
  if (r.recomputed?.error !== undefined) return `${claim}; the lab could not recompute it (${r.recomputed.error})`;
  const mine = recomputedEpsilon(r);
  if (mine === undefined) return `${claim}; recomputing`;
  return sameEps(r.claimedEpsilon, mine) ? undefined : `${claim}; recomputed ${fmtEpsilon(mine)}`;
}

export const importedReason = (file: string | undefined): string =>
  `imported from ${file ?? 'a results file'}: trained elsewhere; epsilon is recomputed here from the configuration the file states, which the lab cannot check against what was run`;

/**
 * The privacy of an imported run as the lab states it (in the JSON download): its own epsilon,
 * never the file's, and never a guarantee, since the lab did not train the run.
 */
export function importedPrivacy(r: RunRecord): PrivacyReport {
  const epsilon = isPrivate(r.config) ? r.recomputed?.epsilon : undefined;
  const p = privacyReport(r.config, { epsilon, seedFixed: r.seedFixed, sigma: r.recomputed?.sigma });
  const reasons = [importedReason(r.importedFrom), ...p.reasons];
  if (isPrivate(r.config) && epsilon === undefined)
    reasons.push(
      r.recomputed?.error !== undefined
        ? `the lab's accountant could not compute epsilon: ${r.recomputed.error}`
        : 'epsilon not recomputed yet',
    );
  const accounting: PrivacyReport['accounting'] =
    p.accounting === 'none' ? 'none' : `${r.config.accountant}-poisson-not-guaranteed`;
  return { ...p, accounting, guaranteed: false, reasons };
}
