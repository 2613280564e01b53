// The training engine: takes a GPUDevice from anywhere (browser, Dawn in node), makes the
// model's buffers (buffers.ts) and the step's dispatches (step-graph.ts) once, then runs steps
// with one compute pass per stage, timed by stage-timer.ts. Batches come from batch.ts and are
// uploaded by step-inputs.ts; step-pacing.ts keeps the CPU a few steps ahead of the GPU, run-log.ts
// makes the log points, flush.ts submits LazyDP's flush, weights go in and out through
// model-io.ts. It knows nothing of the UI or the CLI.
import { type Config, isPrivate } from '../config/config';
import type { Algorithm } from '../algorithms';
import type { Layout } from './model';
import {
  STAGES,
  type LogPoint,
  type NamedTensor,
  type RunSummary,
  type StageTimes,
  type Stage,
  type StepCosts,
  type TimingSource,
} from './types';
import { makeSynthetic, auc, type LabData } from '../data/synthetic';
import { randomSeed, seedToKey, type Key } from '../noise/philox';
import { checkShaders, type Dispatch } from '../kernels/program';
import { flushRounds } from '../kernels/noise';
import { checkData, checkStepBatch, BatchSampler, sameIds } from './batch';
import { resolvePlan, type StepPlan } from './plan';
import { allocateData, fillData, type ResidentData } from './resident-data';
import { resumeProblem, type Checkpoint } from './checkpoint';
import { CapacityError, estimateMemory, type MemoryEstimate } from './memory';
import { outOfMemoryMessage } from './messages';
import { epsilonAfter, epsilonLogged, resolveSigma } from './accounting';
import { BufferPool, allocateModel, type ModelBuffers } from './buffers';
import { buildStepGraph, refuseAuditExport, type CanarySpec, type StepGraph } from './step-graph';
import { RING, StageTimer, timingStats } from './stage-timer';
import { MicroSteps } from './micro';
import { StepInputs } from './step-inputs';
import { SubmitWindow } from './step-pacing';
import { submitFlush } from './flush';
import { RunLog } from './run-log';
import { buildInErrorScopes } from './build-scopes';
import * as io from './model-io';
import { RunExtras } from './run-extras';
import { heldOutMetrics, heldOutScores } from './evaluate';
// AUDIT ONLY: deliberate flaws for the one-run privacy audit (src/audit/), never in `train`
import type { AuditFlaw } from '../audit/flaws';

// Names callers found here first; src/engine/index.ts is the engine's public entry.
export { epsilonAfter, resolveSigma } from './accounting';
export { maxBatchFor, checkData } from './batch';
export { CapacityError, estimateMemory, fmtBytes, planShards, type Limits, type MemoryEstimate } from './memory';
export type { NamedTensor } from './types';

export class Trainer {
  readonly config: Config;
  readonly seedFixed: boolean;
  readonly timing: TimingSource;
  readonly layout: Layout;
  readonly sigma: number;
  readonly maxBatch: number;
  private runLog: RunLog; // log points (run-log.ts)
  readonly log: LogPoint[];
  stepsDone = 0;
  auditFlaw: AuditFlaw = 'none'; // AUDIT ONLY: a deliberate flaw (src/audit/flaws.ts); refuses to export
  /**
   * Whether the training data set lives on the GPU (a step uploads its example ids, a kernel
   * gathers the batch) or, where the memory plan could not hold it, batches are assembled on the
   * CPU and uploaded whole; the same batches either way. `evalOnGpu`: the same for evaluation.
   */
  batchOnGpu = false;
  evalOnGpu = false;
  /** why a split's batches are assembled on the CPU, or micro-batches chosen (the memory plan's notes) */
  batchNote?: string;
  /** examples per GPU pass when the logical batch runs in micro-batches (0: one pass; micro.ts) */
  get microBatch(): number {
    return this.plan.micro;
  }

