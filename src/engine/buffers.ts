// The GPU buffers of one model, made once: the batch inputs, the feature buffers between the
// stages, the tables (split by rows into shards where one binding cannot hold them, initialised
// on the GPU) and the MLP layers with the views each layer reads and writes.
import { initMlp, type Layout, type Layer } from './model';
import { packTables, planShards } from './memory';
import { shardBuffers, type StepPlan } from './plan';
import { bufferRange, encode, type BufferArg, type Dispatch, type Span } from '../kernels/program';
import type { MlpTensor } from '../kernels/noise';
import { initTable } from '../kernels/init';

/**
 * Rows rowStart .. rowStart + rows of table `table`: the table itself and LazyDP's history. E and
 * H are the shard's own buffers, or (packed) the buffers every table shares, the shard's rows
 * from row `base` on; bind them through shardE / shardH.
 */
export interface Shard {
  table: number;
  rowStart: number;
  rows: number;
  base: number;
  packed: boolean;
  E: GPUBuffer;
  H?: GPUBuffer;
  /** eager noise with the unfused kernel: the step's samples for these rows */
  noise?: GPUBuffer;
  /** dense table optimizer: the step's row gradients scattered densely, and its state (m, v) */
  G?: GPUBuffer;
  /** DP-AdaFEST in micro-batches: each row's clipped count, summed over the logical batch */
  C?: GPUBuffer;
  M?: GPUBuffer;
  V?: GPUBuffer;
}

/** The shard's rows of E, bound as a buffer of their own. */
export function shardE(sh: Shard, D: number): BufferArg {
  return sh.packed ? bufferRange(sh.E, sh.base * D * 4, sh.rows * D * 4) : sh.E;
}

/** The shard's LazyDP history, bound as a buffer of its own. */
export function shardH(sh: Shard): BufferArg {
  return sh.packed ? bufferRange(sh.H!, sh.base * 4, sh.rows * 4) : sh.H!;
}

/** Every table in one buffer (and LazyDP's history in another), one span per table. */
export interface PackedTables {
  E: GPUBuffer;
  H?: GPUBuffer;
  spans: Span[];
}

/** A buffer with an offset and a row stride: where a layer's rows lie inside a wider buffer. */
export interface View {
  buf: GPUBuffer;
  off: number;
  ld: number;
}

export interface LayerBufs {
  layer: Layer;
  /** the MLP's packed parameters (MlpBuffers.params) and where this layer's weight and bias start */
  W: GPUBuffer;
  offW: number;
  b: GPUBuffer;
  offb: number;
  /** input, output (post-activation) and output-gradient views */
  input: View;
  output: View;
  grad: View;
}

/**
 * Every MLP tensor packed in one buffer per role, in export order (each layer's weight, row-major
 * outDim x inDim, then its bias), so that one dispatch updates all of them: the parameters,
 * their gradients, the unfused noise and the mlpOptimizer state (m for momentum and Adam, v for
 * Adam) share the layout `tensors` describes.
 */
export interface MlpBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  /** micro-batches: one micro-batch's gradients, added into `grads` (src/engine/micro.ts) */
  microGrads?: GPUBuffer;
  noise?: GPUBuffer;
  M?: GPUBuffer;
  V?: GPUBuffer;
  /** each tensor's first element, size and Philox parameter number (weight l.param, bias l.param + 1) */
  tensors: MlpTensor[];
  /** values in all */
  size: number;
}

/** The packed MLP layout: each layer's weight then bias, in layer order. */
export function mlpTensors(lay: Layout): MlpTensor[] {
  const out: MlpTensor[] = [];
  let off = 0;
  for (const l of lay.layers) {
    out.push({ off, n: l.inDim * l.outDim, p: l.param });
    off += l.inDim * l.outDim;
    out.push({ off, n: l.outDim, p: l.param + 1 });
    off += l.outDim;
  }
  return out;
}

/** Every buffer the trainer makes, destroyed together. */
export class BufferPool {
  private owned: GPUBuffer[] = [];
  constructor(readonly dev: GPUDevice) {}

  /** A storage buffer (copyable both ways), at least 16 bytes. */
  make(size: number, label: string, usage = 0): GPUBuffer {
    return this.own(
      this.dev.createBuffer({
        label,
        size: Math.max(16, Math.ceil(size / 4) * 4),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | usage,
      }),
    );
  }

