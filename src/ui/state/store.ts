// The lab's whole state in one typed object. The part a link should reproduce (config, ui,
// shared results) round-trips through src/config/url.ts; the rest is what was measured here.
// Components read it through StoreController and never keep their own copies.

import type { Recomputed } from '../workers/privacy-compute';
import { userMessage } from '../../engine';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { DEFAULT_CONFIG, checkConsistency, ConfigError, type Algo, type Config } from '../../config/config';
import { cleanText } from '../../config/url-text';
import {
  DEFAULT_UI,
  encodeConfig,
  encodeState,
  type SharedResults,
  type UiState,
  type UrlIssue,
} from '../../config/url';
import type { DeviceInfo, Limits, LogPoint, RunSummary, StageTimes, TimingSource } from '../../engine';
import { CRITEO_DENSE, CRITEO_TABLES, type CriteoSource, type LoadedCriteo } from '../workers/data-source';
import type { TimestampProbe } from './timing';

/** A run read from a colleague's results JSON (src/ui/state/results-import.ts reads it). */
export interface ImportedRun {
  algo: Algo;
  requested: Config;
  config: Config;
  /** a fixed seed: the file says so, or either configuration holds one */
  seedFixed: boolean;
  /** the file's log points, without its epsilon (the lab's own is filled in when recomputed) */
  log: LogPoint[];
  stepsDone: number;
  /** the epsilon the file claims for the run (shown as the file's claim, never as the lab's) */
  claimedEpsilon?: number;
  /** the file says its epsilon is a guarantee */
  claimedGuaranteed: boolean;
  /** the device the file says its runs were measured on (cleaned text), when it names one */
  importedDevice?: string;
}

export type RunStatus = 'idle' | 'starting' | 'running' | 'pausing' | 'paused' | 'done' | 'stopped' | 'error';
export type Job = 'train' | 'compare' | 'sweep' | 'teach' | 'export' | 'audit' | 'frontier';
export type DeviceState = 'pending' | 'ready' | 'lost' | 'unavailable';
export type DataSource = 'synthetic' | 'criteo';

export interface RunRecord {
  id: number;
  algo: Algo;
  /** where it came from: the Train button, "run all four", or a re-run of shared results; or a loaded results file */
  source: 'train' | 'compare' | 'imported';
  /** the results file it was loaded from (curves only: never current, never a measurement here) */
  importedFrom?: string;
  /** imported: the device its file names (its own, not this one) */
  importedDevice?: string;
  /** imported: the epsilon its file claims, and whether the file calls it a guarantee (never taken on trust) */
  claimedEpsilon?: number;
  claimedGuaranteed?: boolean;
  /** imported: its privacy recomputed by the lab's accountant (undefined while the worker computes) */
  recomputed?: Recomputed;
  /** the configuration as the user set it (seed may be 'random', sigma uncalibrated) */
  requested: Config;
  /** as the engine resolved it */
  config: Config;
  seedFixed: boolean;
  timing: TimingSource;
  log: LogPoint[];
  summary?: RunSummary;
  stepsDone: number;
  /** steps this run was asked for (compare runs may stop short of config.steps) */
  target: number;
  /** the data it trained on: 'synthetic' or a Criteo file's id (see LabStore.dataId) */
  data: string;
  /** when it finished (ISO, UTC): the date a shared link gives its numbers */
  finishedAt?: string;
}

export interface SweepPoint {
  algo: Algo;
  totalRows: number;
  stepMs?: number;
  stageMs?: StageTimes;
  /** p10-p90 of the step times of this short run */
  spread?: { p10: number; p90: number };
  /** why this size was not measured (too big for the device, error) */
  skipped?: string;
}

export interface Banner {
  id: string;
  kind: 'error' | 'warning' | 'info';
  title: string;
  message: string;
  details?: string[];
  action?: { label: string; run: () => void };
}

export interface SharedState {
  results: SharedResults;
  /** the sender's configuration, to notice when the reader has changed it since */
  config: Config;
}