  /** steps that came from a checkpoint (0 for a fresh run) */
  resumedFrom = 0;
  teacherAuc: number | undefined;
  private overflowCarried = 0; // from a checkpoint's steps
  /** trained batches where Poisson sampling drew more than maxBatch (see sampling docs) */
  get overflowBatches(): number {
    let n = this.overflowCarried;
    for (const s of this.sampler.overflowSteps) if (s <= this.stepsDone) n++;
    return n;
  }

  private key: Key;
  private data: LabData;
  private dev: GPUDevice;
  private plan: StepPlan; // the configuration resolved once (plan.ts)
  private shardRows?: number;
  private sampler: BatchSampler;
  private pool: BufferPool;
  private m!: ModelBuffers;
  private resident?: ResidentData;
  /** bytes of the data set copied to the GPU (once, before the first step or evaluation) */
  dataSetBytes = 0;
  private residentFilled = false;
  private inputs!: StepInputs; // what a step uploads (step-inputs.ts)
  private graph!: StepGraph;
  extras!: RunExtras; // DP-FEST's selection, rows updated, festStep for the teaching view (read-only outside)
  private micro?: MicroSteps; // micro-batches (config.microBatch, or the memory plan's choice)
  private timer!: StageTimer;
  private lastEval?: { auc: number; loss: number };
  private destroyed = false;
  // LazyDP: the batch whose pairs the lookahead sorted at step `step` - 1 (then in graph.reuseSorted)
  private sortedAhead?: { step: number; batch: Uint32Array };
  // totals over the training steps run by this trainer (see stepCosts)
  private costs = { steps: 0, uploadBytes: 0, sampling: 0, assembly: 0 };
  /** LazyDP: the step every row had its noise up to at the last flush (or checkpoint) */
  private flushedAt = 0;

  private constructor(device: GPUDevice, plan: StepPlan, sigma: number, data?: LabData, shardRows?: number) {
    const config = (this.plan = plan).config;
    this.shardRows = shardRows;
    this.dev = device;
    this.config = config;
    this.sigma = sigma;
    this.seedFixed = config.seed !== 'random';
    // A random seed is never stored in the config, exported or shown: it would reveal the noise.
    this.key = seedToKey(this.seedFixed ? config.seed : randomSeed());
    this.timing = device.features.has('timestamp-query') ? 'gpu-timestamp' : 'cpu';
    this.layout = plan.layout;
    this.maxBatch = plan.logicalB; // what Poisson draws; the GPU's batch is plan.B (micro.ts)
    this.data = data ?? makeSynthetic(config);
    this.teacherAuc = this.data.eval.prob ? auc(this.data.eval.prob, this.data.eval.labels) : undefined;
    this.sampler = new BatchSampler(this.key, config, this.maxBatch);
    this.pool = new BufferPool(device);
    this.runLog = new RunLog(config);
    this.log = this.runLog.points;
  }

  /**
   * Builds a trainer; throws ConfigError, CapacityError or an Error with the shader message.
   * `data` replaces the synthetic data set (e.g. parsed Criteo logs); it must match the config.
   * `shardRows` caps the rows per table buffer below what one binding holds (tests, benchmarks
   * of the split path on small tables).
   */
  static async create(
    device: GPUDevice,
    config: Config,
    opts: {
      data?: LabData;
      shardRows?: number;
      /** false: assemble every batch on the CPU even where the data set fits on the GPU (tests) */
      batchOnGpu?: boolean;
      auditFlaw?: AuditFlaw; // AUDIT ONLY (src/audit/run.ts): a deliberate flaw, broken on purpose
      canaries?: CanarySpec; // AUDIT ONLY (src/audit/canary.ts): gradient canaries; refuses export
      algorithm?: Algorithm; // TESTS ONLY: replaces the registered one config.algo names (its refusals)
    } = {},
  ): Promise<Trainer> {
    if (opts.data) checkData(config, opts.data);
    const dataSizes = opts.data && { train: opts.data.train.n, eval: opts.data.eval.n };
    // shardRows, batchOnGpu as given; the audit's gradient canaries' buffers
    const mem = estimateMemory(config, device.limits, { ...opts, dataSizes, canaries: opts.canaries?.m });
    if (!mem.fits) throw new CapacityError(mem.problemKey ?? 'tables', mem.problem!);
    const sigma = resolveSigma(config);
    const plan = resolvePlan(config, opts.algorithm, mem.microBatch, opts.canaries?.m);
    const t = new Trainer(device, plan, sigma, opts.data, opts.shardRows);
    t.auditFlaw = opts.auditFlaw ?? 'none'; // AUDIT ONLY
    await checkShaders(device);
    await buildInErrorScopes(
      device,
      () => t.build(mem, opts.canaries),
      () => t.destroy(),
      (message) => new CapacityError('memoryLimit', outOfMemoryMessage(message, mem, config.memoryLimit)),
    );
    return t;
  }

