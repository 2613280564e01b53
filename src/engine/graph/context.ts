// What the noise and update nodes share (a module of its own so that the stage modules and the
// DP-FEST nodes can all read these types without importing one another).
import type { AuditFlaw } from '../../audit/flaws';
import type { SortBufs } from './backward';

export interface AdafestState {
  sel: GPUBuffer;
  csum: GPUBuffer;
  /** the untouched crossed rows (absent in micro-batches: the logical step's pass decides) */
  crossed?: GPUBuffer;
  cand: GPUBuffer;
  cap: number;
}

export interface FestState {
  selected: GPUBuffer;
  /** the batch's indices with every unselected row replaced by INVALID_ROW */
  idxMasked: GPUBuffer;
  kcap: number;
}

/** What the table-noise nodes read besides the model: the step's uniform and the lookahead's state. */
export interface NoiseContext {
  st: GPUBuffer;
  cur: SortBufs;
  auditFlaw: AuditFlaw;
  /** lazy kinds: the next batch's sorted pairs and the learning-rate schedule */
  next?: SortBufs;
  lrs?: GPUBuffer;
  lrSqPrefix?: GPUBuffer;
  /** DP-AdaFEST: the selection (sel at row heads) and the untouched rows that crossed */
  adafest?: AdafestState;
  /** DP-FEST: the selected rows */
  fest?: FestState;
}