/** Same configuration apart from the algorithm: runs that can stand side by side. */
export function signature(c: Config): string {
  return encodeConfig({ ...c, algo: DEFAULT_CONFIG.algo, seed: 'random' });
}

export class LabStore extends EventTarget {
  config: Config = structuredClone(DEFAULT_CONFIG) as Config;
  ui: UiState = { ...DEFAULT_UI };
  shared?: SharedState;
  urlIssues: UrlIssue[] = [];
  /** per key: text the user typed that does not parse (the field keeps the text) */
  fieldErrors: Partial<Record<keyof Config, string>> = {};
  device?: DeviceInfo;
  limits?: Limits;
  deviceState: DeviceState = 'pending';
  tsProbe?: TimestampProbe;
  status: RunStatus = 'idle';
  job: Job | null = null;
  /** human-readable activity of a background job (compare, sweep) */
  jobText = '';
  runs: RunRecord[] = [];
  current?: RunRecord;
  sweep: SweepPoint[] = [];
  /** what the last sweep trained on, in words */
  sweepData?: string;
  banners: Banner[] = [];
  /** training data: the synthetic task, or the loaded Criteo file (never in the URL) */
  dataSource: DataSource = 'synthetic';
  /** the last Criteo file that parsed; kept when going back to synthetic, to choose it again */
  criteo?: CriteoSource;
  /** what the data section should say about the last change (tables set from the first one, back to synthetic) */
  dataNote?: string;
  /** why the last file was refused (size, a malformed line); the previous data stays */
  dataError?: string;
  /** the name of the file being read */
  dataLoading?: string;
  private nextId = 1;
  private pending = 0;

  /** The key at fault when the current keys do not fit together. */
  get consistency(): ConfigError | undefined {
    try {
      checkConsistency(this.config);
      return undefined;
    } catch (e) {
      return e instanceof ConfigError ? e : new ConfigError('config', String(e));
    }
  }

  get configValid(): boolean {
    return Object.keys(this.fieldErrors).length === 0 && !this.consistency;
  }

  setConfig<K extends keyof Config>(key: K, value: Config[K]): void {
    this.config = { ...this.config, [key]: value };
    delete this.fieldErrors[key];
    this.reconcileData();
    this.changed();
  }

  replaceConfig(config: Config): void {
    this.config = structuredClone(config);
    this.fieldErrors = {};
    this.reconcileData();
    this.changed();
  }

  /** The data runs train on now: 'synthetic' or the Criteo file's id. */
  get dataId(): string {
    return this.dataSource === 'criteo' && this.criteo ? this.criteo.id : 'synthetic';
  }

  /** Trains on a parsed Criteo file from now on: its shapes and split go into the configuration. */
  useCriteo(loaded: LoadedCriteo): void {
    this.criteo = loaded.source;
    this.dataSource = 'criteo';
    this.dataError = undefined;
    this.dataLoading = undefined;
    this.dataNote = loaded.tablesNote;
    this.config = { ...this.config, ...loaded.patch, tables: loaded.patch.tables.slice() };
    for (const k of Object.keys(loaded.patch) as (keyof Config)[]) delete this.fieldErrors[k];
    this.fieldErrors = { ...this.fieldErrors };
    this.changed();
  }

  /** Back to the synthetic task; the Criteo file stays, to be chosen again. */
  useSynthetic(note?: string): void {
    this.dataSource = 'synthetic';
    this.dataNote = note;
    this.dataError = undefined;
    this.changed();
  }

  setDataError(message: string | undefined): void {
    this.dataError = message;
    this.dataLoading = undefined;
    this.changed();
  }