  /** The buffers, the resident data set and the step (inside create's error scopes). */
  private build(mem: MemoryEstimate, canaries?: CanarySpec): void {
    const { plan, pool, dev } = this;
    this.m = allocateModel(pool, plan, RING, this.shardRows);
    this.resident = allocateData(pool, this.data, mem.data, plan.B, plan.extra.lookahead);
    this.batchOnGpu = mem.data.train;
    this.evalOnGpu = mem.data.eval;
    this.batchNote = [mem.microNote, mem.data.note].filter(Boolean).join('; ') || undefined;
    this.graph = buildStepGraph(pool, plan, this.m, this.auditFlaw, this.resident, canaries);
    this.extras = new RunExtras(plan, this.graph, this.data, this.key, this.upload);
    const x = { dev, plan, graph: this.graph, m: this.m, train: this.data.train, upload: this.upload.bind(this) };
    if (plan.micro) this.micro = new MicroSteps({ ...x, resident: this.batchOnGpu ? this.resident : undefined });
    this.timer = new StageTimer(pool, this.m.loss);
    const { key, sigma, data, resident, batchOnGpu, micro } = this;
    this.inputs = new StepInputs({ ...x, key, sigma, data, resident, batchOnGpu, micro });
  }

  private get store(): io.ModelStore {
    const alive = () => io.refuseIfDestroyed(this.destroyed);
    return { dev: this.dev, layout: this.layout, shards: this.m.shards, layers: this.m.layers, alive };
  }

  private upload = (b: GPUBuffer, data: ArrayBufferView): void => this.pool.upload(b, data);

  /**
   * Dispatches per stage of a step in steady state: the step graph's lists and the sort of the
   * batch's pairs, which LazyDP runs only on its first step and after a forced batch (it reuses
   * the lookahead's sorted pairs otherwise).
   */
  get graphDispatches(): Record<Stage, number> {
    const n = Object.fromEntries(STAGES.map((st) => [st, this.graph.stages[st].length])) as Record<Stage, number>;
    if (!this.graph.reuseSorted) n.backward += this.graph.sortCurrent.length;
    return n;
  }

  /** The step's stages: the batch's pairs are sorted unless the lookahead sorted them last step. */
  private stagesFor(reuse: boolean): Record<Stage, Dispatch[]> {
    const g = this.graph;
    if (reuse) return g.stages;
    const b = g.stages.backward;
    return { ...g.stages, backward: [...b.slice(0, g.sortAt), ...g.sortCurrent, ...b.slice(g.sortAt)] };
  }

  /** Every table's buffers (all shards), for the bench's copy kernel. */
  get tableBuffers(): GPUBuffer[] {
    return [...new Set(this.m.shards.flatMap((s) => s.map((sh) => sh.E)))]; // packed: one for all
  }

  /** Means per training step so far (zeros before the first): dispatches, bytes uploaded, CPU time. */
  stepCosts(): StepCosts {
    const n = Math.max(1, this.costs.steps);
    const c = this.costs;
    return {
      dispatches: this.timer.dispatches / n,
      uploadBytes: c.uploadBytes / n,
      cpuMs: { sampling: c.sampling / n, assembly: c.assembly / n, encoding: this.timer.encodeMs / n },
      batchOnGpu: this.batchOnGpu,
      ...this.extras.rows(this.resumedFrom, this.stepsDone, (s) => this.batchIndices(s)),
    };
  }

