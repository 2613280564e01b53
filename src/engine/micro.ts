// Logical batches larger than the GPU holds (config.microBatch). `batch` stays the logical batch:
// Poisson sampling draws it (padded to plan.logicalB), and the GPU works on it in micro-batches
// of at most plan.B examples. Each micro-batch runs gather, forward, backward, sort and clip on
// the model of the step's start (nothing is updated within a logical step) and adds its clipped
// sums into the step's buffers: the MLP's gradients (grads += microGrads) and each table shard's
// dense G (the rows' clipped segment sums, scatter-added). The update then runs once per logical
// step, exactly as without micro-batches but reading those sums: the MLP update with its noise,
// every shard's E -= lr / B * G (G cleared; an untouched row has G = 0 and stays bit for bit),
// the eager noise once, and LazyDP's lookahead once for the next logical batch (in chunks of B
// examples: a row in two chunks gets its pending noise in the first, then has none pending).
// LazyDP's history therefore counts logical steps, and epsilon (q = batch / datasetSize) is the
// same as without micro-batches. The sums differ from a whole batch's only in the order of the
// float additions (per micro-batch, then across them).
//
// Costs: one dense G per table (as the dense optimizers have), and a pass over every row per
// step to apply it. Timing: the step's stage times are those of its last micro-batch and of the
// update (earlier micro-batches are submitted untimed); the logged training loss is the last
// micro-batch's.
import type { Stage } from './types';
import type { StepGraph } from './step-graph';
import type { StepPlan } from './plan';
import type { ModelBuffers } from './buffers';
import type { ResidentData } from './resident-data';
import type { Dataset } from '../data/synthetic';
import { assemble, paddedIds } from '../kernels/batch-gather';
import { encode, type Dispatch } from '../kernels/program';

/** The nodes that run once per chunk of the next logical batch (the lookahead), by name. */
const LOOKAHEAD = new Set(['noise.lookahead-batch', 'noise.lookahead-sort', 'update.lazy-lookahead']);
const PER_MICRO: Stage[] = ['gather', 'mlp_forward', 'backward', 'clip'];

/** A stage's dispatches split by node: [node name, its dispatches], in order. */
function byNode(g: StepGraph, stage: Stage): [string, Dispatch[]][] {
  const out: [string, Dispatch[]][] = [];
  let at = 0;
  for (const n of g.nodes)
    if (n.stage === stage) {
      out.push([n.name, g.stages[stage].slice(at, at + n.dispatches)]);
      at += n.dispatches;
    }
  return out;
}

/** Chunks of at most `size` of a batch (at least one, maybe empty). */
export function chunks(batch: Uint32Array, size: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let k = 0; k === 0 || k < batch.length; k += size) out.push(batch.subarray(k, k + size));
  return out;
}

export interface MicroContext {
  dev: GPUDevice;
  plan: StepPlan;
  graph: StepGraph;
  m: ModelBuffers;
  /** the training split on the GPU (ids uploaded), else undefined (batches assembled) */
  resident?: ResidentData;
  train: Dataset;
  upload: (b: GPUBuffer, data: ArrayBufferView) => void;
}

/** Runs a logical step in micro-batches; the trainer times the last one with the update. */
export class MicroSteps {
  /** the stages of the last micro-batch and the update (without the lookahead) */
  readonly last: Record<Stage, Dispatch[]>;
  private micro: Dispatch[];
  private ahead: Dispatch[];

  constructor(private x: MicroContext) {
    const g = x.graph;
    const backward = [...g.stages.backward.slice(0, g.sortAt), ...g.sortCurrent, ...g.stages.backward.slice(g.sortAt)];
    const stages = { ...g.stages, backward };
    this.micro = PER_MICRO.flatMap((st) => stages[st]);
    const keep = (st: Stage) =>
      byNode(g, st)
        .filter(([name]) => !LOOKAHEAD.has(name))
        .flatMap(([, d]) => d);
    this.last = { ...stages, noise: keep('noise'), update: keep('update') };
    this.ahead = (['noise', 'update'] as Stage[]).flatMap((st) =>
      byNode(g, st)
        .filter(([name]) => LOOKAHEAD.has(name))
        .flatMap(([, d]) => d),
    );
  }

  /**
   * Uploads and runs every micro-batch but the last, then uploads the last (the trainer runs it
   * with the update); returns the bytes uploaded.
   */
  before(batch: Uint32Array): number {
    const parts = chunks(batch, this.x.plan.B);
    let bytes = 0;
    parts.forEach((part, k) => {
      bytes += this.uploadBatch(part);
      if (k < parts.length - 1) this.submit(this.micro);
    });
    return bytes;
  }

  /** LazyDP: the next logical batch's rows get their pending noise, chunk by chunk; returns the bytes uploaded. */
  lookahead(next: ArrayLike<number>): number {
    if (!this.ahead.length) return 0;
    let bytes = 0;
    for (const part of chunks(Uint32Array.from(next), this.x.plan.B)) {
      if (!part.length) continue;
      bytes += this.uploadNext(part);
      this.submit(this.ahead);
    }
    return bytes;
  }

  private submit(ds: Dispatch[]): void {
    const enc = this.x.dev.createCommandEncoder();
    const pass = enc.beginComputePass({ label: 'micro-batch' });
    for (const d of ds) encode(pass, d);
    pass.end();
    this.x.dev.queue.submit([enc.finish()]);
  }

  private put(b: GPUBuffer, data: ArrayBufferView): number {
    this.x.upload(b, data);
    return data.byteLength;
  }

  private uploadBatch(part: Uint32Array): number {
    const { plan, m, resident: res } = this.x;
    if (res) return this.put(res.ids, paddedIds(plan.B, part));
    const a = assemble(plan.layout, plan.B, this.x.train, part);
    return (
      this.put(m.dense, a.dense) + this.put(m.idx, a.idx) + this.put(m.labels, a.labels) + this.put(m.mask, a.mask)
    );
  }

  private uploadNext(part: Uint32Array): number {
    const { plan, m, resident: res } = this.x;
    if (res) return this.put(res.idsNext!, paddedIds(plan.B, part));
    const a = assemble(plan.layout, plan.B, this.x.train, part);
    return this.put(m.idxNext, a.idx) + this.put(m.maskNext, a.mask);
  }
}