  own(b: GPUBuffer): GPUBuffer {
    this.owned.push(b);
    return b;
  }

  /** The uniform buffers kernels made for these dispatches. */
  ownDispatches(ds: Dispatch[]): void {
    for (const d of ds) this.owned.push(...d.owned);
  }

  upload(b: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.dev.queue.writeBuffer(b, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned = [];
  }
}

export interface ModelBuffers {
  /** the current batch: dense features, indices (per table, B x L), labels, mask (1 real, 0 padding) */
  dense: GPUBuffer;
  idx: GPUBuffer;
  labels: GPUBuffer;
  mask: GPUBuffer;
  /** the next batch's indices and mask, for LazyDP's lookahead */
  idxNext: GPUBuffer;
  maskNext: GPUBuffer;
  /** features [v_0, v_1..v_T] (B x featureWidth) and their gradients */
  V: GPUBuffer;
  dV: GPUBuffer;
  /** the top MLP's input and its gradient: the dot interaction's own buffers, or V and dV */
  Z: GPUBuffer;
  dZ: GPUBuffer;
  /** per-example squared norms (one row of B per group) and flat clip factors */
  norms: GPUBuffer;
  factors: GPUBuffer;
  /** (loss sum, count) per step of the read-back ring */
  loss: GPUBuffer;
  logits: GPUBuffer;
  /** per table, its shards in row order (one unless the table is larger than one binding) */
  shards: Shard[][];
  /** when every table fits one binding together: the shared buffers (then one shard per table) */
  packed?: PackedTables;
  layers: LayerBufs[];
  mlp: MlpBuffers;
}

/**
 * Makes the model's buffers for a padded batch of B, and initialises the weights (tables on
 * the GPU from Philox, MLPs from initMlp) from the config's dataSeed.
 */
export function allocateModel(pool: BufferPool, plan: StepPlan, ringSlots: number, shardRows?: number): ModelBuffers {
  const { layout: lay, B } = plan;
  const { T, L, featureWidth: FW, interactionWidth: IW } = lay;
  const buf = (size: number, label: string) => pool.make(size, label);
  const dense = buf(B * lay.F * 4, 'dense');
  const V = buf(B * FW * 4, 'features');
  const dV = buf(B * FW * 4, 'featureGrads');
  // Dot interaction: the top MLP reads Z = [v_0, <v_a, v_c> for a < c] (own buffer, IW wide)
  // and its backward writes dZ, which the interaction backward turns into dV. Concat: Z = V.
  const dot = lay.interaction === 'dot';
  const Z = dot ? buf(B * IW * 4, 'interaction') : V;
  const dZ = dot ? buf(B * IW * 4, 'interactionGrads') : dV;
  const batch = {
    dense,
    idx: buf(T * B * L * 4, 'idx'),
    idxNext: buf(T * B * L * 4, 'idxNext'),
    labels: buf(B * 4, 'labels'),
    mask: buf(B * 4, 'mask'),
    maskNext: buf(B * 4, 'maskNext'),
    V,
    dV,
    Z,
    dZ,
    norms: buf(lay.groups * B * 4, 'norms'),
    factors: buf(B * 4, 'clipFactors'),
    loss: buf(ringSlots * 2 * 4, 'loss'),
  };
  const { shards, packed } = allocateTables(pool, plan, shardRows);
  const { mlp, layers, logits } = allocateMlp(pool, plan, batch);
  return { ...batch, logits, shards, packed, layers, mlp };
}

/**
 * The tables, shard by shard (each kernel that touches rows runs once per shard) or packed in one
 * buffer, initialised on the GPU, with each shard's buffers of the plan's other roles (the list
 * the memory estimate counts).
 */
function allocateTables(
  pool: BufferPool,
  plan: StepPlan,
  shardRows?: number,
): { shards: Shard[][]; packed?: PackedTables } {
  const { config: c, layout: lay } = plan;
  const dev = pool.dev;
  const D = lay.D;
  const buf = (size: number, label: string) => pool.make(size, label);
  const roles = shardBuffers(plan);
  const history = roles.some((b) => b.role === 'H');
  const pack = packTables(lay.rows, D, dev.limits, shardRows);
  const packed: PackedTables | undefined = pack && {
    E: buf(pack.totalRows * D * 4, 'tables'),
    H: history ? buf(pack.totalRows * 4, 'history') : undefined,
    spans: lay.rows.map((R, t) => ({ table: t, base: pack.bases[t], rowStart: 0, rows: R })),
  };
  const shards = lay.rows.map((R, t) => {
    const plan = planShards(R, D, dev.limits, shardRows);
    return plan.map((p, k): Shard => {
      const sfx = plan.length > 1 ? `[${k}]` : '';
      const own = {
        table: t,
        ...p,
        base: packed ? pack!.bases[t] : 0,
        packed: !!packed,
        E: packed ? packed.E : buf(p.rows * D * 4, `tables.${t}${sfx}`),
        H: history ? (packed ? packed.H : buf(p.rows * 4, `history.${t}${sfx}`)) : undefined,
      };
      const init = initTable(
        dev,
        { rows: p.rows, D, table: t, seed: c.dataSeed >>> 0, tableRows: R, rowStart: p.rowStart },
        { E: shardE(own, D) },
      );
      pool.ownDispatches([init]);
      const enc = dev.createCommandEncoder();
      const pass = enc.beginComputePass();
      encode(pass, init);
      pass.end();
      dev.queue.submit([enc.finish()]);
      // the shard's own buffers of the other roles: unfused noise, the dense optimizer's
      const rest: Partial<Record<'noise' | 'G' | 'C' | 'M' | 'V', GPUBuffer>> = {};
      for (const b of roles)
        if (!b.packs)
          rest[b.role as 'noise' | 'G' | 'C' | 'M' | 'V'] = buf(p.rows * b.bytesPerRow, `${b.label}.${t}${sfx}`);
      return { ...own, ...rest };
    });
  });
  return { shards, packed };
}

/**
 * MLP layers with their input, output and gradient views: the bottom MLP's last layer writes
 * v_0 into the feature buffer, the top MLP's first layer reads Z.
 */
function allocateMlp(
  pool: BufferPool,
  plan: StepPlan,
  io: { dense: GPUBuffer; V: GPUBuffer; dV: GPUBuffer; Z: GPUBuffer },
): { mlp: MlpBuffers; layers: LayerBufs[]; logits: GPUBuffer } {
  const { config: c, layout: lay, B } = plan;
  const buf = (size: number, label: string) => pool.make(size, label);
  const mlpInit = initMlp(lay, c.dataSeed);
  const unfused = plan.noiseMode === 2;
  const tensors = mlpTensors(lay);
  const size = tensors.reduce((a, t) => a + t.n, 0);
  const params = buf(size * 4, 'mlp.params');
  const mlp: MlpBuffers = {
    params,
    grads: buf(size * 4, 'mlp.grads'),
    microGrads: plan.micro ? buf(size * 4, 'mlp.microGrads') : undefined,
    noise: unfused ? buf(size * 4, 'mlp.noise') : undefined,
    M: c.mlpOptimizer !== 'sgd' ? buf(size * 4, 'mlp.m') : undefined,
    V: c.mlpOptimizer === 'adam' ? buf(size * 4, 'mlp.v') : undefined,
    tensors,
    size,
  };
  const layers: LayerBufs[] = [];
  let logits: GPUBuffer | undefined;
  lay.layers.forEach((layer, li) => {
    const offW = tensors[2 * li].off,
      offb = tensors[2 * li + 1].off;
    pool.upload(params, mlpInit.W[li], offW * 4);
    pool.upload(params, mlpInit.b[li], offb * 4);
    const isBottomLast = layer.mlp === 'bottom' && layer.index === lay.bottom.length - 1;
    const prev = li > 0 && layer.index > 0 ? layers[li - 1] : undefined;
    const input: View = prev
      ? prev.output
      : layer.mlp === 'bottom'
        ? { buf: io.dense, off: 0, ld: lay.F }
        : { buf: io.Z, off: 0, ld: lay.interactionWidth };
    const output: View = isBottomLast
      ? { buf: io.V, off: 0, ld: lay.featureWidth }
      : { buf: buf(B * layer.outDim * 4, `act${li}`), off: 0, ld: layer.outDim };
    const grad: View = isBottomLast
      ? { buf: io.dV, off: 0, ld: lay.featureWidth }
      : { buf: buf(B * layer.outDim * 4, `grad${li}`), off: 0, ld: layer.outDim };
    layers.push({ layer, W: params, offW, b: params, offb, input, output, grad });
    if (layer.mlp === 'top' && layer.index === lay.top.length - 1) logits = output.buf;
  });
  return { mlp, layers, logits: logits! };
}