  /** Example indices of batch s (1-based), sampled as the accountant assumes (or shuffled). */
  batchIndices(s: number): Uint32Array {
    return this.sampler.indices(s);
  }

  /**
   * The data set (training and held-out splits). Where it lives on the GPU, the GPU holds the copy
   * made before the first step or evaluation: a change after that is not trained on.
   */
  get dataset(): LabData {
    return this.data;
  }

  /** Reads a named internal buffer ('norms', 'clipFactors'), for tests and the teaching view. */
  async inspect(name: 'norms' | 'clipFactors'): Promise<Float32Array> {
    const b = name === 'norms' ? this.m.norms : name === 'clipFactors' ? this.m.factors : undefined;
    if (!b) throw new Error(`no buffer ${name}`);
    return new Float32Array(await io.readBuffer(this.dev, b, 0, b.size));
  }

  /**
   * One step on a batch given by example indices (tests: a chosen example, e.g. one with a huge
   * gradient); `next` is the lookahead batch for LazyDP.
   */
  async stepOn(batch: ArrayLike<number>, next: ArrayLike<number> = []): Promise<void> {
    for (const ex of [batch, next]) checkStepBatch(ex, this.maxBatch, this.data.train.n);
    await this.trainStep(Uint32Array.from(batch), Uint32Array.from(next));
    await this.logPoint(false);
  }

  /** The resident data set's one copy to the GPU, before the first step or evaluation needs it. */
  private fillResident(): void {
    if (!this.resident || this.residentFilled) return;
    this.dataSetBytes = fillData(this.dev, this.resident, this.data);
    this.residentFilled = true;
  }

  private async trainStep(forced?: Uint32Array, forcedNext?: Uint32Array): Promise<void> {
    const s = this.stepsDone + 1;
    // The lr schedule, LazyDP's lr tables (lrs, lrSqPrefix) and the accountant end at
    // config.steps: a later step would read past the tables' ends in the shaders (its noise then
    // up to the device's robust-access policy) and train beyond what epsilon accounts for.
    if (s > this.config.steps)
      throw new RangeError(
        `step ${s}: the run is configured for ${this.config.steps} steps; raise "steps" to train longer`,
      );
    this.fillResident();
    const t0 = performance.now();
    const batch = forced ?? this.batchIndices(s);
    // one-batch lookahead for LazyDP: batch s+1 is sampled now; after the last step there is none
    // (the final flush covers every row).
    const next = this.plan.extra.lookahead
      ? (forcedNext ?? (s < this.config.steps ? this.batchIndices(s + 1) : []))
      : undefined;
    const t1 = performance.now();
    const bytes = this.inputs.upload(s, batch, next, !!forced, !!forcedNext);
    const t2 = performance.now();
    this.costs.steps++;
    this.costs.uploadBytes += bytes;
    this.costs.sampling += t1 - t0;
    this.costs.assembly += t2 - t1;
    // LazyDP sorted this batch's pairs last step (as its lookahead) unless a caller forced
    // another batch (or a checkpoint load moved the step): then copy those instead of sorting
    const ahead = this.sortedAhead;
    const reuse = !this.micro && !!this.graph.reuseSorted && ahead?.step === s && sameIds(ahead.batch, batch);
    const stages = this.micro?.last ?? this.stagesFor(reuse);
    await this.timer.runStep(stages, s, batch.length, reuse ? this.graph.reuseSorted : []);
    if (this.micro && next) this.costs.uploadBytes += this.micro.lookahead(next);
    this.sortedAhead = next ? { step: s + 1, batch: Uint32Array.from(next) } : undefined;
    this.stepsDone = s;
  }

