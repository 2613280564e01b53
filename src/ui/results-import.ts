// A colleague's "Download JSON" file, read back: its runs' curves become earlier runs that can be
// overlaid on the training charts. Only what the curves need is taken (algorithm, configuration,
// log points); a file that is not such a download gets one specific message, nothing half-loaded.

import { ALGOS, makeConfigLenient, type Algo, type Config } from '../config/config';
import { zeroStages, type LogPoint } from '../engine';

/** at most this many runs and log points per run are read from one file */
export const MAX_IMPORTED_RUNS = 24;
const MAX_POINTS = 20_000;

export interface ImportedRun {
  algo: Algo;
  requested: Config;
  config: Config;
  seedFixed: boolean;
  log: LogPoint[];
  stepsDone: number;
}

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
  const d = doc as { lab?: unknown; runs?: unknown };
  if (!d || typeof d !== 'object' || d.lab !== 'dp-webgpu-lab')
    throw new Error('not a results file of this lab ("lab": "dp-webgpu-lab" missing)');
  if (!Array.isArray(d.runs)) throw new Error('the file has no "runs" list');
  const out: ImportedRun[] = [];
  d.runs.forEach((raw: unknown, i: number) => {
    const r = raw as {
      algo?: unknown;
      requested?: unknown;
      config?: unknown;
      seedFixed?: unknown;
      summary?: { log?: unknown } | null;
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
        epsilon: num(p.epsilon),
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
      seedFixed: r.seedFixed === true,
      log,
      stepsDone: log[log.length - 1].step,
    });
  });
  if (!out.length) throw new Error('the file holds no run with curves');
  if (out.length > MAX_IMPORTED_RUNS)
    throw new Error(`${out.length} runs; at most ${MAX_IMPORTED_RUNS} are read from one file`);
  return out;
}
