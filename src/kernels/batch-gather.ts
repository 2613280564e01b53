// The batch from the data set resident on the GPU (shaders/batch_gather.wgsl), and its CPU
// reference `assemble`, which is also the engine's path where the data set does not fit on the
// GPU: both give the same padded batch bit for bit.
import code from '../../shaders/batch_gather.wgsl?raw';
import { withLibs, makeDispatch, gridFor, type Dispatch, type Program } from './program';
import { INVALID_ROW } from '../data/format';
import type { Dataset } from '../data/synthetic';

export const BATCH_GATHER_CODE = withLibs(code, { rows: true });
/** A plain copy: wide workgroups, one element per thread. */
const WG = 256;
export const batchGatherProgram: Program = { name: 'batch_gather', code: BATCH_GATHER_CODE, workgroup: WG };
export const batchIndicesProgram: Program = {
  name: 'batch_gather',
  code: BATCH_GATHER_CODE,
  entry: 'indices',
  workgroup: WG,
};

/** Padded batch B; T tables of L indices per bag; F dense features; n examples in the data set. */
export interface BatchGatherParams {
  B: number;
  T: number;
  L: number;
  F: number;
  n: number;
}

/** A data set on the GPU: dense [n, F] f32, idx [T, n, L] u32 (table after table), labels [n] f32. */
export type DataBuffers = { dataDense: GPUBuffer; dataIdx: GPUBuffer; dataLabels: GPUBuffer };

/**
 * The example ids of one batch as the kernel reads them: B slots, the batch's ids first, the rest
 * the sentinel INVALID_ROW (padding). A step writes these B words and nothing else of its batch.
 */
export function paddedIds(B: number, ex: ArrayLike<number>): Uint32Array {
  if (ex.length > B) throw new RangeError(`a batch of ${ex.length} examples does not fit the padded batch of ${B}`);
  const ids = new Uint32Array(B).fill(INVALID_ROW);
  ids.set(ex);
  return ids;
}

/** The whole batch of examples `ids` (paddedIds): dense, idx, labels and mask. */
export function batchGather(
  device: GPUDevice,
  p: BatchGatherParams,
  b: DataBuffers & { ids: GPUBuffer; dense: GPUBuffer; idx: GPUBuffer; labels: GPUBuffer; mask: GPUBuffer },
): Dispatch {
  const threads = p.T * p.B * p.L + p.B * p.F + p.B;
  return makeDispatch(device, batchGatherProgram, b, gridFor(batchGatherProgram, threads), { u: p });
}

/** Only the bag indices and the mask of examples `ids` (LazyDP's lookahead batch). */
export function batchIndices(
  device: GPUDevice,
  p: BatchGatherParams,
  b: { ids: GPUBuffer; dataIdx: GPUBuffer; idx: GPUBuffer; mask: GPUBuffer },
): Dispatch {
  const threads = p.T * p.B * p.L + p.B;
  return makeDispatch(device, batchIndicesProgram, b, gridFor(batchIndicesProgram, threads), { u: p });
}

/**
 * The padded batch of examples `ex` of `ds` (the CPU reference, and the trainer's path where the
 * data set is not on the GPU): B rows, the rest masked out with empty bags.
 */
export function assemble(lay: { F: number; L: number; T: number }, B: number, ds: Dataset, ex: ArrayLike<number>) {
  const { F, L, T } = lay;
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
