// Owns the GPU device and the trainers, and turns button presses into engine calls. One job
// at a time (train, compare, sweep, teaching step); the engine awaits the GPU between steps,
// so the page keeps handling events while a run is in progress.

import { ALGOS, ConfigError, checkConsistency, type Algo, type Config } from '../config/config';
import type { SharedResults } from '../config/url';
import {
  CapacityError, Trainer, describeDevice, epsilonAfter, estimateMemory, exportMetadata, openCheckpoint, requestLabDevice,
  resolveSigma, resumeProblem, writeModelParts, zeroStages, type LogPoint,
} from '../engine';
import { downloadBlob } from './lab-chart';
import { ALGO_LABELS } from './styles';
import { store, type Job, type RunRecord } from './store';
import { probeTimestamps } from './timing';

/** A log point every ~1/150 of the run, on a divisor of evalEvery so AUC points land on one. */
export function chooseLogEvery(steps: number, evalEvery: number): number {
  const target = Math.max(1, Math.floor(steps / 150));
  if (evalEvery <= 0) return target;
  for (let k = Math.min(target, evalEvery); k >= 1; k--) if (evalEvery % k === 0) return k;
  return 1;
}

/** Log-spaced total row counts between 2^from and 2^to. */
export function sweepSizes(from: number, to: number, points: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    const e = points === 1 ? from : from + ((to - from) * i) / (points - 1);
    const n = Math.round(2 ** e);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** Splits a total row count over T tables (as equally as integers allow). */
export function splitRows(total: number, tables: number): number[] {
  const base = Math.max(1, Math.floor(total / tables));
  return Array.from({ length: tables }, (_, i) => (i < total - base * tables ? base + 1 : base));
}

export interface ErrorReport {
  title: string;
  message: string;
  key?: string;
}

/** Names what went wrong in terms a user can act on. */
export function describeError(e: unknown): ErrorReport {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof ConfigError) return { title: `Configuration: ${e.key}`, message: msg, key: e.key };
  if (e instanceof CapacityError) return { title: 'Too big for this device', message: msg, key: e.key };
  const name = (e as { name?: string })?.name ?? '';
  if (name === 'GPUPipelineError' || /\bWGSL\b|shader|createShaderModule|compil/i.test(msg))
    return { title: 'Shader error', message: `${msg} — this is a bug in the lab's GPU code or in the browser's WebGPU implementation; please report it with the device panel's details.` };
  if (name === 'OperationError' && /lost|destroyed/i.test(msg)) return { title: 'GPU device lost', message: msg };
  if (/out of memory|OutOfMemory/i.test(msg)) return { title: 'Out of GPU memory', message: `${msg} — try fewer or smaller tables, a smaller batch or evalSize.` };
  return { title: 'Run failed', message: msg };
}

function deviceLine(): string {
  const d = store.device;
  if (!d) return 'unknown device';
  return [d.vendor, d.architecture, d.description].filter(Boolean).join(' / ') || 'unknown device';
}

export class LabRunner {
  adapter: GPUAdapter | null = null;
  device: GPUDevice | null = null;
  private trainer?: Trainer;
  private abort?: AbortController;
  private stopRequested = false;
  private mainPromise?: Promise<void>;
  private jobAbort?: AbortController;
  /** devices this page destroys on purpose: their `lost` is not an error */
  private released = new WeakSet<GPUDevice>();
  /** the data each trainer was made with ('synthetic' or a Criteo file's id) */
  private dataOf = new WeakMap<Trainer, string>();

  // ---------------- device ----------------

