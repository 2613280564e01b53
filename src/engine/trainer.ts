// The training engine: takes a GPUDevice from anywhere (browser, Dawn in node), builds every
// buffer and dispatch of a step once, then runs steps with one compute pass per stage, timed with
// timestamp queries. It knows nothing of the UI or the CLI.
import { type Config, ConfigError, isPrivate, lrAt } from '../config/config';
import { modelLayout, initMlp, type Layout, type Layer } from './model';
import { STAGES, zeroStages, type LogPoint, type RunSummary, type Stage, type StageTimes, type TimingSource } from './types';
import { makeSynthetic, auc, type LabData, type Dataset } from '../data/synthetic';
import { randomSeed, seedToKey, type Key } from '../noise/philox';
import { makeUniform, makeDispatch, encode, grid, withLibs, checkShaders, uniformView, type Dispatch } from '../kernels/program';
import { MATMUL_CODE, matmulProgram, matmulGroups, type MatmulParams, type MatmulOptions } from '../kernels/matmul';
import { GATHER_CODE, gatherProgram, INVALID_ROW } from '../kernels/gather';
import { LOSS_CODE, lossProgram } from '../kernels/loss';
import { RELU_CODE, reluBackwardProgram } from '../kernels/relu';
import { INTERACTION_CODE, interactionForwardProgram, interactionBackwardProgram, interactionThreads } from '../kernels/interaction';
import { LAYER_NORM_CODE, BAG_NORM_CODE, CLIP_CODE, layerNormProgram, bagNormProgram, clipProgram } from '../kernels/norms';
import { COLSUM_CODE, colsumProgram } from '../kernels/colsum';
import { SORT_CODE, sortBuildProgram, sortGlobalProgram, sortLocalProgram, sortPlan, sortSize, SORT_BLOCK } from '../kernels/sort';
import { SEGSUM_CODE, ROWS_UPDATE_CODE, segsumProgram, rowsUpdateProgram, rowsScatterProgram } from '../kernels/segsum';
import {
  MLP_UPDATE_CODE, TABLE_NOISE_CODE, LAZY_CODE, mlpUpdateProgram, mlpOptimProgram, mlpSampleProgram, tableNoiseFusedProgram,
  tableNoiseSampleProgram, tableNoiseAddProgram, lazyProgram, type NoiseMode,
} from '../kernels/noise';
import initCode from '../../shaders/init_table.wgsl?raw';
import { isLazy, maxBatchFor, denseTableState } from './batch';
import { TABLE_OPTIM_CODE, tableOptimProgram, optimValues } from '../kernels/optim';
import { resumeProblem, type Checkpoint } from './checkpoint';
import { estimateMemory, fmtBytes, planShards } from './memory';
import { poissonBatch, shuffleBatch, truncateBatch } from '../privacy/sampling';
import { epsilonAfter, resolveSigma } from './accounting';
import { checkDivergence } from './divergence';
// the accounting functions stay importable from the trainer, where callers found them first
export { epsilonAfter, resolveSigma } from './accounting';

export { isLazy, maxBatchFor } from './batch';
export { estimateMemory, fmtBytes, planShards, type Limits, type MemoryEstimate } from './memory';

export interface NamedTensor { name: string; shape: number[]; data: Float32Array }

/** The configuration does not fit the device; `key` names the config key to change. */
export class CapacityError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'CapacityError';
  }
}

const RING = 64; // steps whose losses and timestamps can wait on the GPU before a read-back
const TS_STRIDE = 256; // bytes per step in the resolve buffer (resolveQuerySet needs 256-byte offsets)
const INIT_CODE = withLibs(initCode, { philox: true });

/** A data set given to the engine must have the shapes the config describes. */
export function checkData(c: Config, d: LabData): void {
  const bad = (key: string, msg: string) => {
    throw new ConfigError(key, `${msg} (data source: ${d.source})`);
  };
  if (d.rows.length !== c.tables.length || d.rows.some((r, i) => r !== c.tables[i])) bad('tables', `the data was hashed for tables [${d.rows.join(', ')}], the config has [${c.tables.join(', ')}]`);
  if (d.train.F !== c.dense) bad('dense', `the data has ${d.train.F} dense features, the config ${c.dense}`);
  if (d.train.L !== c.pooling) bad('pooling', `the data has ${d.train.L} indices per bag, the config ${c.pooling}`);
  if (d.train.n !== c.datasetSize) bad('datasetSize', `the data has ${d.train.n} training examples, the config ${c.datasetSize}`);
  for (const [name, ds] of [['train', d.train], ['eval', d.eval]] as const)
    ds.idx.forEach((a, t) => {
      for (const r of a) if (r !== INVALID_ROW && r >= c.tables[t]) bad('tables', `${name} example refers to row ${r} of table ${t}, which has ${c.tables[t]} rows`);
    });
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}


/** Rows rowStart .. rowStart + rows of table `table`: the table itself and LazyDP's history. */
interface Shard {
  table: number;
  rowStart: number;
  rows: number;
  E: GPUBuffer;
  H?: GPUBuffer;
  /** dense table optimizer: the step's row gradients scattered densely, and its state (m, v) */
  G?: GPUBuffer;
  M?: GPUBuffer;
  V?: GPUBuffer;
}

interface LayerBufs {
  layer: Layer;
  W: GPUBuffer;
  b: GPUBuffer;
  gW: GPUBuffer;
  gb: GPUBuffer;
  nW?: GPUBuffer;
  nb?: GPUBuffer;
  /** mlpOptimizer state: m (momentum, Adam) and v (Adam) of W and b */
  mW?: GPUBuffer;
  vW?: GPUBuffer;
  mb?: GPUBuffer;
  vb?: GPUBuffer;
  /** input view */
  inBuf: GPUBuffer; inOff: number; inLd: number;
  /** output (post-activation) view */
  outBuf: GPUBuffer; outOff: number; outLd: number;
  /** output-gradient view */
  gBuf: GPUBuffer; gOff: number; gLd: number;
}

export class Trainer {
  readonly config: Config;
  readonly seedFixed: boolean;
  readonly timing: TimingSource;
  readonly layout: Layout;
  readonly sigma: number;
  readonly maxBatch: number;
  readonly log: LogPoint[] = [];
  stepsDone = 0;
  // steps whose Poisson batch was truncated; a set, since a batch is sampled again after it
  // leaves the cache (tests, the teaching view) and LazyDP samples batch s+1 during step s
  private overflowSteps = new Set<number>();
  private overflowCarried = 0; // from a checkpoint's steps
  /** trained batches where Poisson sampling drew more than maxBatch (see sampling docs) */
  get overflowBatches(): number {
    let n = this.overflowCarried;
    for (const s of this.overflowSteps) if (s <= this.stepsDone) n++;
    return n;
  }
  teacherAuc: number | undefined;

