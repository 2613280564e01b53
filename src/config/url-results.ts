// The measured results a link carries ("Share results"): the `r.*` fields, their encoding and
// decoding (per-algorithm medians and spread, the table-size sweep). Split from url.ts, which
// re-exports the types and MAX_SHARED_SWEEP.

import { ALGOS, type Algo } from './config';
import { STAGES, type StageTimes, type TimingSource } from '../engine/types';
import type { UrlIssue } from './url';
import { cleanText, esc, safeKey, show } from './url-text';

/** Measured numbers a sender attaches to a link ("Share results"). */
export interface SharedResults {
  /** device description, free text (shown, never interpreted) */
  device: string;
  timing: TimingSource;
  /** per algorithm: per-stage medians and the median step time, milliseconds */
  algos: Partial<Record<Algo, SharedAlgo>>;
  /** when the sender measured: ISO date and time to the minute, UTC ('2026-12-01T22:30Z') */
  date?: string;
  /** the sender's browser, free text ('Chrome 131'; shown, never interpreted) */
  browser?: string;
  /** the sender's table-size sweep (measured points only) */
  sweep?: SharedSweepPoint[];
  /** the sender's privacy-utility frontier (r.frontier, r.fbase, r.fceil) */
  frontier?: SharedFrontier;
}

/** One (algorithm, target ε) of a shared frontier: AUC mean and sd over seeds, step ms, rows written per step. */
export interface SharedFrontierPoint {
  algo: Algo;
  eps: number;
  auc: number;
  sd: number;
  stepMs: number;
  rows: number;
}

export interface SharedFrontier {
  points: SharedFrontierPoint[];
  /** the non-private baseline's held-out AUC, and the planted teacher's (the ceiling) */
  baseline?: number;
  teacher?: number;
}

/** a link carries at most this many frontier points (6 algorithms x 12 targets) */
export const MAX_SHARED_FRONTIER = 72;

export interface SharedSweepPoint {
  algo: Algo;
  totalRows: number;
  stepMs: number;
  spread?: { p10: number; p90: number };
}

/** a link carries at most this many sweep points (a sweep of 16 sizes × 4 algorithms) */
export const MAX_SHARED_SWEEP = 64;

/** One algorithm's shared numbers: medians, and (links from this version on) spread and step count. */
export interface SharedAlgo {
  stageMs: StageTimes;
  stepMs: number;
  /** p10-p90 of the per-step sums, milliseconds */
  spread?: { p10: number; p90: number };
  /** steps the medians are over */
  steps?: number;
}

// ---------- encoding ----------

/** Result numbers need no more than 4 significant digits. */
function shortNum(n: number): string {
  // plain decimals only (the reader refuses exponents): below a nanosecond is 0
  if (!Number.isFinite(n) || n < 1e-6) return '0';
  return String(Number(n.toPrecision(4)));
}

/** The `r.*` fields of a link, in order (encodeState appends them). */
export function encodeResults(r: SharedResults): string[] {
  const parts: string[] = [];
  parts.push(`r.dev=${esc(cleanText(r.device, 200))}`, `r.timing=${r.timing}`);
  if (r.date) parts.push(`r.date=${esc(r.date)}`);
  if (r.browser) parts.push(`r.browser=${esc(cleanText(r.browser, 100))}`);
  for (const algo of ALGOS) {
    const a = r.algos[algo];
    if (!a) continue;
    // the median step can fall below the sum of the stages' medians; the reader allows 1%, so
    // the step written is never further below it than that
    const stages = STAGES.map((s) => Number(shortNum(a.stageMs[s])));
    const sum = stages.reduce((x, y) => x + y, 0);
    const step = Number(shortNum(Math.max(a.stepMs, sum / 1.005)));
    // optional tail: p10, p90 (around the step as written) and the steps measured
    const tail =
      a.spread && a.steps
        ? [shortNum(Math.min(a.spread.p10, step)), shortNum(Math.max(a.spread.p90, step)), String(Math.round(a.steps))]
        : [];
    parts.push(`r.${algo}=${[...[...stages, step].map(shortNum), ...tail].join('_')}`);
  }
  const sweep = (r.sweep ?? []).slice(0, MAX_SHARED_SWEEP);
  const point = (p: SharedSweepPoint) => {
    const spread = p.spread
      ? [shortNum(Math.min(p.spread.p10, p.stepMs)), shortNum(Math.max(p.spread.p90, p.stepMs))]
      : [];
    return [p.algo, Math.round(p.totalRows), shortNum(p.stepMs), ...spread].join(':');
  };
  if (sweep.length) parts.push(`r.sweep=${sweep.map(point).join(',')}`);
  if (r.frontier) parts.push(...encodeFrontier(r.frontier));
  return parts;
}

