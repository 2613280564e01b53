// The lab's whole state in a URL fragment, like TensorFlow Playground: readable `key=value`
// pairs, versioned (`v=1`), only the keys that differ from their defaults. Decoding never
// throws: each bad field yields a specific issue and keeps its default, the others still apply.
// Plain data only (no DOM), so the CLI can reproduce a shared link too. Pure and quick: nothing
// here computes epsilon (the lab asks its privacy worker, the CLI its accountant), so opening a
// link never blocks the page (tests/config/url-imports.test.ts holds the import graph to it).

import { CONFIG_KEYS, DEFAULT_CONFIG, SCHEMA, ConfigError, checkConsistency, parseValue, type Config } from './config';
import { decodeResults, encodeResults, type SharedResults } from './url-results';
import { esc, safeKey, show } from './url-text';
import { FRONTIER_DEFAULT, parseFrontierAlgos, parseFrontierEpsilons } from './url-frontier';

export const URL_VERSION = 1;
/** Longer fragments are refused whole: no legitimate state comes near it. */
export const MAX_FRAGMENT_CHARS = 16_384;
/** Per-value cap, before any parsing (a 64-table list of 10-digit ints is ~700 chars). */
const MAX_VALUE_CHARS = 2_048;
const MAX_PAIRS = 200;

export const VIEWS = ['train', 'stages', 'sweep', 'teach', 'device', 'audit', 'frontier'] as const;
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
  /** privacy vs utility: the private algorithms and target epsilons (comma lists), seeds per point */
  frontierAlgos: string;
  frontierEpsilons: string;
  frontierSeeds: number;
}

type UiKind = 'enum' | 'bool' | 'int' | 'list';
interface UiSpec {
  kind: UiKind;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** a list's parser: throws naming what is wrong; its items, to be joined with ',' */
  parse?: (raw: string) => (string | number)[];
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
  frontierAlgos: { kind: 'list', parse: parseFrontierAlgos, help: 'frontier: private algorithms' },
  frontierEpsilons: { kind: 'list', parse: parseFrontierEpsilons, help: 'frontier: target epsilons' },
  frontierSeeds: { kind: 'int', min: 1, max: 20, help: 'frontier: seeds per point' },
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
  frontierAlgos: FRONTIER_DEFAULT.algos.join(','),
  frontierEpsilons: FRONTIER_DEFAULT.epsilons.join(','),
  frontierSeeds: FRONTIER_DEFAULT.seeds,
}) as UiState;

export {
  MAX_SHARED_FRONTIER,
  MAX_SHARED_SWEEP,
  type SharedAlgo,
  type SharedFrontier,
  type SharedFrontierPoint,
  type SharedResults,
  type SharedSweepPoint,
} from './url-results';

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
  if (state.results) parts.push(...encodeResults(state.results));
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
    case 'list':
      return spec.parse!(raw).join(',') as UiState[K];
  }
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Reads a fragment (with or without '#', or a whole URL). Never throws: returns the state that
 * could be read and one issue per field that could not (that field keeps its default).
 */
export function decodeState(input: string, base: Config = DEFAULT_CONFIG): { state: LabState; issues: UrlIssue[] } {
  return decodeFields(input, base);
}

