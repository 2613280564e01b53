// Turns button presses into engine calls. The main run lives here (train, step, pause, stop,
// reset, continuing a downloaded model), and so does every trainer the page keeps: the main
// run's and the teaching view's, so a lost device takes both with it. The device is in
// device.ts, background jobs (comparison, sweep, model export, teaching steps) in jobs.ts, and
// every change of run state goes through the store, whose one lock (store.lock) decides what
// may start. The engine awaits the GPU between steps, so the page stays responsive.
// Errors are named in errors.ts, and a shared link's numbers gathered in results.ts.

import { checkConsistency, type Algo, type Config } from '../../config/config';
import { cleanText } from '../../config/url-text';
import type { SharedResults } from '../../config/url';
import {
  CapacityError,
  Trainer,
  epsilonAfter,
  estimateMemory,
  fmtBytes,
  labResumeConfig,
  openCheckpoint,
  resolveSigma,
  resumeProblem,
  tensorProblem,
  zeroStages,
} from '../../engine';
import { LabDevice } from './device';
import { describeError, privacyProblem } from './errors';
import { Jobs, chooseLogEvery } from './jobs';
import { epsilonFiller } from '../workers/privacy-client';
import { sharedResults } from './results';
import { store, type RunRecord } from './store';

export { chooseLogEvery, splitRows, sweepSizes } from './jobs';
export { browserName, deviceLine } from './results';
export { describeError, privacyProblem, type ErrorReport } from './errors';

/** The teaching view's trainer: one configuration (and data) on one device. */
interface TeachTrainer {
  trainer: Trainer;
  sig: string;
  device: GPUDevice;
}

export class LabRunner {
  readonly gpu = new LabDevice(() => this.forgetTrainers());
  readonly jobs = new Jobs({
    createTrainer: (c) => this.createTrainer(c),
    newRecord: (t, r, s, n) => this.newRecord(t, r, s, n),
    fits: (c, beside) => this.fits(c, beside),
    fitsTogether: (cs) => this.fitsTogether(cs),
    fail: (e, ctx) => this.fail(e, ctx),
    releaseFinishedModel: () => {
      if (store.status !== 'paused') this.disposeMain();
    },
  });
  private main?: Trainer;
  private teachT?: TeachTrainer;
  private abort?: AbortController;
  private stopRequested = false;
  private mainPromise?: Promise<void>;
  /** changes whenever a start or an open-model in progress must give up (Reset) */
  private startToken = {};
  /** the data each trainer was made with ('synthetic' or a Criteo file's id) */
  private dataOf = new WeakMap<Trainer, string>();

  // ---------------- device ----------------

  get adapter(): GPUAdapter | null {
    return this.gpu.adapter;
  }
  get device(): GPUDevice | null {
    return this.gpu.device;
  }
  /** the main run's trainer (the UI tests read rows and history through it) */
  get trainer(): Trainer | undefined {
    return this.main;
  }
  connect(): Promise<boolean> {
    return this.gpu.connect();
  }
  get ready(): boolean {
    return this.gpu.ready;
  }
  loseDevice(): void {
    this.gpu.lose();
  }
  release(): void {
    this.gpu.release();
  }

  /** The device is gone and every trainer with it: none of them may be used again. */
  private forgetTrainers(): void {
    this.main = undefined;
    this.teachT = undefined;
    this.abort?.abort();
    this.jobs.cancel();
    this.startToken = {};
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
    const device = this.gpu.device;
    if (!device) throw new Error('no GPU device');
    checkConsistency(config);
    const dataId = store.dataId;
    const criteo = store.dataSource === 'criteo' ? store.criteo : undefined;
    const data = criteo ? await criteo.dataFor(config) : undefined;
    const t = await Trainer.create(device, config, data ? { data } : {});
    this.dataOf.set(t, dataId);
    return t;
  }

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

  /**
   * The engine's estimate against this device's limits, before anything is allocated. `beside`:
   * the trainers the lab keeps on the GPU (a paused main run, the teaching view's) stay there
   * while this one runs, so they count against the same memory limit.
   */
  fits(config: Config = store.config, beside = false): { fits: boolean; problem?: string } {
    if (!store.limits) return { fits: true };
    try {
      const e = estimateMemory(config, store.limits);
      if (!e.fits || !beside) return { fits: e.fits, problem: e.problem };
      const kept = [
        this.main && ['the paused run', this.main],
        this.teachT && ['the teaching view', this.teachT.trainer],
      ].filter((x): x is [string, Trainer] => !!x);
      const held = kept.reduce((a, [, t]) => a + estimateMemory(t.config, store.limits).totalBytes, 0);
      if (e.totalBytes + held <= e.limitBytes) return { fits: true };
      return {
        fits: false,
        problem:
          `it needs ${fmtBytes(e.totalBytes)} beside the ${fmtBytes(held)} ${kept.map(([n]) => n).join(' and ')} keeps on the GPU, ` +
          `more than memoryLimit ${config.memoryLimit} GiB together: Reset first, or raise memoryLimit if this GPU has the memory`,
      };
    } catch (err) {
      return { fits: false, problem: (err as Error).message };
    }
  }

