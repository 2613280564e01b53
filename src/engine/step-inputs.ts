// What a training step uploads before its dispatches run (kept out of trainer.ts): the batch (its
// example ids where the data set lives on the GPU, else the batch assembled on the CPU and uploaded
// whole), LazyDP's lookahead batch, the audit's canary ids and the step's uniforms.
import { lrAt } from '../config/config';
import type { LabData } from '../data/synthetic';
import type { Key } from '../noise/philox';
import { paddedIds } from '../kernels/batch-gather';
import { assemble } from './batch';
import type { StepPlan } from './plan';
import type { ModelBuffers } from './buffers';
import type { ResidentData } from './resident-data';
import { canaryIds, type StepGraph } from './step-graph';
import type { MicroSteps } from './micro';
import { ringSlot } from './stage-timer';

export interface StepInputContext {
  plan: StepPlan;
  graph: StepGraph;
  m: ModelBuffers;
  key: Key;
  sigma: number;
  data: LabData;
  resident?: ResidentData;
  /** the training split lives on the GPU: a step uploads its example ids only */
  batchOnGpu: boolean;
  micro?: MicroSteps;
  upload: (b: GPUBuffer, data: ArrayBufferView) => void;
}

export class StepInputs {
  /** CPU path, LazyDP: batch s+1, assembled at step s for the lookahead, is step s+1's batch */
  private assembledNext?: { s: number; batch: ReturnType<typeof assemble> };

  constructor(private readonly x: StepInputContext) {}

  /** The step's uniforms (step, lr, 1/B, the noise's std, the key) and the optimizer's. */
  writeUniforms(s: number): void {
    const { plan, graph, key, sigma } = this.x;
    const c = plan.config;
    graph.step.write({ step: s, lr: lrAt(c, s), invB: 1 / c.batch, noiseStd: plan.private ? sigma * c.clip : 0, key });
    graph.optim?.write(s);
  }

  /**
   * Uploads what step s reads: `batch`, the lookahead `next` (LazyDP), the canaries' ids and the
   * uniforms. `forced`/`forcedNext`: a caller chose the batch (then the lookahead's assembly made
   * last step is not this step's). Returns the bytes uploaded.
   */
  upload(
    s: number,
    batch: Uint32Array,
    next: ArrayLike<number> | undefined,
    forced: boolean,
    forcedNext: boolean,
  ): number {
    const { graph: g, micro } = this.x;
    let bytes = 0;
    const up = (b: GPUBuffer, data: ArrayBufferView) => {
      this.x.upload(b, data);
      bytes += data.byteLength;
    };
    if (micro) bytes += micro.before(batch);
    else if (this.x.batchOnGpu && this.x.resident) this.uploadIds(up, batch, next);
    else this.uploadAssembled(up, s, batch, next, forced, forcedNext);
    if (g.canaries) up(g.canaries.ids, canaryIds(g.canaries, s)); // AUDIT ONLY
    // the uniforms are written whole: their buffers' sizes are the bytes
    this.writeUniforms(s);
    g.beforeStep?.(s, this.x.key, up); // DP-AdaFEST's crossing candidates
    g.loss.setSlot(ringSlot(s));
    bytes += g.step.buffer.size + (g.optim?.buffer.size ?? 0) + g.loss.dispatch.owned[0].size;
    return bytes;
  }

  /** the data set is on the GPU: the example ids are the step's whole batch upload */
  private uploadIds(up: StepInputContext['upload'], batch: Uint32Array, next?: ArrayLike<number>): void {
    const res = this.x.resident!;
    const B = this.x.plan.logicalB;
    up(res.ids, paddedIds(B, batch));
    if (next) up(res.idsNext!, paddedIds(B, next));
  }

  private uploadAssembled(
    up: StepInputContext['upload'],
    s: number,
    batch: Uint32Array,
    next: ArrayLike<number> | undefined,
    forced: boolean,
    forcedNext: boolean,
  ): void {
    const { m, plan, data } = this.x;
    const B = plan.logicalB;
    const early = this.assembledNext;
    const a = !forced && early?.s === s ? early.batch : assemble(plan.layout, B, data.train, batch);
    this.assembledNext = undefined;
    up(m.dense, a.dense);
    up(m.idx, a.idx);
    up(m.labels, a.labels);
    up(m.mask, a.mask);
    if (next) {
      const nxt = assemble(plan.layout, B, data.train, next);
      up(m.idxNext, nxt.idx);
      up(m.maskNext, nxt.mask);
      // the sampled lookahead batch is the next step's own: assembled once (a forced one need not be)
      if (!forcedNext) this.assembledNext = { s: s + 1, batch: nxt };
    }
  }
}