  private key: Key;
  private data: LabData;
  private dev: GPUDevice;
  private lazy: boolean;
  private N: number;
  /** per table, its shards in row order (one unless the table is larger than one binding) */
  private shards: Shard[][] = [];
  private shardRows?: number;
  private layerBufs: LayerBufs[] = [];
  private stepBuf!: GPUBuffer;
  private lossBuf!: GPUBuffer;
  private logitsBuf!: GPUBuffer;
  private denseBuf!: GPUBuffer;
  private idxBuf!: GPUBuffer;
  private idxNextBuf!: GPUBuffer;
  private labelsBuf!: GPUBuffer;
  private maskBuf!: GPUBuffer;
  private maskNextBuf!: GPUBuffer;
  private stages: Record<Stage, Dispatch[]> = { gather: [], mlp_forward: [], backward: [], clip: [], noise: [], update: [] };
  private flushDispatches: Dispatch[] = [];
  private querySet?: GPUQuerySet;
  private resolveBuf?: GPUBuffer;
  private readBuf!: GPUBuffer;
  private stageSamples: StageTimes[] = [];
  private pendingSlots: { step: number; examples: number }[] = [];
  private cpuStageMs: StageTimes[] = [];
  private lastLogTime = 0;
  private lastLogStep = 0;
  private lossSinceLog = { sum: 0, count: 0 };
  private lastEval?: { auc: number; loss: number };
  private batchCache = new Map<number, Uint32Array>();
  private owned: GPUBuffer[] = [];
  private named = new Map<string, GPUBuffer>();
  private destroyed = false;

  private constructor(device: GPUDevice, config: Config, sigma: number, data?: LabData, shardRows?: number) {
    this.shardRows = shardRows;
    this.dev = device;
    this.config = config;
    this.sigma = sigma;
    this.seedFixed = config.seed !== 'random';
    // A random seed is never stored in the config, exported or shown: it would reveal the noise.
    this.key = seedToKey(this.seedFixed ? config.seed : randomSeed());
    this.timing = device.features.has('timestamp-query') ? 'gpu-timestamp' : 'cpu';
    this.layout = modelLayout(config);
    this.lazy = isLazy(config);
    this.maxBatch = maxBatchFor(config);
    this.N = sortSize(this.maxBatch * this.layout.L);
    this.data = data ?? makeSynthetic(config);
    this.teacherAuc = this.data.eval.prob ? auc(this.data.eval.prob, this.data.eval.labels) : undefined;
  }

  /**
   * Builds a trainer; throws ConfigError, CapacityError or an Error with the shader message.
   * `data` replaces the synthetic data set (e.g. parsed Criteo logs); it must match the config.
   * `shardRows` caps the rows per table buffer below what one binding holds (tests, benchmarks
   * of the split path on small tables).
   */
  static async create(device: GPUDevice, config: Config, opts: { data?: LabData; shardRows?: number } = {}): Promise<Trainer> {
    if (opts.data) checkData(config, opts.data);
    const mem = estimateMemory(config, device.limits, { shardRows: opts.shardRows });
    if (!mem.fits) throw new CapacityError(mem.problemKey ?? 'tables', mem.problem!);
    const sigma = resolveSigma(config);
    const t = new Trainer(device, config, sigma, opts.data, opts.shardRows);
    await checkShaders(device);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    try {
      t.build();
    } finally {
      const v = await device.popErrorScope();
      const m = await device.popErrorScope();
      if (v || m) {
        t.destroy();
        if (m) throw new CapacityError('tables', `the GPU ran out of memory allocating ${fmtBytes(mem.totalBytes)}: ${m.message}`);
        throw new Error(`WebGPU validation error while building the step (shader or binding): ${v!.message}`);
      }
    }
    return t;
  }

  // ---------------------------------------------------------------------------------------
  // Buffers and dispatches, built once.