/** `r.frontier=algo:eps:auc:sd:ms:rows,...`, `r.fbase=auc`, `r.fceil=auc` (4 significant digits). */
function encodeFrontier(f: SharedFrontier): string[] {
  const pts = f.points.slice(0, MAX_SHARED_FRONTIER);
  const point = (p: SharedFrontierPoint) =>
    [p.algo, shortNum(p.eps), shortNum(p.auc), shortNum(p.sd), shortNum(p.stepMs), shortNum(p.rows)].join(':');
  const parts = pts.length ? [`r.frontier=${pts.map(point).join(',')}`] : [];
  if (f.baseline !== undefined) parts.push(`r.fbase=${shortNum(f.baseline)}`);
  if (f.teacher !== undefined) parts.push(`r.fceil=${shortNum(f.teacher)}`);
  return parts;
}

// ---------- decoding ----------

/** A time in ms as a plain decimal: no hexadecimal, exponent, sign, Infinity or spaces. */
function plainMs(p: string): number {
  const n = /^\d{1,10}(\.\d{1,12})?$/.test(p) ? Number(p) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1e9)
    throw new Error(`expected a time in ms as a plain decimal number, got ${show(p)}`);
  return n;
}

/** p10 <= median <= p90, with slack for numbers rounded to 4 digits. */
function checkSpread(p10: number, mid: number, p90: number): void {
  if (p10 > mid * 1.01 + 0.01 || p90 < mid / 1.01 - 0.01)
    throw new Error(`the spread ${p10}-${p90} ms does not hold the median ${mid} ms (expected p10 <= median <= p90)`);
}

function decodeResultNumbers(raw: string): SharedAlgo {
  const parts = raw.split('_');
  const n = STAGES.length + 1;
  if (parts.length !== n && parts.length !== n + 3)
    throw new Error(
      `expected ${n} numbers (${STAGES.join(', ')}, step) joined by '_', or ${n + 3} (then p10, p90, steps), got ${parts.length}`,
    );
  const ns = parts.map(plainMs);
  const stageMs = Object.fromEntries(STAGES.map((s, i) => [s, ns[i]])) as StageTimes;
  const stepMs = ns[STAGES.length];
  const sum = ns.slice(0, STAGES.length).reduce((a, b) => a + b, 0);
  // a step holds all its stages; 1% (and 0.01 ms) of slack for medians rounded to 4 digits
  if (stepMs < sum / 1.01 - 0.01)
    throw new Error(
      `the step time (${stepMs} ms) is less than the sum of its stages (${Number(sum.toPrecision(6))} ms)`,
    );
  if (parts.length === n) return { stageMs, stepMs };
  const [p10, p90, steps] = ns.slice(n);
  checkSpread(p10, stepMs, p90);
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`expected the steps measured as a whole number >= 1, got ${show(parts[n + 2])}`);
  return { stageMs, stepMs, spread: { p10, p90 }, steps };
}

/** `algo:rows:ms[:p10:p90]` joined by ','. */
function decodeSweep(raw: string): SharedSweepPoint[] {
  const items = raw.split(',');
  if (items.length > MAX_SHARED_SWEEP) throw new Error(`at most ${MAX_SHARED_SWEEP} sweep points, got ${items.length}`);
  return items.map((item) => {
    const f = item.split(':');
    if (f.length !== 3 && f.length !== 5)
      throw new Error(`expected algo:rows:ms or algo:rows:ms:p10:p90, got ${show(item)}`);
    if (!(ALGOS as readonly string[]).includes(f[0])) throw new Error(`unknown algorithm ${show(f[0])} in the sweep`);
    const rows = /^\d{1,12}$/.test(f[1]) ? Number(f[1]) : NaN;
    if (!(rows >= 1)) throw new Error(`expected a row count as a whole number, got ${show(f[1])}`);
    const stepMs = plainMs(f[2]);
    const p: SharedSweepPoint = { algo: f[0] as Algo, totalRows: rows, stepMs };
    if (f.length === 5) {
      p.spread = { p10: plainMs(f[3]), p90: plainMs(f[4]) };
      checkSpread(p.spread.p10, stepMs, p.spread.p90);
    }
    return p;
  });
}

