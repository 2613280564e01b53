// The lab's whole state in a URL fragment, like TensorFlow Playground: readable `key=value`
// pairs, versioned (`v=1`), only the keys that differ from their defaults. Decoding never
// throws: each bad field yields a specific issue and keeps its default, the others still apply.
// Plain data only (no DOM), so the CLI can reproduce a shared link too.

import {
  ALGOS,
  CONFIG_KEYS,
  DEFAULT_CONFIG,
  SCHEMA,
  ConfigError,
  checkConsistency,
  isPrivate,
  parseValue,
  type Algo,
  type Config,
} from './config';
import { epsilonAfter } from '../engine/accounting';
import { epsilonInfinite, noPrivacyReason } from '../privacy/report';
import { STAGES, type StageTimes, type TimingSource } from '../engine/types';

export const URL_VERSION = 1;
/** Longer fragments are refused whole: no legitimate state comes near it. */
export const MAX_FRAGMENT_CHARS = 16_384;
/** Per-value cap, before any parsing (a 64-table list of 10-digit ints is ~700 chars). */
const MAX_VALUE_CHARS = 2_048;
const MAX_PAIRS = 200;

export const VIEWS = ['train', 'stages', 'sweep', 'teach', 'device', 'audit'] as const;
export type View = (typeof VIEWS)[number];

/** UI state that is not part of the training configuration but belongs in a shared link. */
export interface UiState {
  view: View;
  /** show explanation text (0 hides it, for slides) */
  text: boolean;
  /** start training as soon as the page has a device */
  autorun: boolean;
  /** steps per algorithm for "run all four" and for re-running shared results */
  benchSteps: number;
  /** table-size sweep: total rows from 2^sweepFrom to 2^sweepTo */
  sweepFrom: number;
  sweepTo: number;
  sweepPoints: number;
  sweepSteps: number;
  /** teaching view: which table, and the first of the rows shown */
  teachTable: number;
  teachStart: number;
}

type UiKind = 'enum' | 'bool' | 'int';
interface UiSpec {
  kind: UiKind;
  min?: number;
  max?: number;
  values?: readonly string[];
  help: string;
}

export const UI_SCHEMA: { [K in keyof UiState]: UiSpec } = {
  view: { kind: 'enum', values: VIEWS, help: 'open view' },
  text: { kind: 'bool', help: 'show explanations' },
  autorun: { kind: 'bool', help: 'train on load' },
  benchSteps: { kind: 'int', min: 2, max: 100_000, help: 'steps per algorithm when comparing' },
  sweepFrom: { kind: 'int', min: 4, max: 31, help: 'sweep: log2 of the smallest total rows' },
  sweepTo: { kind: 'int', min: 4, max: 31, help: 'sweep: log2 of the largest total rows' },
  sweepPoints: { kind: 'int', min: 2, max: 24, help: 'sweep: table sizes measured' },
  sweepSteps: { kind: 'int', min: 2, max: 10_000, help: 'sweep: steps per measurement' },
  teachTable: { kind: 'int', min: 0, max: 63, help: 'teaching view: table shown' },
  teachStart: { kind: 'int', min: 0, max: 2 ** 31, help: 'teaching view: first row shown' },
};
export const UI_KEYS = Object.keys(UI_SCHEMA) as (keyof UiState)[];

export const DEFAULT_UI: Readonly<UiState> = Object.freeze({
  view: 'train',
  text: true,
  autorun: false,
  benchSteps: 40,
  sweepFrom: 12,
  sweepTo: 20,
  sweepPoints: 5,
  sweepSteps: 12,
  teachTable: 0,
  teachStart: 0,
}) as UiState;

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
}

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

export interface LabState {
  config: Config;
  ui: UiState;
  results?: SharedResults;
}

export interface UrlIssue {
  key: string;
  message: string;
}

// ---------- encoding ----------

/** Shortest exact text of a number; ints stay ints. */
function num(n: number): string {
  return String(n);
}

/** Result numbers need no more than 4 significant digits. */
function shortNum(n: number): string {
  // plain decimals only (the reader refuses exponents): below a nanosecond is 0
  if (!Number.isFinite(n) || n < 1e-6) return '0';
  return String(Number(n.toPrecision(4)));
}