/** The fragment of `input` ('' for none); a fragment over MAX_FRAGMENT_CHARS is refused whole. */
function fragmentOf(input: string, issues: UrlIssue[]): string {
  let frag = typeof input === 'string' ? input : '';
  const hash = frag.indexOf('#');
  if (hash >= 0) frag = frag.slice(hash + 1);
  else if (/^[a-z]+:\/\//i.test(frag)) frag = '';
  if (frag.length > MAX_FRAGMENT_CHARS) {
    issues.push({
      key: 'url',
      message: `the link's fragment is ${frag.length} characters (at most ${MAX_FRAGMENT_CHARS}); it was ignored and defaults are used`,
    });
    return '';
  }
  return frag;
}

/** One `key=value` pair, percent-decoded; undefined (and an issue) where it cannot be read. */
function readPair(pair: string, issues: UrlIssue[]): { key: string; raw: string } | undefined {
  const eq = pair.indexOf('=');
  let key: string, raw: string;
  try {
    key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    raw = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
  } catch {
    issues.push({ key: safeKey(pair.slice(0, Math.max(0, eq))), message: 'malformed percent-encoding; ignored' });
    return undefined;
  }
  key = safeKey(key);
  if (eq < 0) {
    issues.push({ key, message: 'has no value (expected key=value); ignored' });
    return undefined;
  }
  if (raw.length > MAX_VALUE_CHARS) {
    issues.push({
      key,
      message: `value is ${raw.length} characters long (at most ${MAX_VALUE_CHARS}); default kept`,
    });
    return undefined;
  }
  return { key, raw };
}

/** The fields read so far, by kind: config keys (parsed later, together), results ('r.'). */
interface Fields {
  state: LabState;
  issues: UrlIssue[];
  configPartial: Record<string, unknown>;
  resultParts: Record<string, string>;
}

/** Files one field where it belongs: the version, a config key, a UI key, a result, or an issue. */
function readField(key: string, raw: string, f: Fields): void {
  const { state, issues } = f;
  if (key === 'v') {
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (n === URL_VERSION) return;
    if (Number.isSafeInteger(n) && n > URL_VERSION) {
      issues.push({
        key: 'v',
        message: `link made by a newer lab (format v${n}); read as v${URL_VERSION} where possible`,
      });
    } else issues.push({ key: 'v', message: `unknown format version ${show(raw)}; read as v${URL_VERSION}` });
  } else if (has(SCHEMA, key)) {
    f.configPartial[key] = raw;
  } else if (has(UI_SCHEMA, key)) {
    try {
      (state.ui as unknown as Record<string, unknown>)[key] = decodeUiValue(key as keyof UiState, raw);
    } catch (e) {
      issues.push({ key, message: `${(e as Error).message}; default kept` });
    }
  } else if (key.startsWith('r.')) {
    f.resultParts[key.slice(2)] = raw;
  } else {
    issues.push({ key, message: 'unknown field; ignored' });
  }
}

/**
 * Config keys go through the schema's own parser: one message per bad key, default kept. Keys
 * that parse but do not fit together: put the key at fault back to its default (or, if it
 * already is, the last key the link set) and retry, so the page always starts from a
 * configuration the engine accepts.
 */
function applyConfig(f: Fields, base: Config): void {
  const { state, issues } = f;
  const config = state.config as unknown as Record<string, unknown>;
  const applied: (keyof Config)[] = [];
  for (const [k, raw] of Object.entries(f.configPartial)) {
    try {
      config[k] = parseValue(k as keyof Config, raw);
      applied.push(k as keyof Config);
    } catch (e) {
      issues.push({ key: k, message: e instanceof ConfigError ? configMessage(e) : `${String(e)}; default kept` });
    }
  }
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
}

function decodeFields(input: string, base: Config): { state: LabState; issues: UrlIssue[] } {
  const issues: UrlIssue[] = [];
  const state: LabState = { config: structuredClone(base) as Config, ui: { ...DEFAULT_UI } };
  const frag = fragmentOf(input, issues);
  if (frag === '') return { state, issues };

  const seen = new Set<string>();
  const f: Fields = { state, issues, configPartial: Object.create(null), resultParts: Object.create(null) };
  const pairs = frag.split('&').filter((p) => p !== '');
  if (pairs.length > MAX_PAIRS)
    issues.push({ key: 'url', message: `${pairs.length} fields; only the first ${MAX_PAIRS} were read` });

  for (const pair of pairs.slice(0, MAX_PAIRS)) {
    const read = readPair(pair, issues);
    if (!read) continue;
    if (seen.has(read.key)) {
      issues.push({ key: read.key, message: 'appears more than once; the first value is used' });
      continue;
    }
    seen.add(read.key);
    readField(read.key, read.raw, f);
  }

  applyConfig(f, base);
  if (state.ui.sweepFrom > state.ui.sweepTo) {
    issues.push({ key: 'sweepTo', message: `must be >= sweepFrom (${state.ui.sweepFrom}); defaults kept` });
    state.ui.sweepFrom = DEFAULT_UI.sweepFrom;
    state.ui.sweepTo = DEFAULT_UI.sweepTo;
  }

  const results = decodeResults(f.resultParts, issues);
  if (results) state.results = results;
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