  /** Whether all of `configs` fit on the GPU at once, beside what the lab keeps (the comparison's rounds). */
  fitsTogether(configs: Config[]): boolean {
    if (!store.limits || !configs.length) return true;
    try {
      const es = configs.map((c) => estimateMemory(c, store.limits!));
      const kept = [this.main, this.teachT?.trainer].filter((t): t is Trainer => !!t);
      const held = kept.reduce((a, t) => a + estimateMemory(t.config, store.limits!).totalBytes, 0);
      return es.reduce((a, e) => a + e.totalBytes, held) <= es[0].limitBytes;
    } catch {
      return false;
    }
  }

  // ---------------- the main run ----------------

  private get resumable(): boolean {
    return !!this.main && store.status === 'paused' && !!store.current;
  }

  /** Train: start a fresh run, or resume a paused one. */
  train(): Promise<void> {
    return this.go(Number.POSITIVE_INFINITY);
  }

  stepOnce(): Promise<void> {
    return this.go(1);
  }

  private async go(n: number): Promise<void> {
    if (!store.free) return;
    if (!this.resumable && (!this.fits().fits || privacyProblem(store.config))) return;
    if (!store.lock('train')) return;
    if (!this.resumable && !(await this.startMain())) return;
    await this.runMain(n);
  }

  private async startMain(): Promise<boolean> {
    this.disposeMain();
    store.setStatus('starting');
    const token = (this.startToken = {});
    try {
      const requested = store.config;
      const t = await this.createTrainer(requested);
      if (token !== this.startToken) {
        // Reset (or a lost device) while the trainer was being made: this start is cancelled
        t.destroy();
        return false;
      }
      this.main = t;
      store.setCurrent(this.newRecord(t, requested, 'train', t.config.steps));
      return true;
    } catch (e) {
      if (token === this.startToken) {
        this.fail(e, 'Could not start training');
        store.setStatus('idle');
        store.unlock('train');
      }
      return false;
    }
  }

  private runMain(n: number): Promise<void> {
    const t = this.main!;
    const rec = store.current!;
    this.abort = new AbortController();
    this.stopRequested = false;
    store.setStatus('running');
    const steps = Math.min(n, rec.target - t.stepsDone);
    const logEvery = n === 1 ? 1 : chooseLogEvery(rec.target, rec.config.evalEvery);
    const p = (async () => {
      let status: typeof store.status;
      try {
        // PRV epsilons come from the privacy worker, so a composition never holds up the steps
        const eps = epsilonFiller(t);
        await t.run(steps, {
          logEvery,
          signal: this.abort!.signal,
          deferPrvEpsilon: true,
          onLog: (pt) => {
            store.logPoint(rec, pt, t.stepsDone);
            eps.point(pt);
          },
        });
        store.finishRun(rec, t.stepsDone, t.summary(undefined, await eps.finish(t.stepsDone)));
        status = this.stopRequested ? 'stopped' : t.stepsDone >= rec.target ? 'done' : 'paused';
      } catch (e) {
        this.fail(e, 'Training stopped');
        status = 'error';
      }
      // a finished or stopped run keeps its model on the GPU for "Download model" until the next
      // run, comparison, sweep or reset
      if (status === 'error') this.disposeMain();
      if (store.deviceState !== 'lost') {
        store.setStatus(status);
        store.unlock('train');
      }
    })();
    this.mainPromise = p;
    return p;
  }

  pause(): void {
    if (store.status !== 'running' || store.job !== 'train') return;
    store.setStatus('pausing');
    this.abort?.abort();
  }

  async stop(): Promise<void> {
    if (store.status === 'running' || store.status === 'pausing') {
      this.stopRequested = true;
      this.abort?.abort();
      await this.mainPromise;
    } else if (store.status === 'paused') store.setStatus('stopped');
  }

  /** A model to download: the main run's, paused, stopped or done, while nothing else runs. */
  get modelAvailable(): boolean {
    return (
      !!this.main &&
      this.main.stepsDone > 0 &&
      ['paused', 'stopped', 'done'].includes(store.status) &&
      store.job === null
    );
  }

  /** Writes the main run's model to a file (jobs.ts); call straight from the click (the save dialog needs it). */
  downloadModel(): Promise<void> {
    if (!this.main || !this.modelAvailable) return Promise.resolve();
    return this.jobs.exportModel(this.main);
  }