  async run(
    n: number,
    opts: {
      logEvery?: number;
      onLog?: (p: LogPoint) => void;
      signal?: AbortSignal;
      /**
       * Leave a PRV epsilon (sigma > 0) out of the log points, for the caller to fill in: the lab
       * computes it in a Web Worker so that a composition never holds up the steps. RDP and
       * sigma-0 values cost microseconds and stay in.
       */
      deferPrvEpsilon?: boolean;
    } = {},
  ): Promise<void> {
    if (this.destroyed) throw new Error('trainer destroyed');
    const c = this.config;
    const logEvery = Math.max(1, Math.min(RING, opts.logEvery ?? Math.max(1, Math.round(c.steps / 50))));
    const end = Math.min(c.steps, this.stepsDone + n);
    this.runLog.start();
    const window = new SubmitWindow(this.dev);
    while (this.stepsDone < end && !opts.signal?.aborted) {
      await this.trainStep();
      const s = this.stepsDone;
      await window.afterSubmit();
      const evalNow = (c.evalEvery > 0 && s % c.evalEvery === 0) || s === c.steps;
      if (s % logEvery === 0 || s === end || evalNow || this.timer.pendingCount >= RING)
        await this.logPoint(evalNow, opts.onLog, opts.deferPrvEpsilon);
    }
    if (this.stepsDone < end || this.timer.pendingCount) await this.logPoint(false, opts.onLog, opts.deferPrvEpsilon);
    if (this.stepsDone >= c.steps) await this.flush();
  }

  private logPoint(evalNow: boolean, onLog?: (p: LogPoint) => void, deferPrv = false): Promise<void> {
    const step = this.stepsDone;
    return this.runLog.point({
      timer: this.timer,
      step,
      epsilon: () => (deferPrv && this.prvDeferrable() ? undefined : epsilonLogged(this.config, this.sigma, step)),
      evaluate: evalNow ? () => this.evaluate() : undefined,
      onLog,
    });
  }

  /**
   * Adds every row's pending LazyDP noise (steps H[r]+1 .. stepsDone) and sets H[r] = stepsDone.
   * Runs before anything reads a whole table: evaluation, export, read-out, end of training.
   */
  async flush(): Promise<void> {
    if (this.plan.algorithm.beforeRead !== 'flush' || this.stepsDone === 0) return;
    if (this.auditFlaw === 'skip-final-flush') return; // AUDIT ONLY, BROKEN on purpose
    this.inputs.writeUniforms(this.stepsDone);
    // lazydp-exact repeats the flush until the rows furthest behind (at most since the last
    // flush) have replayed every step
    const rounds = flushRounds(this.plan.algorithm.tableNoise === 'lazy-exact', this.stepsDone - this.flushedAt);
    await submitFlush(this.dev, this.graph.flush, rounds);
    this.flushedAt = this.stepsDone;
  }

  /** Held-out loss and AUC; flushes pending noise first. */
  async evaluate(): Promise<{ auc: number; loss: number }> {
    await this.flush();
    this.fillResident();
    const ds = this.data.eval;
    const { dev, graph, m, resident, evalOnGpu, layout } = this;
    const scores = await heldOutScores(
      { dev, graph, m, resident, evalOnGpu, layout, B: this.plan.B, upload: this.upload },
      ds,
    );
    this.lastEval = heldOutMetrics(scores, ds.labels);
    return this.lastEval;
  }

  /** LazyDP history H_t[start .. start+count) (zeros for sgd and dpsgd). */
  async readHistory(table: number, start: number, count: number): Promise<Uint32Array> {
    if (!this.plan.extra.history) return new Uint32Array(count);
    const R = this.layout.rows[table];
    count = Math.max(0, Math.min(count, R - start));
    return new Uint32Array(await this.readSpan(table, 'H', 1, start, count));
  }

  /** Rows of a table, after a flush: no caller sees a row without its pending noise. */
  async readRows(table: number, start: number, count: number): Promise<Float32Array> {
    await this.flush();
    const R = this.layout.rows[table];
    count = Math.max(0, Math.min(count, R - start));
    return new Float32Array(await this.readSpan(table, 'E', this.layout.D, start, count));
  }