  /**
   * Keeps the configuration and the Criteo data in step after any change: the training split
   * follows evalSize (datasetSize is the file's training lines); tables, dense features or
   * pooling that cannot describe Criteo data send the lab back to the synthetic task, and say so.
   * Table sizes may change freely: the next run re-hashes the file into them.
   */
  private reconcileData(): void {
    if (this.dataSource !== 'criteo' || !this.criteo) return;
    const c = this.config;
    const why =
      c.tables.length !== CRITEO_TABLES
        ? `${c.tables.length} table${c.tables.length === 1 ? '' : 's'} (Criteo data has ${CRITEO_TABLES} categorical features)`
        : c.dense !== CRITEO_DENSE
          ? `${c.dense} dense features (Criteo data has ${CRITEO_DENSE})`
          : c.pooling !== 1
            ? `pooling ${c.pooling} (Criteo data has one category per feature)`
            : undefined;
    if (why) {
      this.dataSource = 'synthetic';
      this.dataNote = `Back on the synthetic task: the configuration now has ${why}. ${this.criteo.name} is kept: choose “Criteo TSV file” under Data to use it again.`;
      return;
    }
    const { train } = this.criteo.split(c.evalSize);
    if (c.datasetSize !== train) {
      this.config = { ...c, datasetSize: train };
      delete this.fieldErrors.datasetSize;
    }
  }

  setFieldError(key: keyof Config, message: string | undefined): void {
    if (message) this.fieldErrors = { ...this.fieldErrors, [key]: message };
    else if (key in this.fieldErrors) {
      const { [key]: _gone, ...rest } = this.fieldErrors;
      void _gone;
      this.fieldErrors = rest;
    } else return;
    this.changed();
  }

  setUi<K extends keyof UiState>(key: K, value: UiState[K]): void {
    if (this.ui[key] === value) return;
    this.ui = { ...this.ui, [key]: value };
    this.changed();
  }

  newRun(init: Omit<RunRecord, 'id' | 'log' | 'stepsDone'>): RunRecord {
    const r: RunRecord = { ...init, id: this.nextId++, log: [], stepsDone: 0 };
    this.runs = [...this.runs.slice(-23), r];
    return r;
  }

  removeRun(r: RunRecord): void {
    this.runs = this.runs.filter((x) => x !== r);
  }

  /** A colleague's runs from a results file: kept with the earlier runs, overlaid at once. */
  importRuns(file: string, runs: ImportedRun[]): RunRecord[] {
    const recs: RunRecord[] = runs.map((r) => ({
      ...r,
      id: this.nextId++,
      source: 'imported' as const,
      importedFrom: cleanText(file, 100) || 'a results file',
      timing: 'cpu' as const,
      target: r.stepsDone,
      data: 'imported',
    }));
    this.runs = [...this.runs, ...recs].slice(-(24 + recs.length));
    this.overlay = new Set([...this.overlay, ...recs.map((r) => r.id)]);
    this.changed();
    return recs;
  }

  /** earlier runs (by id) the user chose to overlay on the curves */
  overlay = new Set<number>();

  /** Overlays run `id` on the training curves, or takes it off. */
  toggleOverlay(id: number, on: boolean): void {
    const next = new Set(this.overlay);
    if (on) next.add(id);
    else next.delete(id);
    this.overlay = next;
    this.changed();
  }

  /** Runs comparable with the current configuration, latest per algorithm. */
  latestByAlgo(filter: (r: RunRecord) => boolean = () => true): Map<Algo, RunRecord> {
    const sig = signature(this.config);
    const data = this.dataId;
    const out = new Map<Algo, RunRecord>();
    for (const r of this.runs)
      if (!r.importedFrom && signature(r.requested) === sig && r.data === data && filter(r)) out.set(r.algo, r);
    return out;
  }

  // ---------------- run state: written here only ----------------
  // The runner (src/ui/state/runner.ts, jobs.ts, device.ts) says what happened through these methods;
  // views only read. One lock rule for everything that uses the GPU: `job` is null or names the
  // one activity holding the lab (the main run holds 'train' while it starts, runs or pauses).

  /** Nothing holds the lab and the device is ready: anything may start (a paused run waits, it holds nothing). */
  get idle(): boolean {
    return this.deviceState === 'ready' && this.job === null;
  }

  /** `idle` with a valid configuration: what every "start" button checks. */
  get free(): boolean {
    return this.idle && this.configValid;
  }

  /** Takes the lab for `job`; false (and nothing changes) while anything else holds it. */
  lock(job: Job, text = ''): boolean {
    if (!this.idle) return false;
    this.job = job;
    this.jobText = text;
    this.dismiss('run-error');
    this.changed();
    return true;
  }