  private buf(size: number, label: string, usage = 0): GPUBuffer {
    const b = this.dev.createBuffer({
      label,
      size: Math.max(16, Math.ceil(size / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | usage,
    });
    this.owned.push(b);
    return b;
  }

  private upload(b: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.dev.queue.writeBuffer(b, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  private uniform(code: string, values: Record<string, unknown>, name = 'u'): GPUBuffer {
    const b = makeUniform(this.dev, code, name, values);
    this.owned.push(b);
    return b;
  }

  private build(): void {
    const c = this.config,
      lay = this.layout,
      dev = this.dev;
    const B = this.maxBatch,
      T = lay.T,
      D = lay.D,
      L = lay.L,
      N = this.N,
      FW = lay.featureWidth;
    const priv = isPrivate(c);
    const scaleMode: 0 | 1 | 2 = !priv ? 0 : c.clipping === 'flat' ? 1 : 2;
    const clipSqGroup = (c.clip * c.clip) / lay.groups;
    const noiseMode: NoiseMode = !priv ? 0 : c.noiseKernel === 'fused' ? 1 : 2;

    const dummy = this.buf(16, 'dummy');
    this.stepBuf = dev.createBuffer({ label: 'step', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    // the dense table optimizer's hyperparameters and this step's Adam bias corrections
    if (denseTableState(c) >= 0 || c.mlpOptimizer !== 'sgd') this.optimBuf = this.uniform(TABLE_OPTIM_CODE, optimValues(c.weightDecay, 1), 'o');
    this.owned.push(this.stepBuf);

    // Batch inputs: the current batch, and the next one's indices for LazyDP's lookahead.
    this.denseBuf = this.buf(B * lay.F * 4, 'dense');
    this.idxBuf = this.buf(T * B * L * 4, 'idx');
    this.idxNextBuf = this.buf(T * B * L * 4, 'idxNext');
    this.labelsBuf = this.buf(B * 4, 'labels');
    this.maskBuf = this.buf(B * 4, 'mask');
    this.maskNextBuf = this.buf(B * 4, 'maskNext');
    const V = this.buf(B * FW * 4, 'features');
    const dV = this.buf(B * FW * 4, 'featureGrads');
    // Dot interaction: the top MLP reads Z = [v_0, <v_a, v_c> for a < c] (own buffer, IW wide)
    // and its backward writes dZ, which the interaction backward turns into dV. Concat: Z = V.
    const dot = lay.interaction === 'dot',
      IW = lay.interactionWidth;
    const Z = dot ? this.buf(B * IW * 4, 'interaction') : V;
    const dZ = dot ? this.buf(B * IW * 4, 'interactionGrads') : dV;
    const interU = dot ? this.uniform(INTERACTION_CODE, { B, n: T + 1, D, offV: 0, ldV: FW, offZ: 0, ldZ: IW, offDV: 0, ldDV: FW }) : dummy;
    const norms = this.buf(lay.groups * B * 4, 'norms');
    const factors = this.buf(B * 4, 'clipFactors');
    this.named.set('norms', norms);
    this.named.set('clipFactors', factors);
    this.lossBuf = this.buf(RING * 2 * 4, 'loss');

    // Tables, initialised on the GPU; a table larger than one binding is split into shards of
    // consecutive rows, each kernel that touches rows runs once per shard.
    const quads = Math.ceil(D / 4);
    lay.rows.forEach((R, t) => {
      const plan = planShards(R, D, dev.limits, this.shardRows);
      this.shards.push(
        plan.map((p, k) => {
          const sfx = plan.length > 1 ? `[${k}]` : '';
          const E = this.buf(p.rows * D * 4, `tables.${t}${sfx}`);
          const u = this.uniform(INIT_CODE, { rows: p.rows, D, quads, table: t, seed: c.dataSeed >>> 0, a: 1 / Math.sqrt(R), rowStart: p.rowStart });
          const d = makeDispatch(dev, { name: 'init_table', code: INIT_CODE, workgroup: 64 }, [u, E], grid(p.rows * quads, 64));
          const enc = dev.createCommandEncoder();
          const pass = enc.beginComputePass();
          encode(pass, d);
          pass.end();
          dev.queue.submit([enc.finish()]);
          const dense = denseTableState(c);
          const state = (name: string, on: boolean) => (on ? this.buf(p.rows * D * 4, `${name}.${t}${sfx}`) : undefined);
          return {
            table: t,
            ...p,
            E,
            H: this.lazy ? this.buf(p.rows * 4, `history.${t}${sfx}`) : undefined,
            G: state('grad', dense >= 0),
            M: state('m', dense >= 1),
            V: state('v', dense >= 2),
          };
        }),
      );
    });

    // MLP layers with their input, output and gradient views.
    const mlp = initMlp(lay, c.dataSeed);
    const nb = lay.bottom.length,
      nt = lay.top.length;
    lay.layers.forEach((layer, li) => {
      const W = this.buf(layer.inDim * layer.outDim * 4, `W${li}`);
      const b = this.buf(layer.outDim * 4, `b${li}`);
      this.upload(W, mlp.W[li]);
      this.upload(b, mlp.b[li]);
      const isBottomLast = layer.mlp === 'bottom' && layer.index === nb - 1;
      const isTopLast = layer.mlp === 'top' && layer.index === nt - 1;
      const prev = li > 0 && layer.index > 0 ? this.layerBufs[li - 1] : undefined;
      const inView: [GPUBuffer, number, number] =
        layer.mlp === 'bottom' ? (prev ? [prev.outBuf, prev.outOff, prev.outLd] : [this.denseBuf, 0, lay.F]) : prev ? [prev.outBuf, prev.outOff, prev.outLd] : [Z, 0, IW];
      const outView: [GPUBuffer, number, number] = isBottomLast ? [V, 0, FW] : [this.buf(B * layer.outDim * 4, `act${li}`), 0, layer.outDim];
      const gView: [GPUBuffer, number, number] = isBottomLast ? [dV, 0, FW] : [this.buf(B * layer.outDim * 4, `grad${li}`), 0, layer.outDim];
      this.layerBufs.push({
        layer, W, b,
        gW: this.buf(layer.inDim * layer.outDim * 4, `gW${li}`),
        gb: this.buf(layer.outDim * 4, `gb${li}`),
        nW: noiseMode === 2 ? this.buf(layer.inDim * layer.outDim * 4, `nW${li}`) : undefined,
        nb: noiseMode === 2 ? this.buf(layer.outDim * 4, `nb${li}`) : undefined,
        mW: c.mlpOptimizer !== 'sgd' ? this.buf(layer.inDim * layer.outDim * 4, `mW${li}`) : undefined,
        vW: c.mlpOptimizer === 'adam' ? this.buf(layer.inDim * layer.outDim * 4, `vW${li}`) : undefined,
        mb: c.mlpOptimizer !== 'sgd' ? this.buf(layer.outDim * 4, `mb${li}`) : undefined,
        vb: c.mlpOptimizer === 'adam' ? this.buf(layer.outDim * 4, `vb${li}`) : undefined,
        inBuf: inView[0], inOff: inView[1], inLd: inView[2],
        outBuf: outView[0], outOff: outView[1], outLd: outView[2],
        gBuf: gView[0], gOff: gView[1], gLd: gView[2],
      });
      if (isTopLast) this.logitsBuf = outView[0];
    });
    const topLast = this.layerBufs[this.layerBufs.length - 1];

    const mm = (o: MatmulOptions, p: Partial<MatmulParams> & Pick<MatmulParams, 'M' | 'N' | 'K'>, A: GPUBuffer, Bm: GPUBuffer, C: GPUBuffer, aux: GPUBuffer | null, scale: GPUBuffer | null): Dispatch => {
      const full: MatmulParams = { offA: 0, sAm: 0, sAk: 0, offB: 0, sBk: 0, sBn: 0, offC: 0, ldc: 0, offAux: 0, ldAux: 0, offScale: 0, clipSq: 0, ...p };
      return makeDispatch(dev, matmulProgram(o), [this.uniform(MATMUL_CODE, full as unknown as Record<string, unknown>), A, Bm, C, aux ?? dummy, scale ?? dummy], matmulGroups(full));
    };

    // --- gather (shards after the first add their part of each bag)
    this.shards.forEach((shards, t) =>
      shards.forEach((sh, k) => {
        const u = this.uniform(GATHER_CODE, { B, L, D, rows: sh.rows, offIdx: t * B * L, offOut: (t + 1) * D, ldOut: FW, rowStart: sh.rowStart, accumulate: k > 0 ? 1 : 0 });
        this.stages.gather.push(makeDispatch(dev, gatherProgram, [u, sh.E, this.idxBuf, V], grid(B * D, 64)));
      }),
    );

    // --- mlp_forward: Y = act(X W^T + b)
    for (const lb of this.layerBufs) {
      const l = lb.layer;
      if (dot && l.mlp === 'top' && l.index === 0)
        this.stages.mlp_forward.push(makeDispatch(dev, interactionForwardProgram, [interU, V, Z, null, null], grid(interactionThreads({ B, n: T + 1, D }).forward, 64)));
      this.stages.mlp_forward.push(
        mm({ bias: true, relu: l.relu }, { M: B, N: l.outDim, K: l.inDim, offA: lb.inOff, sAm: lb.inLd, sAk: 1, sBk: 1, sBn: l.inDim, offC: lb.outOff, ldc: lb.outLd }, lb.inBuf, lb.W, lb.outBuf, lb.b, null),
      );
    }

    // --- backward: loss gradient, then G_{l-1} = (G_l W_l) * relu'(act_{l-1}); sort the batch's pairs.
    const lossU = this.uniform(LOSS_CODE, { B, slot: 0 });
    this.lossSlotU = lossU;
    this.stages.backward.push(makeDispatch(dev, lossProgram, [lossU, this.logitsBuf, this.labelsBuf, this.maskBuf, topLast.gBuf, this.lossBuf], [1, 1]));
    for (let li = this.layerBufs.length - 1; li >= 0; li--) {
      const lb = this.layerBufs[li],
        l = lb.layer;
      if (l.index === 0 && l.mlp === 'bottom') continue; // no gradient w.r.t. the dense input
      if (l.mlp === 'top' && l.index === 0) {
        // into the feature gradient dV (dot: into dZ, then the interaction backward writes dV):
        // pooled gradients (no ReLU) and the bottom output's
        this.stages.backward.push(mm({}, { M: B, N: l.inDim, K: l.outDim, offA: lb.gOff, sAm: lb.gLd, sAk: 1, sBk: l.inDim, sBn: 1, offC: 0, ldc: IW }, lb.gBuf, lb.W, dZ, null, null));
        if (dot) this.stages.backward.push(makeDispatch(dev, interactionBackwardProgram, [interU, V, null, dZ, dV], grid(interactionThreads({ B, n: T + 1, D }).backward, 64)));
        const u = this.uniform(RELU_CODE, { rows: B, cols: D, offG: 0, ldG: FW, offAct: 0, ldAct: FW });
        this.stages.backward.push(makeDispatch(dev, reluBackwardProgram, [u, dV, V], grid(B * D, 64)));
        continue;
      }
      const prev = this.layerBufs[li - 1];
      this.stages.backward.push(
        mm({ reluMask: true }, { M: B, N: l.inDim, K: l.outDim, offA: lb.gOff, sAm: lb.gLd, sAk: 1, sBk: l.inDim, sBn: 1, offC: prev.gOff, ldc: prev.gLd, offAux: prev.outOff, ldAux: prev.outLd }, lb.gBuf, lb.W, prev.gBuf, prev.outBuf, null),
      );
    }
    const sortBufs = (label: string) => ({ keys: this.buf(N * 4, `${label}.keys`), vals: this.buf(N * 4, `${label}.vals`) });
    const sortDispatches = (t: number, idx: GPUBuffer, mask: GPUBuffer, s: { keys: GPUBuffer; vals: GPUBuffer }): Dispatch[] => {
      const out: Dispatch[] = [];
      const base = { n: N, used: B * L, L, rows: lay.rows[t], offIdx: t * B * L, k: 0, j: 0 };
      out.push(makeDispatch(dev, sortBuildProgram, [this.uniform(SORT_CODE, base), idx, mask, s.keys, s.vals], grid(N, 256)));
      for (const st of sortPlan(N)) {
        const u = this.uniform(SORT_CODE, { ...base, k: st.k, j: st.kind === 'global' ? st.j : 0 });
        if (st.kind === 'local') out.push(makeDispatch(dev, sortLocalProgram, [u, null, null, s.keys, s.vals], [N / SORT_BLOCK, 1]));
        else out.push(makeDispatch(dev, sortGlobalProgram, [u, null, null, s.keys, s.vals], grid(N / 2, 256)));
      }
      return out;
    };
    const cur = lay.rows.map((_, t) => sortBufs(`sort${t}`));
    lay.rows.forEach((_, t) => this.stages.backward.push(...sortDispatches(t, this.idxBuf, this.maskBuf, cur[t])));

    // --- clip (DP) or gradient sums (sgd): per-example norms, clip factors, A^T diag(c) G.
    const gradStage = priv ? this.stages.clip : this.stages.backward;
    if (priv) {
      for (const lb of this.layerBufs) {
        const l = lb.layer;
        const u = this.uniform(LAYER_NORM_CODE, { B, inDim: l.inDim, outDim: l.outDim, offA: lb.inOff, ldA: lb.inLd, offG: lb.gOff, ldG: lb.gLd, offN: l.group * B });
        gradStage.push(makeDispatch(dev, layerNormProgram, [u, lb.inBuf, lb.gBuf, norms], grid(B, 64)));
      }
      lay.rows.forEach((R, t) => {
        const u = this.uniform(BAG_NORM_CODE, { B, L, D, rows: R, offIdx: t * B * L, offG: (t + 1) * D, ldG: FW, offN: (lay.layers.length + t) * B });
        gradStage.push(makeDispatch(dev, bagNormProgram, [u, this.idxBuf, dV, norms], grid(B, 64)));
      });
      if (scaleMode === 1) {
        const u = this.uniform(CLIP_CODE, { B, groups: lay.groups, clipSq: c.clip * c.clip });
        gradStage.push(makeDispatch(dev, clipProgram, [u, norms, this.maskBuf, factors], grid(B, 64)));
      }
    }
    const scaleBuf = scaleMode === 1 ? factors : scaleMode === 2 ? norms : null;
    for (const lb of this.layerBufs) {
      const l = lb.layer;
      const offScale = scaleMode === 2 ? l.group * B : 0;
      gradStage.push(
        mm({ scaleMode }, { M: l.outDim, N: l.inDim, K: B, offA: lb.gOff, sAm: 1, sAk: lb.gLd, offB: lb.inOff, sBk: lb.inLd, sBn: 1, offC: 0, ldc: l.inDim, offScale, clipSq: clipSqGroup }, lb.gBuf, lb.inBuf, lb.gW, null, scaleBuf),
      );
      const u = this.uniform(COLSUM_CODE, { B, N: l.outDim, offG: lb.gOff, ldG: lb.gLd, offScale, clipSq: clipSqGroup });
      gradStage.push(makeDispatch(dev, colsumProgram(scaleMode), [u, lb.gBuf, scaleBuf ?? dummy, lb.gb], grid(l.outDim, 64)));
    }
    const rowGrads = lay.rows.map((_, t) => this.buf(N * D * 4, `rowGrad${t}`));
    lay.rows.forEach((_, t) => {
      const offScale = scaleMode === 2 ? (lay.layers.length + t) * B : 0;
      const u = this.uniform(SEGSUM_CODE, { n: N, L, D, offG: (t + 1) * D, ldG: FW, offScale, clipSq: clipSqGroup });
      gradStage.push(makeDispatch(dev, segsumProgram(scaleMode), [u, cur[t].keys, cur[t].vals, dV, scaleBuf ?? dummy, rowGrads[t]], grid(N * D, 64)));
    });

    // --- noise (unfused variants; LazyDP's lookahead sort) and update
    this.layerBufs.forEach((lb) => {
      const l = lb.layer;
      for (const [param, buf, grad, nbuf, n, m, v] of [
        [l.param, lb.W, lb.gW, lb.nW, l.inDim * l.outDim, lb.mW, lb.vW],
        [l.param + 1, lb.b, lb.gb, lb.nb, l.outDim, lb.mb, lb.vb],
      ] as [number, GPUBuffer, GPUBuffer, GPUBuffer | undefined, number, GPUBuffer | undefined, GPUBuffer | undefined][]) {
        const u = this.uniform(MLP_UPDATE_CODE, { n, p: param });
        const groups = grid(Math.ceil(n / 4), 64);
        if (noiseMode === 2) this.stages.noise.push(makeDispatch(dev, mlpSampleProgram, [u, this.stepBuf, null, null, nbuf!], groups));
        const opt = c.mlpOptimizer;
        this.stages.update.push(
          opt === 'sgd'
            ? makeDispatch(dev, mlpUpdateProgram(noiseMode), [u, this.stepBuf, grad, buf, noiseMode === 2 ? nbuf! : dummy], groups)
            : makeDispatch(dev, mlpOptimProgram(opt, noiseMode), [u, this.stepBuf, grad, buf, noiseMode === 2 ? nbuf! : dummy, this.optimBuf!, m!, v ?? null], groups),
        );
      }
    });
    let lrs: GPUBuffer | undefined, prefix: GPUBuffer | undefined;
    if (this.lazy) {
      // lr of each step, and the running sum of lr^2 as (hi, lo) f32 pairs so that the pending
      // variance P[t] - P[h] stays accurate over millions of steps.
      const lrArr = new Float32Array(c.steps + 1);
      const pre = new Float32Array(2 * (c.steps + 1));
      let acc = 0;
      for (let s = 1; s <= c.steps; s++) {
        lrArr[s] = lrAt(c, s);
        acc += lrAt(c, s) ** 2;
        pre[2 * s] = Math.fround(acc);
        pre[2 * s + 1] = acc - Math.fround(acc);
      }
      lrs = this.buf(lrArr.byteLength, 'lrs');
      prefix = this.buf(pre.byteLength, 'lrSqPrefix');
      this.upload(lrs, lrArr);
      this.upload(prefix, pre);
    }
    this.shards.forEach((shards, t) => {
      const next = this.lazy ? sortBufs(`next${t}`) : undefined;
      if (next) this.stages.noise.push(...sortDispatches(t, this.idxNextBuf, this.maskNextBuf, next));
      shards.forEach((sh, k) => {
        const ru = this.uniform(ROWS_UPDATE_CODE, { n: N, D, rowStart: sh.rowStart, rows: sh.rows });
        // eager DP-SGD's noise on every row; unfused, it is sampled into a buffer in its own
        // timed pass and added by the update below (the dense optimizer's pass, or `add`)
        const eager = c.algo === 'dpsgd';
        const nu = eager ? this.uniform(TABLE_NOISE_CODE, { rows: sh.rows, D, quads, table: t, rowStart: sh.rowStart }) : null;
        let nbuf: GPUBuffer | null = null;
        if (eager && noiseMode === 2) {
          nbuf = this.buf(sh.rows * D * 4, `noise.${t}${shards.length > 1 ? `[${k}]` : ''}`);
          this.stages.noise.push(makeDispatch(dev, tableNoiseSampleProgram, [nu, this.stepBuf, nbuf], grid(sh.rows * quads, 64)));
        }
        if (sh.G) {
          // dense optimizer (sgd and dpsgd only): scatter the rows' gradients, then one pass over
          // every row that adds the eager noise, the decay and the optimizer step
          this.stages.update.push(makeDispatch(dev, rowsScatterProgram, [ru, null, cur[t].keys, rowGrads[t], null, sh.G], grid(N * D, 64)));
          const u = this.uniform(TABLE_OPTIM_CODE, { rows: sh.rows, D, quads, table: t, rowStart: sh.rowStart });
          this.stages.update.push(
            makeDispatch(dev, tableOptimProgram(c.tableOptimizer, noiseMode), [u, this.stepBuf, this.optimBuf!, sh.E, sh.G, nbuf ?? dummy, sh.M ?? null, sh.V ?? null], grid(sh.rows * quads, 64)),
          );
          return;
        }
        this.stages.update.push(makeDispatch(dev, rowsUpdateProgram, [ru, this.stepBuf, cur[t].keys, rowGrads[t], sh.E], grid(N * D, 64)));
        if (eager && noiseMode === 1) this.stages.update.push(makeDispatch(dev, tableNoiseFusedProgram, [nu, this.stepBuf, sh.E], grid(sh.rows * quads, 64)));
        if (nbuf) this.stages.update.push(makeDispatch(dev, tableNoiseAddProgram, [nu, this.stepBuf, sh.E, nbuf], grid(sh.rows * D, 64)));
        if (next) {
          const exact = c.algo === 'lazydp-exact';
          const u = this.uniform(LAZY_CODE, { n: N, rows: sh.rows, D, quads, table: t, rowStart: sh.rowStart });
          this.stages.update.push(makeDispatch(dev, lazyProgram('lookahead', exact), [u, this.stepBuf, sh.E, sh.H!, lrs!, prefix!, next.keys], grid(N, 64)));
          this.flushDispatches.push(makeDispatch(dev, lazyProgram('flush', exact), [u, this.stepBuf, sh.E, sh.H!, lrs!, prefix!, null], grid(sh.rows, 64)));
        }
      });
    });

    if (this.timing === 'gpu-timestamp') {
      this.querySet = dev.createQuerySet({ type: 'timestamp', count: RING * STAGES.length * 2 });
      this.resolveBuf = dev.createBuffer({ size: RING * TS_STRIDE, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      this.owned.push(this.resolveBuf);
    }
    this.readBuf = dev.createBuffer({ size: RING * 2 * 4 + RING * TS_STRIDE, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.owned.push(this.readBuf);
  }

  private optimBuf?: GPUBuffer;
  private optimView?: ReturnType<typeof uniformView>;
  private lossSlotU!: GPUBuffer;

  // ---------------------------------------------------------------------------------------
  // Batches

  /** Example indices of batch s (1-based), sampled as the accountant assumes (or shuffled). */
  batchIndices(s: number): Uint32Array {
    let b = this.batchCache.get(s);
    if (!b) {
      const c = this.config;
      if (c.sampling === 'shuffle') b = shuffleBatch(this.key, s, c.datasetSize, c.batch);
      else {
        b = poissonBatch(this.key, s, c.datasetSize, c.batch / c.datasetSize);
        if (b.length > this.maxBatch) {
          this.overflowSteps.add(s);
          b = truncateBatch(this.key, s, b, this.maxBatch);
        }
      }
      this.batchCache.set(s, b);
      this.batchCache.delete(s - 2);
    }
    return b;
  }

  private assemble(ds: Dataset, ex: ArrayLike<number>) {
    const { F, L, T } = this.layout;
    const B = this.maxBatch;
    const dense = new Float32Array(B * F);
    const idx = new Uint32Array(T * B * L).fill(INVALID_ROW);
    const labels = new Float32Array(B);
    const mask = new Float32Array(B);
    for (let i = 0; i < ex.length; i++) {
      const e = ex[i];
      dense.set(ds.dense.subarray(e * F, (e + 1) * F), i * F);
      for (let t = 0; t < T; t++) idx.set(ds.idx[t].subarray(e * L, (e + 1) * L), t * B * L + i * L);
      labels[i] = ds.labels[e];
      mask[i] = 1;
    }
    return { dense, idx, labels, mask };
  }

  private writeStepUniform(s: number): void {
    const c = this.config;
    const ab = new ArrayBuffer(32);
    const u32 = new Uint32Array(ab),
      f32 = new Float32Array(ab);
    // layout of struct Step in shaders/lib/step.wgsl
    u32[0] = s;
    f32[1] = lrAt(c, s);
    f32[2] = 1 / c.batch;
    f32[3] = isPrivate(c) ? this.sigma * c.clip : 0;
    u32[4] = this.key[0];
    u32[5] = this.key[1];
    this.dev.queue.writeBuffer(this.stepBuf, 0, ab);
    if (this.optimBuf) {
      this.optimView ??= uniformView(TABLE_OPTIM_CODE, 'o');
      this.optimView.set(optimValues(c.weightDecay, s));
      this.dev.queue.writeBuffer(this.optimBuf, 0, this.optimView.arrayBuffer);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Steps

  /** The data set (training and held-out splits). */
  get dataset(): LabData {
    return this.data;
  }

  /** Reads a named internal buffer ('norms', 'clipFactors'), for tests and the teaching view. */
  async inspect(name: 'norms' | 'clipFactors'): Promise<Float32Array> {
    const b = this.named.get(name);
    if (!b) throw new Error(`no buffer ${name}`);
    return new Float32Array(await this.read(b, 0, b.size));
  }

  /**
   * One step on a batch given by example indices (tests: a chosen example, e.g. one with a huge
   * gradient); `next` is the lookahead batch for LazyDP.
   */
  async stepOn(batch: ArrayLike<number>, next: ArrayLike<number> = []): Promise<void> {
    await this.trainStep(Uint32Array.from(batch), Uint32Array.from(next));
    await this.logPoint(false);
  }

  private async trainStep(forced?: Uint32Array, forcedNext?: Uint32Array): Promise<void> {
    const s = this.stepsDone + 1;
    const batch = forced ?? this.batchIndices(s);
    const a = this.assemble(this.data.train, batch);
    this.upload(this.denseBuf, a.dense);
    this.upload(this.idxBuf, a.idx);
    this.upload(this.labelsBuf, a.labels);
    this.upload(this.maskBuf, a.mask);
    if (this.lazy) {
      // one-batch lookahead: batch s+1 is sampled now; after the last step there is none
      // (the final flush covers every row).
      const nxt = this.assemble(this.data.train, forcedNext ?? (s < this.config.steps ? this.batchIndices(s + 1) : []));
      this.upload(this.idxNextBuf, nxt.idx);
      this.upload(this.maskNextBuf, nxt.mask);
    }
    this.writeStepUniform(s);
    const slot = (s - 1) % RING;
    this.dev.queue.writeBuffer(this.lossSlotU, 4, new Uint32Array([slot]));
    if (this.timing === 'gpu-timestamp') {
      const enc = this.dev.createCommandEncoder();
      STAGES.forEach((st, k) => {
        const q = (slot * STAGES.length + k) * 2;
        const pass = enc.beginComputePass({ label: st, timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } });
        for (const d of this.stages[st]) encode(pass, d);
        pass.end();
      });
      enc.resolveQuerySet(this.querySet!, slot * STAGES.length * 2, STAGES.length * 2, this.resolveBuf!, slot * TS_STRIDE);
      this.dev.queue.submit([enc.finish()]);
    } else {
      // Coarse: one submit per stage, timed from the CPU until the GPU reports it done.
      const times = zeroStages();
      for (const st of STAGES) {
        const t0 = performance.now();
        const enc = this.dev.createCommandEncoder();
        const pass = enc.beginComputePass({ label: st });
        for (const d of this.stages[st]) encode(pass, d);
        pass.end();
        this.dev.queue.submit([enc.finish()]);
        await this.dev.queue.onSubmittedWorkDone();
        times[st] = performance.now() - t0;
      }
      this.cpuStageMs.push(times);
    }
    this.pendingSlots.push({ step: s, examples: batch.length });
    this.stepsDone = s;
  }

  /** Reads back the losses and stage times of the steps since the last read-back. */
  private async collect(): Promise<{ stage: StageTimes; examples: number }> {
    const n = this.pendingSlots.length;
    const out = { stage: zeroStages(), examples: 0 };
    if (!n) return out;
    const enc = this.dev.createCommandEncoder();
    enc.copyBufferToBuffer(this.lossBuf, 0, this.readBuf, 0, RING * 8);
    if (this.resolveBuf) enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, RING * 8, RING * TS_STRIDE);
    this.dev.queue.submit([enc.finish()]);
    await this.readBuf.mapAsync(GPUMapMode.READ);
    const ab = this.readBuf.getMappedRange();
    const loss = new Float32Array(ab, 0, RING * 2).slice();
    const ts = this.resolveBuf ? new BigUint64Array(ab, RING * 8, (RING * TS_STRIDE) / 8).slice() : undefined;
    this.readBuf.unmap();
    const perStage: Record<Stage, number[]> = { gather: [], mlp_forward: [], backward: [], clip: [], noise: [], update: [] };
    for (const p of this.pendingSlots) {
      const slot = (p.step - 1) % RING;
      this.lossSinceLog.sum += loss[slot * 2];
      this.lossSinceLog.count += loss[slot * 2 + 1];
      out.examples += p.examples;
      let times: StageTimes;
      if (ts) {
        times = zeroStages();
        STAGES.forEach((st, k) => {
          const q = (slot * TS_STRIDE) / 8 + k * 2;
          const dt = Number(ts[q + 1] - ts[q]) / 1e6;
          times[st] = dt > 0 && dt < 1e5 ? dt : 0;
        });
      } else times = this.cpuStageMs.shift() ?? zeroStages();
      this.stageSamples.push(times);
      for (const st of STAGES) perStage[st].push(times[st]);
    }
    for (const st of STAGES) out.stage[st] = median(perStage[st]);
    this.pendingSlots = [];
    return out;
  }

  /**
   * Runs up to n more steps (never beyond config.steps). Logs every `logEvery` steps; stops at a
   * step boundary when `signal` aborts. Flushes pending noise after the last step.
   */
  async run(n: number, opts: { logEvery?: number; onLog?: (p: LogPoint) => void; signal?: AbortSignal } = {}): Promise<void> {
    if (this.destroyed) throw new Error('trainer destroyed');
    const c = this.config;
    const logEvery = Math.max(1, Math.min(RING, opts.logEvery ?? Math.max(1, Math.round(c.steps / 50))));
    const end = Math.min(c.steps, this.stepsDone + n);
    if (!this.lastLogTime) this.lastLogTime = performance.now();
    let inFlight = 0;
    while (this.stepsDone < end && !opts.signal?.aborted) {
      await this.trainStep();
      const s = this.stepsDone;
      if (++inFlight >= 4) {
        // keep the CPU at most a few steps ahead of the GPU, and let the page breathe
        await this.dev.queue.onSubmittedWorkDone();
        inFlight = 0;
      }
      const evalNow = (c.evalEvery > 0 && s % c.evalEvery === 0) || s === c.steps;
      if (s % logEvery === 0 || s === end || evalNow || this.pendingSlots.length >= RING) await this.logPoint(evalNow, opts.onLog);
    }
    if (this.stepsDone < end || this.pendingSlots.length) await this.logPoint(false, opts.onLog);
    if (this.stepsDone >= c.steps) await this.flush();
  }

  private async logPoint(evalNow: boolean, onLog?: (p: LogPoint) => void): Promise<void> {
    const got = await this.collect();
    const now = performance.now();
    const steps = this.stepsDone - this.lastLogStep;
    if (steps <= 0) return;
    const p: LogPoint = {
      step: this.stepsDone,
      loss: this.lossSinceLog.count > 0 ? this.lossSinceLog.sum / this.lossSinceLog.count : NaN,
      stageMs: got.stage,
      stepsPerSec: (steps * 1000) / Math.max(1e-3, now - this.lastLogTime),
      examples: got.examples,
      epsilon: epsilonAfter(this.config, this.sigma, this.stepsDone),
    };
    if (evalNow) {
      const e = await this.evaluate();
      p.auc = e.auc;
      p.evalLoss = e.loss;
    }
    this.lossSinceLog = { sum: 0, count: 0 };
    this.lastLogStep = this.stepsDone;
    this.lastLogTime = performance.now();
    this.log.push(p);
    onLog?.(p);
    checkDivergence(p, this.config); // NaN or infinite loss: stop here, naming the step
  }

  /**
   * Adds every row's pending LazyDP noise (steps H[r]+1 .. stepsDone) and sets H[r] = stepsDone.
   * Runs before anything reads a whole table: evaluation, export, read-out, end of training.
   */
  async flush(): Promise<void> {
    if (!this.lazy || this.stepsDone === 0) return;
    this.writeStepUniform(this.stepsDone);
    const enc = this.dev.createCommandEncoder();
    const pass = enc.beginComputePass({ label: 'flush' });
    for (const d of this.flushDispatches) encode(pass, d);
    pass.end();
    this.dev.queue.submit([enc.finish()]);
    await this.dev.queue.onSubmittedWorkDone();
  }

  /** Held-out loss and AUC; flushes pending noise first. */
  async evaluate(): Promise<{ auc: number; loss: number }> {
    await this.flush();
    const ds = this.data.eval;
    const B = this.maxBatch;
    const scores = new Float32Array(ds.n);
    const out = this.dev.createBuffer({ size: Math.max(16, ds.n * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    for (let start = 0; start < ds.n; start += B) {
      const ex = Array.from({ length: Math.min(B, ds.n - start) }, (_, i) => start + i);
      const a = this.assemble(ds, ex);
      this.upload(this.denseBuf, a.dense);
      this.upload(this.idxBuf, a.idx);
      const enc = this.dev.createCommandEncoder();
      const pass = enc.beginComputePass({ label: 'eval' });
      for (const d of [...this.stages.gather, ...this.stages.mlp_forward]) encode(pass, d);
      pass.end();
      enc.copyBufferToBuffer(this.logitsBuf, 0, out, start * 4, ex.length * 4);
      this.dev.queue.submit([enc.finish()]);
    }
    await out.mapAsync(GPUMapMode.READ);
    scores.set(new Float32Array(out.getMappedRange(), 0, ds.n));
    out.unmap();
    out.destroy();
    let loss = 0;
    for (let i = 0; i < ds.n; i++) {
      const x = scores[i],
        y = ds.labels[i];
      loss += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
    }
    this.lastEval = { auc: auc(scores, ds.labels), loss: loss / Math.max(1, ds.n) };
    return this.lastEval;
  }

  /** LazyDP history H_t[start .. start+count) (zeros for sgd and dpsgd). */
  async readHistory(table: number, start: number, count: number): Promise<Uint32Array> {
    if (!this.lazy) return new Uint32Array(count);
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

  /**
   * Continues from an exported model (src/engine/checkpoint.ts): its weights replace the
   * initial ones and training goes on at step ck.steps + 1. Only before the first step. The file
   * was flushed, so every LazyDP row has its noise up to ck.steps. Tables are copied a chunk of
   * rows at a time (never the whole file in memory).
   */
  async loadCheckpoint(ck: Checkpoint): Promise<void> {
    if (this.stepsDone !== 0) throw new Error('loadCheckpoint: only before the first step');
    const problem = resumeProblem(ck, this.config, this.sigma, this.data.source);
    if (problem) throw problem;
    const lay = this.layout;
    const want = this.exportShapes();
    for (const w of want) {
      const got = ck.tensors.get(w.name);
      if (!got) throw new Error(`checkpoint: tensor ${w.name} is missing`);
      if (JSON.stringify(got.shape) !== JSON.stringify(w.shape)) throw new Error(`checkpoint: ${w.name} has shape [${got.shape}], this model needs [${w.shape}]`);
    }
    const D = lay.D;
    for (let t = 0; t < lay.T; t++) {
      const e = ck.tensors.get(`tables.${t}`)!;
      for (const sh of this.shards[t]) {
        const rowsPer = Math.max(1, Math.floor((16 << 20) / (D * 4)));
        for (let r = 0; r < sh.rows; r += rowsPer) {
          const n = Math.min(rowsPer, sh.rows - r);
          const bytes = await ck.read(e.offset + (sh.rowStart + r) * D * 4, n * D * 4);
          this.dev.queue.writeBuffer(sh.E, r * D * 4, bytes.buffer, bytes.byteOffset, bytes.byteLength);
        }
        if (sh.H) this.upload(sh.H, new Uint32Array(sh.rows).fill(ck.steps));
      }
    }
    for (const lb of this.layerBufs) {
      const l = lb.layer;
      for (const [name, buf] of [[`${l.mlp}.${l.index}.weight`, lb.W], [`${l.mlp}.${l.index}.bias`, lb.b]] as const) {
        const e = ck.tensors.get(name)!;
        const bytes = await ck.read(e.offset, e.bytes);
        this.dev.queue.writeBuffer(buf, 0, bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
    }
    await this.dev.queue.onSubmittedWorkDone();
    this.stepsDone = ck.steps;
    this.lastLogStep = ck.steps;
    this.resumedFrom = ck.steps;
    this.overflowCarried = ck.overflowBatches;
  }

  /** steps that came from a checkpoint (0 for a fresh run) */
  resumedFrom = 0;

  /** Rows start .. start+count of a table's E or H, gathered from the shards they lie in. */
  private async readSpan(table: number, which: 'E' | 'H', width: number, start: number, count: number): Promise<ArrayBuffer> {
    const out = new Uint8Array(count * width * 4);
    for (const sh of this.shards[table]) {
      const a = Math.max(start, sh.rowStart),
        b = Math.min(start + count, sh.rowStart + sh.rows);
      if (a >= b) continue;
      const part = await this.read(sh[which]!, (a - sh.rowStart) * width * 4, (b - a) * width * 4);
      out.set(new Uint8Array(part), (a - start) * width * 4);
    }
    return out.buffer;
  }

  /** Rows per buffer of each table (one entry per shard). */
  get shardLayout(): { rowStart: number; rows: number }[][] {
    return this.shards.map((s) => s.map(({ rowStart, rows }) => ({ rowStart, rows })));
  }

  private async read(src: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> {
    const padded = Math.max(4, Math.ceil(size / 4) * 4);
    const staging = this.dev.createBuffer({ size: padded, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.dev.createCommandEncoder();
    if (size > 0) enc.copyBufferToBuffer(src, offset, staging, 0, padded);
    this.dev.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = staging.getMappedRange().slice(0, size);
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** Export names and shapes, in export order. */
  exportShapes(): { name: string; shape: number[] }[] {
    const lay = this.layout;
    return [
      ...lay.rows.map((R, t) => ({ name: `tables.${t}`, shape: [R, lay.D] })),
      ...this.layerBufs.flatMap(({ layer: l }) => [
        { name: `${l.mlp}.${l.index}.weight`, shape: [l.outDim, l.inDim] },
        { name: `${l.mlp}.${l.index}.bias`, shape: [l.outDim] },
      ]),
    ];
  }

  /**
   * Every tensor's data in export order (exportShapes), in pieces of at most `chunkBytes`, for
   * writers that stream tables larger than memory; flushes pending noise first.
   */
  async exportStream(write: (bytes: Uint8Array) => void | Promise<void>, chunkBytes = 64 << 20): Promise<void> {
    await this.flush();
    const D = this.layout.D;
    const rowsPer = Math.max(1, Math.floor(chunkBytes / (D * 4)));
    for (let t = 0; t < this.layout.T; t++)
      for (let r = 0; r < this.layout.rows[t]; r += rowsPer) await write(new Uint8Array(await this.readSpan(t, 'E', D, r, Math.min(rowsPer, this.layout.rows[t] - r))));
    for (const lb of this.layerBufs) {
      const l = lb.layer;
      await write(new Uint8Array(await this.read(lb.W, 0, l.inDim * l.outDim * 4)));
      await write(new Uint8Array(await this.read(lb.b, 0, l.outDim * 4)));
    }
  }

  /** All weights under their export names; flushes pending noise first. */
  async exportTensors(): Promise<NamedTensor[]> {
    await this.flush();
    const out: NamedTensor[] = [];
    const lay = this.layout;
    for (let t = 0; t < lay.T; t++) {
      out.push({ name: `tables.${t}`, shape: [lay.rows[t], lay.D], data: new Float32Array(await this.readSpan(t, 'E', lay.D, 0, lay.rows[t])) });
    }
    for (const lb of this.layerBufs) {
      const l = lb.layer;
      out.push({ name: `${l.mlp}.${l.index}.weight`, shape: [l.outDim, l.inDim], data: new Float32Array(await this.read(lb.W, 0, l.inDim * l.outDim * 4)) });
      out.push({ name: `${l.mlp}.${l.index}.bias`, shape: [l.outDim], data: new Float32Array(await this.read(lb.b, 0, l.outDim * 4)) });
    }
    return out;
  }

  summary(): RunSummary {
    const warm = this.stageSamples.length > 4 ? this.stageSamples.slice(2) : this.stageSamples;
    const stageMedianMs = zeroStages();
    for (const st of STAGES) stageMedianMs[st] = median(warm.map((t) => t[st]));
    const last = this.log[this.log.length - 1];
    return {
      steps: this.stepsDone,
      timing: this.timing,
      stageMedianMs,
      stepMedianMs: median(warm.map((t) => STAGES.reduce((a, s) => a + t[s], 0))),
      finalLoss: last?.loss ?? NaN,
      auc: this.lastEval?.auc ?? NaN,
      evalLoss: this.lastEval?.loss ?? NaN,
      teacherAuc: this.teacherAuc,
      epsilon: epsilonAfter(this.config, this.sigma, this.stepsDone),
      sigma: this.sigma,
      overflowBatches: this.overflowBatches,
      resumedFrom: this.resumedFrom || undefined,
      log: this.log.slice(),
    };
  }

  destroy(): void {
    this.destroyed = true;
    for (const b of this.owned) b.destroy();
    this.querySet?.destroy();
    this.owned = [];
  }
}