  /** Rows of a table's E or H as stored, without a flush (tests read pending state through it). */
  private readSpan(table: number, which: 'E' | 'H', width: number, start: number, count: number): Promise<ArrayBuffer> {
    return io.readSpan(this.store, table, which, width, start, count);
  }

  /**
   * Continues from an exported model (src/engine/checkpoint.ts): its weights replace the
   * initial ones and training goes on at step ck.steps + 1. Only before the first step. The file
   * was flushed, so every LazyDP row has its noise up to ck.steps.
   */
  async loadCheckpoint(ck: Checkpoint): Promise<void> {
    if (this.stepsDone !== 0) throw new Error('loadCheckpoint: only before the first step');
    const problem = resumeProblem(ck, this.config, this.sigma, this.data.source);
    if (problem) throw problem;
    this.extras.load(ck); // DP-FEST's selection
    await io.loadWeights(this.store, ck);
    this.stepsDone = ck.steps;
    this.runLog.lastStep = ck.steps;
    this.resumedFrom = ck.steps;
    this.flushedAt = ck.steps; // loadWeights set every row's history to ck.steps
    this.overflowCarried = ck.overflowBatches;
  }

  get festSelection(): readonly Uint32Array[] | undefined {
    return this.extras.selection; // DP-FEST's rows per table, saved in exports
  }

  /** Rows per buffer of each table (one entry per shard). */
  get shardLayout(): { rowStart: number; rows: number }[][] {
    return this.m.shards.map((s) => s.map(({ rowStart, rows }) => ({ rowStart, rows })));
  }

  /** Export names and shapes, in export order. */
  exportShapes(): { name: string; shape: number[] }[] {
    return io.exportShapes(this.layout);
  }

  /**
   * Every tensor's data in export order (exportShapes), in pieces of at most `chunkBytes`, for
   * writers that stream tables larger than memory; flushes pending noise first.
   */
  async exportStream(write: (bytes: Uint8Array) => void | Promise<void>, chunkBytes = 64 << 20): Promise<void> {
    refuseAuditExport(this.auditFlaw, this.graph?.canaries);
    io.refuseIfDestroyed(this.destroyed);
    await this.flush();
    await io.exportStream(this.store, write, chunkBytes);
  }

  /** All weights under their export names; flushes pending noise first. */
  async exportTensors(): Promise<NamedTensor[]> {
    refuseAuditExport(this.auditFlaw, this.graph?.canaries);
    io.refuseIfDestroyed(this.destroyed);
    await this.flush();
    return io.exportTensors(this.store);
  }

  /** Per-step stage times read back so far, in step order (for pooling across runs). */
  get stageSamples(): readonly StageTimes[] {
    return this.timer.samples;
  }

  /** Whether run({ deferPrvEpsilon }) leaves this trainer's epsilon to the caller. */
  prvDeferrable(): boolean {
    return this.config.accountant === 'prv' && isPrivate(this.config) && this.sigma > 0;
  }

  /**
   * `skip`: leading steps left out as warm-up (default: 2 when more than 4 were timed).
   * `epsilon`: the run's epsilon when the caller computed it (the lab, in its worker, from the
   * same epsilonAfter); otherwise it is computed here.
   */
  summary(skip?: number, epsilon?: number): RunSummary {
    const last = this.log[this.log.length - 1];
    return {
      steps: this.stepsDone,
      timing: this.timing,
      ...timingStats(this.timer.samples, skip),
      finalLoss: last?.loss ?? NaN,
      auc: this.lastEval?.auc ?? NaN,
      evalLoss: this.lastEval?.loss ?? NaN,
      teacherAuc: this.teacherAuc,
      epsilon: epsilon ?? epsilonAfter(this.config, this.sigma, this.stepsDone),
      sigma: this.sigma,
      overflowBatches: this.overflowBatches,
      resumedFrom: this.resumedFrom || undefined,
      perStep: this.stepCosts(),
      log: this.log.slice(),
    };
  }

  destroy(): void {
    this.destroyed = true;
    this.pool.destroy();
    this.timer?.destroy();
  }
}
