// The data set on the GPU (issue 10): uploaded once per trainer, so that a step uploads only its
// batch's example ids and the batch_gather kernel assembles the batch there. Which splits live on
// the GPU is the memory plan's decision (estimateMemory's `data`); the others are assembled on
// the CPU as before.
import type { Dataset, LabData } from '../data/synthetic';
import type { BufferPool } from './buffers';
import type { DataBuffers } from '../kernels/batch-gather';

/** One split on the GPU: its example count and buffers. */
export interface ResidentSplit {
  n: number;
  bufs: DataBuffers;
}

export interface ResidentData {
  /** the batch's example ids (paddedIds): the training step's, or an evaluation batch's */
  ids: GPUBuffer;
  /** LazyDP: the lookahead batch's ids */
  idsNext?: GPUBuffer;
  train?: ResidentSplit;
  eval?: ResidentSplit;
}

function allocateSplit(pool: BufferPool, d: Dataset, name: string): ResidentSplit {
  return {
    n: d.n,
    bufs: {
      dataDense: pool.make(d.n * d.F * 4, `data.${name}.dense`),
      dataIdx: pool.make(d.T * d.n * d.L * 4, `data.${name}.idx`),
      dataLabels: pool.make(d.n * 4, `data.${name}.labels`),
    },
  };
}

/**
 * Makes the buffers of the splits `on` names (undefined when none), with the trainer's other
 * buffers; `fillData` writes them before the first step or evaluation.
 */
export function allocateData(
  pool: BufferPool,
  data: LabData,
  on: { train: boolean; eval: boolean },
  B: number,
  lazy: boolean,
): ResidentData | undefined {
  if (!on.train && !on.eval) return undefined;
  return {
    ids: pool.make(B * 4, 'batch.ids'),
    idsNext: on.train && lazy ? pool.make(B * 4, 'batch.idsNext') : undefined,
    train: on.train ? allocateSplit(pool, data.train, 'train') : undefined,
    eval: on.eval ? allocateSplit(pool, data.eval, 'eval') : undefined,
  };
}

/**
 * Copies the data set into its buffers, once per trainer, before its first step or evaluation
 * (so it is the data set as it is then: tests put outliers into `Trainer.dataset` after building
 * the trainer). Each buffer is filled through a staging buffer mapped at creation and one copy,
 * not queue.writeBuffer: a one-time transfer, not part of any step's uploads (StepCosts); returns
 * its bytes.
 */
export function fillData(dev: GPUDevice, res: ResidentData, data: LabData): number {
  const enc = dev.createCommandEncoder();
  const staging: GPUBuffer[] = [];
  let bytes = 0;
  const fill = (dst: GPUBuffer, parts: ArrayBufferView[]) => {
    const st = dev.createBuffer({
      label: `${dst.label} (staging)`,
      size: dst.size,
      usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC,
      mappedAtCreation: true,
    });
    const out = new Uint8Array(st.getMappedRange());
    let o = 0;
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
      o += p.byteLength;
    }
    st.unmap();
    enc.copyBufferToBuffer(st, 0, dst, 0, dst.size);
    staging.push(st);
    bytes += o;
  };
  for (const [split, ds] of [
    [res.train, data.train],
    [res.eval, data.eval],
  ] as const) {
    if (!split) continue;
    fill(split.bufs.dataDense, [ds.dense]);
    fill(split.bufs.dataIdx, ds.idx); // table after table: [T, n, L]
    fill(split.bufs.dataLabels, [ds.labels]);
  }
  dev.queue.submit([enc.finish()]);
  for (const st of staging) st.destroy(); // after the submit: the copies still happen
  return bytes;
}
