// What the engine reports. Shared by the UI, the CLI and the JSON results; nothing here knows
// about either.

export const STAGES = ['gather', 'mlp_forward', 'backward', 'clip', 'noise', 'update'] as const;
export type Stage = (typeof STAGES)[number];
export type StageTimes = Record<Stage, number>;

export function zeroStages(): StageTimes {
  return Object.fromEntries(STAGES.map((s) => [s, 0])) as StageTimes;
}

/** 'gpu-timestamp': timestamp-query around each stage's pass; 'cpu': coarser, per-stage submit + wait. */
export type TimingSource = 'gpu-timestamp' | 'cpu';

export interface LogPoint {
  step: number;
  /** mean training BCE of the real examples of the steps since the last log point */
  loss: number;
  /** held-out AUC and loss, when an evaluation ran at this step */
  auc?: number;
  evalLoss?: number;
  /** privacy spent after `step` steps (absent for sgd) */
  epsilon?: number;
  /** per-stage times of the steps since the last point, milliseconds (median) */
  stageMs: StageTimes;
  /** wall-clock steps per second since the last log point */
  stepsPerSec: number;
  /** real examples in the batches since the last point (Poisson sampling varies it) */
  examples: number;
}

export interface RunSummary {
  steps: number;
  timing: TimingSource;
  /** median per-stage milliseconds over the timed steps */
  stageMedianMs: StageTimes;
  stepMedianMs: number;
  /** 10th and 90th percentiles over the same steps, per stage and of the per-step sums (the spread) */
  stageP10Ms?: StageTimes;
  stageP90Ms?: StageTimes;
  stepP10Ms?: number;
  stepP90Ms?: number;
  /** how many steps the medians and percentiles are over (warm-up steps left out) */
  timedSteps?: number;
  finalLoss: number;
  auc: number;
  evalLoss: number;
  /** AUC of the planted teacher on the same held-out set (synthetic data only) */
  teacherAuc?: number;
  epsilon?: number;
  sigma: number;
  /** batches where Poisson sampling drew more than the padded maximum (see sampling docs) */
  overflowBatches: number;
  /** steps that came from a checkpoint (absent for a fresh run) */
  resumedFrom?: number;
  /** what one training step costs outside the GPU's kernels (means over the steps of this run) */
  perStep: StepCosts;
  log: LogPoint[];
}

/**
 * Per training step: compute dispatches encoded (LazyDP's lookahead included), bytes written
 * with queue.writeBuffer (the batch's example ids, or the whole CPU-assembled batch, and the
 * uniforms), and CPU milliseconds spent sampling the batch, assembling (or padding its ids) and
 * uploading it, and encoding and submitting the step.
 */
export interface StepCosts {
  dispatches: number;
  uploadBytes: number;
  cpuMs: { sampling: number; assembly: number; encoding: number };
  /**
   * true: the data set lives on the GPU and a step uploads its batch's example ids only (a kernel
   * gathers the batch); false: the batch is assembled on the CPU and uploaded whole (the data set
   * did not fit the memory plan, or the trainer was built with batchOnGpu: false)
   */
  batchOnGpu: boolean;
  /**
   * Rows the table update wrote per step (mean over the steps taken, or over 64 of them spread
   * evenly in a longer run), from the batches and the same draws on the CPU (src/engine/rows-updated.ts)
   */
  rowsUpdated: number;
  /** rowsUpdated over the rows of every table (DP-SGD's rows per step): the gradient-size ratio */
  rowsUpdatedRatio: number;
}

/** A tensor under its export name (safetensors, checkpoints), row-major f32. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}