  async connect(): Promise<boolean> {
    store.deviceState = 'pending';
    store.changed();
    try {
      const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) {
        store.deviceState = 'unavailable';
        store.changed();
        return false;
      }
      const device = await requestLabDevice(adapter);
      device.lost.then((info) => this.onLost(device, info));
      device.addEventListener('uncapturederror', (ev) => this.onGpuError((ev as GPUUncapturedErrorEvent).error));
      this.adapter = adapter;
      this.device = device;
      store.device = describeDevice(adapter, device);
      store.limits = { maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize };
      store.deviceState = 'ready';
      store.dismiss('device-lost');
      store.dismiss('device');
      store.changed();
      void probeTimestamps(device).then((p) => {
        store.tsProbe = p;
        store.changed();
      });
      return true;
    } catch (e) {
      store.deviceState = this.device ? 'ready' : 'unavailable';
      store.banner({ id: 'device', kind: 'error', title: 'Could not start the lab', message: (e as Error).message ?? String(e) });
      return false;
    }
  }

  private onLost(device: GPUDevice, info: GPUDeviceLostInfo): void {
    if (this.released.has(device) || device !== this.device) return;
    this.device = null;
    this.trainer = undefined;
    this.abort?.abort();
    this.jobAbort?.abort();
    store.deviceState = 'lost';
    if (store.status !== 'idle' && store.status !== 'done') store.status = 'error';
    store.job = null;
    store.jobText = '';
    store.banner({
      id: 'device-lost',
      kind: 'error',
      title: 'The GPU device was lost',
      message: `${info.message || 'no message'} (reason: ${info.reason ?? 'unknown'}). The browser or the driver reset the GPU (a timeout, another tab, a driver update, or too much memory). Your configuration and the results so far are kept; reconnect to continue — the interrupted run starts over.`,
      action: { label: 'Reconnect', run: () => void this.connect() },
    });
  }

  private onGpuError(err: GPUError): void {
    const oom = err.constructor?.name === 'GPUOutOfMemoryError';
    store.banner({
      id: 'gpu-error',
      kind: 'error',
      title: oom ? 'Out of GPU memory' : /shader|WGSL/i.test(err.message) ? 'Shader error' : 'GPU error',
      message: oom ? `${err.message} — try fewer or smaller tables, a smaller batch or evalSize.` : err.message,
    });
  }

  get ready(): boolean {
    return !!this.device && store.deviceState === 'ready';
  }

  private fail(e: unknown, context: string): void {
    if (store.deviceState === 'lost') return; // the lost-device banner says it all
    const r = describeError(e);
    store.banner({ id: 'run-error', kind: 'error', title: r.title, message: `${context}: ${r.message}` });
    console.error(e);
  }

  /**
   * A trainer for `config` on the current data: the synthetic task, or the Criteo file hashed
   * into config.tables (re-parsed when the sizes differ from the last parse). The engine checks
   * that the data matches tables, dense, pooling and datasetSize (a ConfigError otherwise).
   */
  async createTrainer(config: Config): Promise<Trainer> {
    if (!this.device) throw new Error('no GPU device');
    checkConsistency(config);
    const dataId = store.dataId;
    const criteo = store.dataSource === 'criteo' ? store.criteo : undefined;
    const data = criteo ? await criteo.dataFor(config) : undefined;
    const t = await Trainer.create(this.device, config, data ? { data } : {});
    this.dataOf.set(t, dataId);
    return t;
  }

  // ---------------- the main run ----------------

  private newRecord(t: Trainer, requested: Config, source: RunRecord['source'], target: number): RunRecord {
    return store.newRun({
      algo: t.config.algo,
      source,
      requested: structuredClone(requested),
      config: structuredClone(t.config),
      seedFixed: t.seedFixed,
      timing: t.timing,
      target,
      data: this.dataOf.get(t) ?? 'synthetic',
    });
  }

  /** Train: start a fresh run, or resume a paused one. */
  async train(): Promise<void> {
    if (!this.canStart('train')) return;
    if (!(this.trainer && store.status === 'paused' && store.current)) {
      if (!this.fits().fits || !(await this.startMain())) return;
    }
    await this.runMain(Number.POSITIVE_INFINITY);
  }

  async stepOnce(): Promise<void> {
    if (!this.canStart('train')) return;
    if (!(this.trainer && store.status === 'paused' && store.current)) {
      if (!this.fits().fits || !(await this.startMain())) return;
    }
    await this.runMain(1);
  }

  private canStart(job: Job): boolean {
    if (!this.ready) return false;
    if (store.job && store.job !== job) return false;
    if (['starting', 'running', 'pausing'].includes(store.status) && job === 'train') return false;
    if (!store.configValid) return false;
    return true;
  }

  /** The engine's estimate against this device's limits, before anything is allocated. */
  fits(config: Config = store.config): { fits: boolean; problem?: string } {
    if (!store.limits) return { fits: true };
    try {
      const e = estimateMemory(config, store.limits);
      return { fits: e.fits, problem: e.problem };
    } catch (err) {
      return { fits: false, problem: (err as Error).message };
    }
  }

  private async startMain(): Promise<boolean> {
    this.disposeMain();
    store.status = 'starting';
    store.job = 'train';
    store.dismiss('run-error');
    store.changed();
    try {
      const requested = store.config;
      this.trainer = await this.createTrainer(requested);
      store.current = this.newRecord(this.trainer, requested, 'train', this.trainer.config.steps);
      return true;
    } catch (e) {
      this.fail(e, 'Could not start training');
      store.status = 'idle';
      store.job = null;
      store.changed();
      return false;
    }
  }

  private runMain(n: number): Promise<void> {
    const t = this.trainer!;
    const rec = store.current!;
    this.abort = new AbortController();
    this.stopRequested = false;
    store.status = 'running';
    store.job = 'train';
    store.changed();
    const steps = Math.min(n, rec.target - t.stepsDone);
    const logEvery = n === 1 ? 1 : chooseLogEvery(rec.target, rec.config.evalEvery);
    const p = (async () => {
      try {
        await t.run(steps, { logEvery, signal: this.abort!.signal, onLog: (pt) => this.onLog(rec, t, pt) });
        rec.stepsDone = t.stepsDone;
        rec.summary = t.summary();
        if (this.stopRequested) store.status = 'stopped';
        else if (t.stepsDone >= rec.target) store.status = 'done';
        else store.status = 'paused';
      } catch (e) {
        this.fail(e, 'Training stopped');
        store.status = 'error';
      }
      // a finished or stopped run keeps its model on the GPU for "Download model" until the next
      // run, comparison, sweep or reset
      if (store.status === 'error') this.disposeMain();
      store.job = null;
      store.runs = [...store.runs];
      store.changed();
    })();
    this.mainPromise = p;
    return p;
  }

  private onLog(rec: RunRecord, t: Trainer, p: LogPoint): void {
    rec.log = [...rec.log, p];
    rec.stepsDone = t.stepsDone;
    store.changedSoon();
  }

  pause(): void {
    if (store.status !== 'running' || store.job !== 'train') return;
    store.status = 'pausing';
    this.abort?.abort();
    store.changed();
  }

  async stop(): Promise<void> {
    if (store.status === 'running' || store.status === 'pausing') {
      this.stopRequested = true;
      this.abort?.abort();
      await this.mainPromise;
    } else if (store.status === 'paused') {
      store.status = 'stopped';
      store.changed();
    }
  }

  /** A model to download: the main run's, paused, stopped or done, while nothing else runs. */
  get modelAvailable(): boolean {
    return !!this.trainer && this.trainer.stepsDone > 0 && ['paused', 'stopped', 'done'].includes(store.status) && store.job === null;
  }

  /**
   * Downloads the main run's model as safetensors, with its privacy facts in the metadata; the
   * engine flushes pending LazyDP noise before the first byte. Training waits meanwhile (job
   * 'export'), so the file is one consistent model.
   */
  async downloadModel(): Promise<void> {
    const t = this.trainer;
    if (!t || !this.modelAvailable) return;
    store.job = 'export';
    store.jobText = 'writing the model (pending noise flushed first)';
    store.changed();
    try {
      const s = t.summary();
      const parts: Uint8Array[] = [];
      await writeModelParts(t, exportMetadata(t, store.device ?? { vendor: '', architecture: '', description: '' }, s), (b) => {
        parts.push(b);
      });
      downloadBlob(`dp-lab-${t.config.algo}-${t.stepsDone}steps.safetensors`, new Blob(parts as BlobPart[], { type: 'application/octet-stream' }));
    } catch (e) {
      this.fail(e, 'Could not export the model');
    }
    store.job = null;
    store.jobText = '';
    store.changed();
  }

  /**
   * Continues a downloaded model: the file's configuration replaces the panel's, its weights the
   * initial ones, and the run waits, paused, at the file's step. Everything is checked on the CPU
   * first (the engine's checkpoint rules), so a refused file leaves the current run and the
   * panel as they were.
   */
  async resumeFromFile(file: Blob & { name?: string }): Promise<void> {
    const name = file.name ?? 'the file';
    if (!this.ready || store.job !== null || ['starting', 'running', 'pausing'].includes(store.status)) return;
    const token = (this.resumeToken = {});
    store.job = 'train';
    store.jobText = `reading ${name}`;
    store.dismiss('run-error');
    store.dismiss('resume-note');
    store.changed();
    const prevConfig = store.config;
    let replaced = false;
    try {
      const ck = await openCheckpoint(async (o, l) => new Uint8Array(await file.slice(o, o + l).arrayBuffer()), file.size);
      const onCriteo = store.dataSource === 'criteo' && !!store.criteo;
      if (ck.data === 'criteo' && !onCriteo) throw new Error(`${name} was trained on a Criteo file: load that file under Data first, then open the model`);
      if (ck.data === 'synthetic' && onCriteo) throw new Error(`${name} was trained on the synthetic task: choose it under Data first, then open the model`);
      if (ck.steps >= ck.config.steps) throw new Error(`${name} has finished its ${ck.steps} steps: there is nothing to continue (train afresh for a longer run)`);
      // the file's configuration, with this device's memory limit; optimizer state is not in
      // the file, so momentum or Adam continue as plain SGD (said below)
      const config: Config = { ...ck.config, memoryLimit: store.config.memoryLimit, tableOptimizer: 'sgd', mlpOptimizer: 'sgd' };
      const dropped = [ck.config.tableOptimizer !== 'sgd' && `tableOptimizer ${ck.config.tableOptimizer}`, ck.config.mlpOptimizer !== 'sgd' && `mlpOptimizer ${ck.config.mlpOptimizer}`].filter(Boolean);
      const sigma = resolveSigma(config);
      const problem = resumeProblem(ck, config, sigma, onCriteo ? 'criteo' : 'synthetic');
      if (problem) throw problem;
      if (token !== this.resumeToken) return;
      // accepted: the current run gives way, as Reset would
      this.disposeMain();
      if (store.current && store.status !== 'done') store.removeRun(store.current);
      store.current = undefined;
      store.status = 'starting';
      store.replaceConfig(config);
      replaced = true;
      const t = await this.createTrainer(config);
      try {
        await t.loadCheckpoint(ck);
      } catch (e) {
        t.destroy();
        throw e;
      }
      if (token !== this.resumeToken) {
        t.destroy();
        return;
      }
      this.trainer = t;
      const rec = this.newRecord(t, config, 'train', t.config.steps);
      rec.stepsDone = t.stepsDone;
      // the privacy the file's steps already spent, shown before the first new step
      rec.log.push({ step: ck.steps, loss: NaN, stageMs: zeroStages(), stepsPerSec: NaN, examples: 0, epsilon: epsilonAfter(config, sigma, ck.steps) });
      store.current = rec;
      store.status = 'paused';
      if (dropped.length)
        store.banner({ id: 'resume-note', kind: 'warning', title: 'Optimizer state not in the file', message: `${name} was trained with ${dropped.join(' and ')}; it continues with plain SGD.` });
    } catch (e) {
      if (replaced) store.replaceConfig(prevConfig);
      this.fail(e, `Could not continue from ${name}`);
      if (replaced) store.status = 'idle';
    } finally {
      store.job = null;
      store.jobText = '';
      store.changed();
    }
  }

  private resumeToken?: object;

  async reset(): Promise<void> {
    this.jobAbort?.abort();
    this.resumeToken = undefined; // an open-model in progress gives up
    if (store.status === 'running' || store.status === 'pausing') {
      this.abort?.abort();
      await this.mainPromise;
    }
    this.disposeMain();
    if (store.current && store.status !== 'done') store.removeRun(store.current);
    store.current = undefined;
    store.status = 'idle';
    store.dismiss('run-error');
    store.changed();
  }

  private disposeMain(): void {
    this.trainer?.destroy();
    this.trainer = undefined;
  }

  /** Whether the paused run was made from a configuration (or data) other than the current one. */
  get staleConfig(): boolean {
    const c = store.current;
    return !!c && (JSON.stringify(c.requested) !== JSON.stringify(store.config) || c.data !== store.dataId);
  }

  // ---------------- background jobs ----------------

  cancelJob(): void {
    this.jobAbort?.abort();
  }

  private beginJob(job: Job): AbortSignal | null {
    if (!this.ready || store.job || ['starting', 'running', 'pausing'].includes(store.status) || !store.configValid) return null;
    // a finished run's model gives its GPU memory to the job (a paused run stays resumable)
    if (store.status !== 'paused' && job !== 'teach') this.disposeMain();
    store.job = job;
    store.dismiss('run-error');
    this.jobAbort = new AbortController();
    store.changed();
    return this.jobAbort.signal;
  }

  private endJob(): void {
    store.job = null;
    store.jobText = '';
    store.runs = [...store.runs];
    store.changed();
  }

  /** Runs each algorithm on the current configuration for `steps` steps (the stage chart). */
  async compare(algos: readonly Algo[] = ALGOS, steps = store.ui.benchSteps): Promise<void> {
    const signal = this.beginJob('compare');
    if (!signal) return;
    try {
      for (const algo of algos) {
        if (signal.aborted) break;
        const requested = { ...store.config, algo };
        try {
          checkConsistency(requested);
        } catch (e) {
          store.banner({ id: `skip-${algo}`, kind: 'warning', title: `${ALGO_LABELS[algo]} skipped`, message: (e as Error).message });
          continue;
        }
        const fit = this.fits(requested);
        if (!fit.fits) {
          store.banner({ id: `skip-${algo}`, kind: 'warning', title: `${ALGO_LABELS[algo]} skipped: too big for this device`, message: fit.problem ?? '' });
          continue;
        }
        store.jobText = `${ALGO_LABELS[algo]}: starting`;
        store.changed();
        const t = await this.createTrainer(requested);
        try {
          const target = Math.min(steps, t.config.steps);
          const rec = this.newRecord(t, requested, 'compare', target);
          await t.run(target, {
            logEvery: chooseLogEvery(target, t.config.evalEvery),
            signal,
            onLog: (p) => {
              this.onLog(rec, t, p);
              store.jobText = `${ALGO_LABELS[algo]}: step ${p.step} of ${target}`;
            },
          });
          rec.stepsDone = t.stepsDone;
          rec.summary = t.summary();
        } finally {
          t.destroy();
        }
      }
    } catch (e) {
      this.fail(e, 'Comparison stopped');
    }
    this.endJob();
  }

  /** Short runs at several table sizes per algorithm: step time vs total rows. */
  async sweep(): Promise<void> {
    const signal = this.beginJob('sweep');
    if (!signal) return;
    const ui = store.ui;
    const base = store.config;
    const sizes = sweepSizes(ui.sweepFrom, ui.sweepTo, ui.sweepPoints);
    // on a Criteo file, each size re-hashes the file into its tables (createTrainer re-parses)
    const criteo = store.dataSource === 'criteo' ? store.criteo : undefined;
    store.sweep = [];
    store.sweepData = criteo ? `the Criteo file ${criteo.name}, re-hashed into each size` : 'the synthetic task';
    const tooBig = new Set<Algo>();
    try {
      outer: for (const total of sizes) {
        for (const algo of ALGOS) {
          if (signal.aborted) break outer;
          const tables = splitRows(total, base.tables.length);
          // steps + 1: the run never reaches its last step, so no final evaluation is timed
          const cfg: Config = { ...base, algo, tables, steps: ui.sweepSteps + 1, evalEvery: 0 };
          try {
            checkConsistency(cfg);
          } catch (e) {
            store.sweep = [...store.sweep, { algo, totalRows: total, skipped: (e as Error).message }];
            continue;
          }
          if (tooBig.has(algo)) {
            store.sweep = [...store.sweep, { algo, totalRows: total, skipped: 'too big for this device' }];
            continue;
          }
          const est = estimateMemory(cfg, store.limits);
          if (!est.fits) {
            tooBig.add(algo);
            store.sweep = [...store.sweep, { algo, totalRows: total, skipped: est.problem ?? 'too big for this device' }];
            continue;
          }
          store.jobText = `${ALGO_LABELS[algo]} at ${total.toLocaleString('en-US')} rows${criteo ? ` (${criteo.name} re-hashed)` : ''}`;
          store.changed();
          let t: Trainer | undefined;
          try {
            t = await this.createTrainer(cfg);
            await t.run(ui.sweepSteps, { logEvery: ui.sweepSteps, signal });
            const s = t.summary();
            store.sweep = [...store.sweep, { algo, totalRows: total, stepMs: s.stepMedianMs, stageMs: s.stageMedianMs }];
          } catch (e) {
            if (e instanceof CapacityError) {
              tooBig.add(algo);
              store.sweep = [...store.sweep, { algo, totalRows: total, skipped: (e as Error).message }];
            } else throw e;
          } finally {
            t?.destroy();
          }
          store.changed();
        }
      }
    } catch (e) {
      this.fail(e, 'Sweep stopped');
    }
    this.endJob();
  }

  /** Runs `fn` as the teaching job (one step at a time), refusing while anything else runs. */
  async teach<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (!this.beginJob('teach')) return undefined;
    try {
      return await fn();
    } catch (e) {
      this.fail(e, 'Teaching view');
      return undefined;
    } finally {
      this.endJob();
    }
  }

  // ---------------- results ----------------

  /** Measured medians per algorithm on the current configuration, for a shared link. */
  results(): SharedResults | undefined {
    const latest = store.latestByAlgo((r) => !!r.summary && r.summary.steps > 0);
    if (latest.size === 0) return undefined;
    const algos: SharedResults['algos'] = {};
    let timing: SharedResults['timing'] = 'gpu-timestamp';
    for (const [algo, r] of latest) {
      algos[algo] = { stageMs: r.summary!.stageMedianMs, stepMs: r.summary!.stepMedianMs };
      if (r.timing === 'cpu') timing = 'cpu';
    }
    return { device: deviceLine(), timing, algos };
  }

  /** Simulates a lost device (a debugging aid and the error-path test). */
  loseDevice(): void {
    this.device?.destroy();
  }

  /** Gives the device back (page unload). */
  release(): void {
    if (this.device) {
      this.released.add(this.device);
      this.device.destroy();
    }
  }
}

export const runner = new LabRunner();
export { deviceLine };