  /** Gives the lock back; with `job`, only if that job still holds it (not after a lost device). */
  unlock(job?: Job): void {
    if (job && this.job !== job) return;
    this.job = null;
    this.jobText = '';
    this.runs = [...this.runs];
    this.changed();
  }

  setJobText(text: string): void {
    this.jobText = text;
    this.changed();
  }

  setStatus(status: RunStatus): void {
    this.status = status;
    this.changed();
  }

  setCurrent(rec: RunRecord): void {
    this.current = rec;
    this.changed();
  }

  /** Reset: the main run is gone; an unfinished one leaves the runs table too. */
  discardCurrent(): void {
    if (this.current && this.status !== 'done') this.removeRun(this.current);
    this.current = undefined;
    this.status = 'idle';
    this.dismiss('run-error');
    this.changed();
  }

  /** A log point of a run (and what the job is doing); redraws are coalesced. */
  logPoint(rec: RunRecord, p: LogPoint, stepsDone: number, jobText?: string): void {
    rec.log = [...rec.log, p];
    if (jobText !== undefined) this.jobText = jobText;
    rec.stepsDone = stepsDone;
    this.changedSoon();
  }

  finishRun(rec: RunRecord, stepsDone: number, summary: RunSummary): void {
    rec.stepsDone = stepsDone;
    rec.summary = summary;
    rec.finishedAt = new Date().toISOString();
    this.runs = [...this.runs];
    this.changed();
  }

  startSweep(data: string): void {
    this.sweep = [];
    this.sweepData = data;
    this.changed();
  }

  addSweepPoint(p: SweepPoint): void {
    this.sweep = [...this.sweep, p];
    this.changed();
  }

  deviceConnecting(): void {
    this.deviceState = 'pending';
    this.changed();
  }

  deviceReady(info: DeviceInfo, limits: Limits): void {
    this.device = info;
    this.limits = limits;
    this.deviceState = 'ready';
    this.dismiss('device-lost');
    this.dismiss('device');
    this.changed();
  }

  /** No adapter, or the request failed (`hadDevice`: an earlier device stays described). */
  deviceFailed(hadDevice: boolean, message?: string): void {
    this.deviceState = hadDevice ? 'ready' : 'unavailable';
    if (message) this.banner({ id: 'device', kind: 'error', title: 'Could not start the lab', message });
    this.changed();
  }

  /** The device is gone: whatever ran on it ended with it. */
  deviceLost(b: Banner): void {
    this.deviceState = 'lost';
    if (this.status !== 'idle' && this.status !== 'done') this.status = 'error';
    this.job = null;
    this.jobText = '';
    this.banner(b);
  }

  setTimestampProbe(p: TimestampProbe): void {
    this.tsProbe = p;
    this.changed();
  }

  banner(b: Banner): void {
    // Dawn's internal source paths are nothing a user can act on
    b = { ...b, message: userMessage(b.message), details: b.details?.map(userMessage) };
    this.banners = [...this.banners.filter((x) => x.id !== b.id), b];
    this.changed();
  }

  dismiss(id: string): void {
    if (!this.banners.some((b) => b.id === id)) return;
    this.banners = this.banners.filter((b) => b.id !== id);
    this.changed();
  }

  /** The fragment for the current state; with measured results when sharing them. */
  fragment(results?: SharedResults): string {
    return encodeState({ config: this.config, ui: this.ui, results: results ?? this.shared?.results });
  }

  changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Progress updates arrive per log point; coalesce them to keep the page responsive. */
  changedSoon(): void {
    if (this.pending) return;
    this.pending = window.setTimeout(() => {
      this.pending = 0;
      this.changed();
    }, 80);
  }
}

export const store = new LabStore();

/** Re-renders its host whenever the store changes. */
export class StoreController implements ReactiveController {
  private readonly onChange = () => this.host.requestUpdate();
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    store.addEventListener('change', this.onChange);
  }
  hostDisconnected(): void {
    store.removeEventListener('change', this.onChange);
  }
}