// Keep ',', ':', '_' and '.' readable: all legal in a fragment (RFC 3986 pchar / "/" / "?").
function esc(s: string): string {
  return encodeURIComponent(s).replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

function encodeConfigValue<K extends keyof Config>(key: K, v: Config[K]): string {
  const spec = SCHEMA[key];
  if (spec.kind === 'intlist') return (v as number[]).map(num).join(',');
  if (spec.kind === 'int' || spec.kind === 'num') return num(v as number);
  return esc(String(v));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** `v=1&k=v&...`, no leading '#'. Keys equal to their defaults are left out. */
export function encodeState(state: { config: Config; ui?: Partial<UiState>; results?: SharedResults }): string {
  const parts: string[] = [`v=${URL_VERSION}`];
  for (const key of CONFIG_KEYS) {
    const v = state.config[key];
    if (!sameValue(v, DEFAULT_CONFIG[key])) parts.push(`${key}=${encodeConfigValue(key, v)}`);
  }
  const ui = { ...DEFAULT_UI, ...(state.ui ?? {}) };
  for (const key of UI_KEYS) {
    const v = ui[key];
    if (v === DEFAULT_UI[key]) continue;
    parts.push(`${key}=${typeof v === 'boolean' ? (v ? '1' : '0') : esc(String(v))}`);
  }
  const r = state.results;
  if (r) {
    parts.push(`r.dev=${esc(r.device.slice(0, 200))}`, `r.timing=${r.timing}`);
    if (r.date) parts.push(`r.date=${esc(r.date)}`);
    if (r.browser) parts.push(`r.browser=${esc(r.browser.slice(0, 100))}`);
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
          ? [
              shortNum(Math.min(a.spread.p10, step)),
              shortNum(Math.max(a.spread.p90, step)),
              String(Math.round(a.steps)),
            ]
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
  }
  return parts.join('&');
}

export function encodeConfig(config: Config): string {
  return encodeState({ config });
}

// ---------- decoding ----------

function decodeUiValue<K extends keyof UiState>(key: K, raw: string): UiState[K] {
  const spec = UI_SCHEMA[key];
  switch (spec.kind) {
    case 'bool':
      if (raw === '1' || raw === 'true') return true as UiState[K];
      if (raw === '0' || raw === 'false') return false as UiState[K];
      throw new Error(`expected 1 or 0, got ${show(raw)}`);
    case 'enum':
      if (!spec.values!.includes(raw)) throw new Error(`expected one of ${spec.values!.join(', ')}, got ${show(raw)}`);
      return raw as UiState[K];
    case 'int': {
      const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw new Error(`expected an integer, got ${show(raw)}`);
      if (spec.min !== undefined && n < spec.min) throw new Error(`must be >= ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new Error(`must be <= ${spec.max}, got ${n}`);
      return n as UiState[K];
    }
  }
}

function show(s: string): string {
  const j = JSON.stringify(s);
  return j.length > 42 ? j.slice(0, 40) + '…"' : j;
}

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

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Reads a fragment (with or without '#', or a whole URL). Never throws: returns the state that
 * could be read and one issue per field that could not (that field keeps its default).
 */
export function decodeState(
  input: string,
  base: Config = DEFAULT_CONFIG,
): { state: LabState; issues: UrlIssue[]; warnings: UrlIssue[] } {
  const { state, issues } = decodeFields(input, base);
  return { state, issues, warnings: privacyWarnings(state.config) };
}

/**
 * Fields that applied but that whoever opens the link must know about: a private algorithm whose
 * sigma gives no finite epsilon (sigma 0, or too small for the accountant) trains without privacy.
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

function decodeFields(input: string, base: Config): { state: LabState; issues: UrlIssue[] } {
  const issues: UrlIssue[] = [];
  const state: LabState = { config: structuredClone(base) as Config, ui: { ...DEFAULT_UI } };
  let frag = typeof input === 'string' ? input : '';
  const hash = frag.indexOf('#');
  if (hash >= 0) frag = frag.slice(hash + 1);
  else if (/^[a-z]+:\/\//i.test(frag)) frag = '';
  if (frag === '') return { state, issues };
  if (frag.length > MAX_FRAGMENT_CHARS) {
    issues.push({
      key: 'url',
      message: `the link's fragment is ${frag.length} characters (at most ${MAX_FRAGMENT_CHARS}); it was ignored and defaults are used`,
    });
    return { state, issues };
  }

  const seen = new Set<string>();
  const configPartial: Record<string, unknown> = Object.create(null);
  const resultParts: Record<string, string> = Object.create(null);
  const pairs = frag.split('&').filter((p) => p !== '');
  if (pairs.length > MAX_PAIRS)
    issues.push({ key: 'url', message: `${pairs.length} fields; only the first ${MAX_PAIRS} were read` });

  for (const pair of pairs.slice(0, MAX_PAIRS)) {
    const eq = pair.indexOf('=');
    let key: string, raw: string;
    try {
      key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      raw = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      issues.push({ key: safeKey(pair.slice(0, Math.max(0, eq))), message: 'malformed percent-encoding; ignored' });
      continue;
    }
    key = safeKey(key);
    if (eq < 0) {
      issues.push({ key, message: 'has no value (expected key=value); ignored' });
      continue;
    }
    if (raw.length > MAX_VALUE_CHARS) {
      issues.push({
        key,
        message: `value is ${raw.length} characters long (at most ${MAX_VALUE_CHARS}); default kept`,
      });
      continue;
    }
    if (seen.has(key)) {
      issues.push({ key, message: 'appears more than once; the first value is used' });
      continue;
    }
    seen.add(key);

    if (key === 'v') {
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (n === URL_VERSION) continue;
      if (Number.isSafeInteger(n) && n > URL_VERSION) {
        issues.push({
          key: 'v',
          message: `link made by a newer lab (format v${n}); read as v${URL_VERSION} where possible`,
        });
      } else issues.push({ key: 'v', message: `unknown format version ${show(raw)}; read as v${URL_VERSION}` });
    } else if (has(SCHEMA, key)) {
      configPartial[key] = raw;
    } else if (has(UI_SCHEMA, key)) {
      try {
        (state.ui as unknown as Record<string, unknown>)[key] = decodeUiValue(key as keyof UiState, raw);
      } catch (e) {
        issues.push({ key, message: `${(e as Error).message}; default kept` });
      }
    } else if (key.startsWith('r.')) {
      resultParts[key.slice(2)] = raw;
    } else {
      issues.push({ key, message: 'unknown field; ignored' });
    }
  }

  // Config keys go through the schema's own parser: one message per bad key, default kept.
  const config = state.config as unknown as Record<string, unknown>;
  const applied: (keyof Config)[] = [];
  for (const [k, raw] of Object.entries(configPartial)) {
    try {
      config[k] = parseValue(k as keyof Config, raw);
      applied.push(k as keyof Config);
    } catch (e) {
      issues.push({ key: k, message: e instanceof ConfigError ? configMessage(e) : `${String(e)}; default kept` });
    }
  }
  // Keys that parse but do not fit together: put the key at fault back to its default (or,
  // if it already is, the last key the link set) and retry, so the page always starts from
  // a configuration the engine accepts.
  for (;;) {
    try {
      checkConsistency(state.config);
      break;
    } catch (e) {
      const err = e instanceof ConfigError ? e : new ConfigError('config', String(e));
      const k = applied.includes(err.key as keyof Config) ? (err.key as keyof Config) : applied[applied.length - 1];
      if (!k) {
        // cannot happen with a consistent base; stay safe anyway
        issues.push({ key: err.key, message: `${configMessage(err, false)}; all defaults used` });
        state.config = structuredClone(DEFAULT_CONFIG) as Config;
        break;
      }
      applied.splice(applied.indexOf(k), 1);
      issues.push({
        key: k,
        message:
          k === err.key ? configMessage(err) : `conflicts with ${err.key} (${configMessage(err, false)}); default kept`,
      });
      config[k] = structuredClone(base[k]);
    }
  }
  if (state.ui.sweepFrom > state.ui.sweepTo) {
    issues.push({ key: 'sweepTo', message: `must be >= sweepFrom (${state.ui.sweepFrom}); defaults kept` });
    state.ui.sweepFrom = DEFAULT_UI.sweepFrom;
    state.ui.sweepTo = DEFAULT_UI.sweepTo;
  }

  const rKeys = Object.keys(resultParts);
  if (rKeys.length > 0) {
    const results: SharedResults = { device: '', timing: 'cpu', algos: {} };
    for (const k of rKeys) {
      const raw = resultParts[k];
      if (k === 'dev') results.device = raw.slice(0, 200);
      else if (k === 'browser') results.browser = raw.slice(0, 100);
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
    if (Object.keys(results.algos).length > 0 || results.sweep?.length) state.results = results;
    else issues.push({ key: 'r', message: 'the link carries no readable measured results' });
  }
  return { state, issues };
}

/** Config only: `decodeState(...).state.config` plus the config issues. */
export function decodeConfig(input: string, base: Config = DEFAULT_CONFIG): { config: Config; issues: UrlIssue[] } {
  const { state, issues } = decodeFields(input, base);
  return { config: state.config, issues };
}

function configMessage(e: ConfigError, kept = true): string {
  // ConfigError's message starts with "key: "; the issue carries the key separately.
  const m = e.message.startsWith(`${e.key}: `) ? e.message.slice(e.key.length + 2) : e.message;
  return kept ? `${m}; default kept` : m;
}

/** Keys are echoed in messages: keep them short and printable. */
function safeKey(k: string): string {
  const s = k.replace(/[^\x20-\x7e]/g, '?');
  return s.length > 40 ? s.slice(0, 40) + '…' : s || '(empty)';
}