/** An AUC as a plain decimal in [0, 1]. */
function plainAuc(p: string): number {
  const n = /^\d(\.\d{1,12})?$/.test(p) ? Number(p) : NaN;
  if (!(n >= 0 && n <= 1)) throw new Error(`expected an AUC in [0, 1] as a plain decimal, got ${show(p)}`);
  return n;
}

/** A non-negative plain decimal (`what` names it in the message). */
function plainNumber(p: string, what: string): number {
  try {
    return plainMs(p);
  } catch {
    throw new Error(`expected ${what} as a plain decimal number, got ${show(p)}`);
  }
}

/** `algo:eps:auc:sd:ms:rows` joined by ','. */
function decodeFrontier(raw: string): SharedFrontierPoint[] {
  const items = raw.split(',');
  if (items.length > MAX_SHARED_FRONTIER)
    throw new Error(`at most ${MAX_SHARED_FRONTIER} frontier points, got ${items.length}`);
  return items.map((item) => {
    const f = item.split(':');
    if (f.length !== 6) throw new Error(`expected algo:eps:auc:sd:ms:rows, got ${show(item)}`);
    if (!(ALGOS as readonly string[]).includes(f[0]))
      throw new Error(`unknown algorithm ${show(f[0])} in the frontier`);
    const eps = plainNumber(f[1], 'a target epsilon');
    if (!(eps > 0)) throw new Error(`expected a target epsilon > 0, got ${show(f[1])}`);
    return {
      algo: f[0] as Algo,
      eps,
      auc: plainAuc(f[2]),
      sd: plainNumber(f[3], 'an AUC standard deviation'),
      stepMs: plainMs(f[4]),
      rows: plainNumber(f[5], 'rows written per step'),
    };
  });
}

/** r.frontier, r.fbase, r.fceil into `results.frontier`; a bad field is dropped with its issue. */
function decodeFrontierField(k: string, raw: string, results: SharedResults, issues: UrlIssue[]): void {
  const f = (results.frontier ??= { points: [] });
  try {
    if (k === 'frontier') f.points = decodeFrontier(raw);
    else if (k === 'fbase') f.baseline = plainAuc(raw);
    else f.teacher = plainAuc(raw);
  } catch (e) {
    issues.push({ key: `r.${k}`, message: `${(e as Error).message}; ignored` });
  }
}

/**
 * The `r.*` fields read from a link (keys without the `r.` prefix). One issue per field that
 * could not be read; undefined when there were none or none could be read.
 */
export function decodeResults(resultParts: Record<string, string>, issues: UrlIssue[]): SharedResults | undefined {
  const rKeys = Object.keys(resultParts);
  if (rKeys.length === 0) return undefined;
  const results: SharedResults = { device: '', timing: 'cpu', algos: {} };
  for (const k of rKeys) {
    const raw = resultParts[k];
    // free text, shown as it is: never with controls or bidi overrides
    if (k === 'dev') results.device = cleanText(raw, 200);
    else if (k === 'browser') results.browser = cleanText(raw, 100);
    else if (k === 'date') {
      const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z)?$/.test(raw) && Number.isFinite(Date.parse(raw));
      if (ok) results.date = raw;
      else
        issues.push({
          key: 'r.date',
          message: `expected a UTC date like 2026-12-01T22:30Z, got ${show(raw)}; ignored`,
        });
    } else if (k === 'sweep') {
      try {
        results.sweep = decodeSweep(raw);
      } catch (e) {
        issues.push({ key: 'r.sweep', message: `${(e as Error).message}; the sweep was dropped` });
      }
    } else if (k === 'frontier' || k === 'fbase' || k === 'fceil') {
      decodeFrontierField(k, raw, results, issues);
    } else if (k === 'timing') {
      if (raw === 'gpu-timestamp' || raw === 'cpu') results.timing = raw;
      else issues.push({ key: 'r.timing', message: `expected gpu-timestamp or cpu, got ${show(raw)}` });
    } else if ((ALGOS as readonly string[]).includes(k)) {
      try {
        results.algos[k as Algo] = decodeResultNumbers(raw);
      } catch (e) {
        issues.push({ key: `r.${k}`, message: `${(e as Error).message}; these results were dropped` });
      }
    } else issues.push({ key: `r.${safeKey(k)}`, message: 'unknown result field; ignored' });
  }
  if (results.frontier && !results.frontier.points.length) delete results.frontier; // a ceiling with no points says nothing
  if (Object.keys(results.algos).length > 0 || results.sweep?.length || results.frontier) return results;
  issues.push({ key: 'r', message: 'the link carries no readable measured results' });
  return undefined;
}
