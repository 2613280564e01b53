// Timing the six stages of a step and reading back what the GPU reports. With 'timestamp-query'
// every stage is a compute pass with timestamps, the whole step one submit; without it each stage
// is submitted alone and timed from the CPU until the GPU reports it done (coarser, labelled
// 'cpu'). Losses and timestamps of up to RING steps wait on the GPU and come back in one read.
import { STAGES, zeroStages, type Stage, type StageTimes, type TimingSource } from './types';
import type { BufferPool } from './buffers';
import { encode, type Dispatch } from '../kernels/program';
import { median, quantile } from '../numerics/stats';
export { median, quantile };

/** steps whose losses and timestamps can wait on the GPU before a read-back */
export const RING = 64;
const TS_STRIDE = 256; // bytes per step in the resolve buffer (resolveQuerySet needs 256-byte offsets)

/** The ring slot of step s (1-based): where its loss and timestamps go. */
export function ringSlot(s: number): number {
  return (s - 1) % RING;
}

export class StageTimer {
  readonly timing: TimingSource;
  /** every step's stage times, in step order, as read back */
  readonly samples: StageTimes[] = [];
  private querySet?: GPUQuerySet;
  private resolveBuf?: GPUBuffer;
  private readBuf: GPUBuffer;
  private pending: { step: number; examples: number }[] = [];
  private cpuStageMs: StageTimes[] = [];
  /** dispatches encoded and CPU time spent encoding and submitting, over every runStep */
  dispatches = 0;
  encodeMs = 0;

  /** `lossBuf` holds (sum, count) per ring slot, written by the loss kernel. */
  constructor(
    private pool: BufferPool,
    private lossBuf: GPUBuffer,
  ) {
    const dev = pool.dev;
    this.timing = dev.features.has('timestamp-query') ? 'gpu-timestamp' : 'cpu';
    if (this.timing === 'gpu-timestamp') {
      this.querySet = dev.createQuerySet({ type: 'timestamp', count: RING * STAGES.length * 2 });
      this.resolveBuf = pool.own(
        dev.createBuffer({ size: RING * TS_STRIDE, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
      );
    }
    this.readBuf = pool.own(
      dev.createBuffer({
        size: RING * 2 * 4 + RING * TS_STRIDE,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
    );
  }

  /** steps run but not yet read back */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Submits step s's stages, one compute pass each, timed; `copies` go first (buffer copies the
   * step needs before its first pass, e.g. LazyDP's pairs sorted one step earlier).
   */
  async runStep(
    stages: Record<Stage, Dispatch[]>,
    s: number,
    examples: number,
    copies: { src: GPUBuffer; dst: GPUBuffer; bytes: number }[] = [],
  ): Promise<void> {
    const dev = this.pool.dev;
    const slot = ringSlot(s);
    const copy = (enc: GPUCommandEncoder) => {
      for (const c of copies) enc.copyBufferToBuffer(c.src, 0, c.dst, 0, c.bytes);
    };
    if (this.querySet) {
      const e0 = performance.now();
      const enc = dev.createCommandEncoder();
      copy(enc);
      STAGES.forEach((st, k) => {
        const q = (slot * STAGES.length + k) * 2;
        const pass = enc.beginComputePass({
          label: st,
          timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 },
        });
        for (const d of stages[st]) encode(pass, d);
        this.dispatches += stages[st].length;
        pass.end();
      });
      enc.resolveQuerySet(
        this.querySet,
        slot * STAGES.length * 2,
        STAGES.length * 2,
        this.resolveBuf!,
        slot * TS_STRIDE,
      );
      dev.queue.submit([enc.finish()]);
      this.encodeMs += performance.now() - e0;
    } else {
      // Coarse: one submit per stage, timed from the CPU until the GPU reports it done.
      const times = zeroStages();
      for (const st of STAGES) {
        const t0 = performance.now();
        const enc = dev.createCommandEncoder();
        if (st === STAGES[0]) copy(enc);
        const pass = enc.beginComputePass({ label: st });
        for (const d of stages[st]) encode(pass, d);
        this.dispatches += stages[st].length;
        pass.end();
        dev.queue.submit([enc.finish()]);
        this.encodeMs += performance.now() - t0; // the wait below is the GPU's time, not encoding
        await dev.queue.onSubmittedWorkDone();
        times[st] = performance.now() - t0;
      }
      this.cpuStageMs.push(times);
    }
    this.pending.push({ step: s, examples });
  }

  /**
   * Reads back the losses and stage times of the steps since the last read-back: the losses are
   * added to `loss`, the times kept in `samples`; returns the per-stage medians of these steps
   * and their real examples.
   */
  async collect(loss: { sum: number; count: number }): Promise<{ stage: StageTimes; examples: number }> {
    const n = this.pending.length;
    const out = { stage: zeroStages(), examples: 0 };
    if (!n) return out;
    const dev = this.pool.dev;
    const enc = dev.createCommandEncoder();
    enc.copyBufferToBuffer(this.lossBuf, 0, this.readBuf, 0, RING * 8);
    if (this.resolveBuf) enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, RING * 8, RING * TS_STRIDE);
    dev.queue.submit([enc.finish()]);
    await this.readBuf.mapAsync(GPUMapMode.READ);
    const ab = this.readBuf.getMappedRange();
    const losses = new Float32Array(ab, 0, RING * 2).slice();
    const ts = this.resolveBuf ? new BigUint64Array(ab, RING * 8, (RING * TS_STRIDE) / 8).slice() : undefined;
    this.readBuf.unmap();
    const perStage: Record<Stage, number[]> = {
      gather: [],
      mlp_forward: [],
      backward: [],
      clip: [],
      noise: [],
      update: [],
    };
    for (const p of this.pending) {
      const slot = ringSlot(p.step);
      loss.sum += losses[slot * 2];
      loss.count += losses[slot * 2 + 1];
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
      this.samples.push(times);
      for (const st of STAGES) perStage[st].push(times[st]);
    }
    for (const st of STAGES) out.stage[st] = median(perStage[st]);
    this.pending = [];
    return out;
  }

  destroy(): void {
    this.querySet?.destroy();
  }
}

/**
 * Medians and 10th/90th percentiles per stage and of the per-step sums, over the timed steps
 * after `skip` leading ones left out as warm-up (default: 2 when more than 4 were timed).
 */
export function timingStats(samples: readonly StageTimes[], skip?: number) {
  const n = samples.length;
  const warm = samples.slice(skip ?? (n > 4 ? 2 : 0));
  const stageMedianMs = zeroStages();
  const stageP10Ms = zeroStages();
  const stageP90Ms = zeroStages();
  for (const st of STAGES) {
    const xs = warm.map((t) => t[st]);
    stageMedianMs[st] = median(xs);
    stageP10Ms[st] = quantile(xs, 0.1);
    stageP90Ms[st] = quantile(xs, 0.9);
  }
  const sums = warm.map((t) => STAGES.reduce((a, s) => a + t[s], 0));
  return {
    stageMedianMs,
    stepMedianMs: median(sums),
    stageP10Ms,
    stageP90Ms,
    stepP10Ms: quantile(sums, 0.1),
    stepP90Ms: quantile(sums, 0.9),
    timedSteps: warm.length,
  };
}

/** One turn of the event loop (rendering and input in a page, I/O in node). */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