  /**
   * Continues a downloaded model: the file's configuration replaces the panel's, its weights the
   * initial ones, and the run waits, paused, at the file's step. Every check of the file (its
   * metadata, the engine's checkpoint rules, its tensors and shapes, the memory it needs) runs
   * first, so a refused file leaves the current run and the panel as they were.
   */
  async resumeFromFile(file: Blob & { name?: string }): Promise<void> {
    const name = cleanText(file.name) || 'the file'; // shown in the page: no control or bidi characters
    if (!store.lock('train', `reading ${name}`)) return;
    const token = (this.startToken = {});
    store.dismiss('resume-note');
    const prevConfig = store.config;
    let replaced = false;
    try {
      const ck = await openCheckpoint(
        async (o, l) => new Uint8Array(await file.slice(o, o + l).arrayBuffer()),
        file.size,
      );
      const here = store.dataSource === 'criteo' && !!store.criteo ? 'criteo' : 'synthetic';
      const { config, dropped } = labResumeConfig(ck, name, { memoryLimit: store.config.memoryLimit, data: here });
      const sigma = resolveSigma(config);
      const problem = resumeProblem(ck, config, sigma, here) ?? tensorProblem(ck, config);
      if (problem) throw problem;
      const fit = this.fits(config);
      if (!fit.fits) throw new CapacityError('memoryLimit', fit.problem ?? 'too big for this device');
      if (token !== this.startToken) return;
      // accepted: the current run gives way, as Reset would
      this.disposeMain();
      store.discardCurrent();
      store.setStatus('starting');
      store.replaceConfig(config);
      replaced = true;
      const t = await this.createTrainer(config);
      try {
        await t.loadCheckpoint(ck);
      } catch (e) {
        t.destroy();
        throw e;
      }
      if (token !== this.startToken) {
        t.destroy();
        return;
      }
      this.main = t;
      const rec = this.newRecord(t, config, 'train', t.config.steps);
      // the privacy the file's steps already spent, shown before the first new step
      const epsilon = epsilonAfter(config, sigma, ck.steps);
      store.logPoint(
        rec,
        { step: ck.steps, loss: NaN, stageMs: zeroStages(), stepsPerSec: NaN, examples: 0, epsilon },
        t.stepsDone,
      );
      store.setCurrent(rec);
      store.setStatus('paused');
      if (dropped.length)
        store.banner({
          id: 'resume-note',
          kind: 'warning',
          title: 'Optimizer state not in the file',
          message: `${name} was trained with ${dropped.join(' and ')}; it continues with plain SGD.`,
        });
    } catch (e) {
      if (replaced) store.replaceConfig(prevConfig);
      this.fail(e, `Could not continue from ${name}`);
      if (replaced) store.setStatus('idle');
    } finally {
      // not after Reset or a lost device, which took the lock back already
      if (token === this.startToken) store.unlock('train');
    }
  }

  /**
   * Discards the main run. A run starting or a model being opened gives up; a running one stops
   * at the next step; a model being written is finished first (Reset waits for the file).
   */
  async reset(): Promise<void> {
    if (store.job === 'export') {
      store.setJobText('writing the model; Reset follows when the file is complete');
      await this.jobs.exporting;
    }
    this.jobs.cancel();
    this.startToken = {};
    if (store.status === 'running' || store.status === 'pausing') {
      this.abort?.abort();
      await this.mainPromise;
    }
    this.disposeMain();
    store.unlock('train'); // a start or an open-model that gave up
    store.discardCurrent();
  }

  private disposeMain(): void {
    this.main?.destroy();
    this.main = undefined;
  }

  /** Whether the paused run was made from a configuration (or data) other than the current one. */
  get staleConfig(): boolean {
    const c = store.current;
    return !!c && (JSON.stringify(c.requested) !== JSON.stringify(store.config) || c.data !== store.dataId);
  }

  // ---------------- background jobs (jobs.ts) ----------------

  cancelJob(): void {
    this.jobs.cancel();
  }
  compare(algos?: readonly Algo[], steps?: number, runsBefore?: number): Promise<void> {
    return this.jobs.compare(algos, steps, runsBefore);
  }
  sweep(): Promise<void> {
    return this.jobs.sweep();
  }
  teach<T>(fn: () => Promise<T>): Promise<T | undefined> {
    return this.jobs.teach(fn);
  }

  // ---------------- the teaching view's trainer ----------------

  /** The teaching trainer for `sig`, if there is one on the current device. */
  teachTrainer(sig: string): Trainer | undefined {
    const t = this.teachT;
    return t && t.sig === sig && t.device === this.gpu.device ? t.trainer : undefined;
  }

  /** The teaching trainer for `sig`: the one there is, or a fresh one made from `config`. */
  async ensureTeachTrainer(sig: string, config: Config): Promise<Trainer> {
    const have = this.teachTrainer(sig);
    if (have) return have;
    this.dropTeachTrainer();
    const device = this.gpu.device;
    const trainer = await this.createTrainer(config);
    if (device !== this.gpu.device) {
      trainer.destroy();
      throw new Error('the GPU device changed while the teaching run was being made');
    }
    this.teachT = { trainer, sig, device: device! };
    return trainer;
  }

  dropTeachTrainer(): void {
    this.teachT?.trainer.destroy();
    this.teachT = undefined;
  }

  // ---------------- results ----------------

  /** Measured medians per algorithm on the current configuration, for a shared link (results.ts). */
  results(): SharedResults | undefined {
    return sharedResults();
  }
}

export const runner = new LabRunner();
