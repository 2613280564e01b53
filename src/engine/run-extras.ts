// What the trainer keeps for the sparsity-preserving algorithms beside its step loop (kept out of
// trainer.ts): DP-FEST's selection (chosen before the first step, uploaded, saved and reloaded
// with checkpoints) and the rows each step's table update writes (summary.perStep.rowsUpdated).
import type { Config } from '../config/config';
import type { LabData } from '../data/synthetic';
import type { Key } from '../noise/philox';
import { packCandidates } from '../noise/fest';
import type { StepPlan } from './plan';
import type { StepGraph } from './step-graph';
import type { Checkpoint } from './checkpoint';
import { chooseSelection, decodeSelection } from './fest-selection';
import { meanRowsUpdated, rowsInput } from './rows-updated';
import { festStep, type FestStep } from './fest-step';

export class RunExtras {
  /** DP-FEST's selected rows per table (sorted); undefined for other algorithms */
  selection?: Uint32Array[];

  constructor(
    private readonly plan: StepPlan,
    private readonly graph: StepGraph,
    private readonly data: LabData,
    private readonly key: Key,
    private readonly upload: (b: GPUBuffer, d: ArrayBufferView) => void,
  ) {
    // DP-FEST: the rows are chosen once, before the first step (a checkpoint's replace them)
    if (graph.fest) this.select(chooseSelection(plan.config as Config, data, key));
  }

  private select(sel: Uint32Array[]): void {
    this.upload(this.graph.fest!.selected, packCandidates(sel, this.graph.fest!.kcap));
    this.selection = sel;
  }

  /** A checkpoint's selection replaces the one chosen at creation (DP-FEST); refused when missing. */
  load(ck: Checkpoint): void {
    if (!this.graph.fest) return;
    if (!ck.festSelection)
      throw new Error('checkpoint: a dp-fest file without its selection (fest_selection) cannot be resumed');
    this.select(decodeSelection(ck.festSelection, this.plan.layout.rows));
  }

  /**
   * What step s did to rows [start, start + count) of table t, `batch(s)` its examples
   * (DP-AdaFEST, DP-FEST, after a step; the teaching view). Undefined for other algorithms.
   */
  festStep(
    s: number,
    batch: (s: number) => ArrayLike<number>,
    t: number,
    start: number,
    count: number,
  ): FestStep | undefined {
    const kind = this.plan.tableNoise;
    if (s < 1 || (kind !== 'adafest' && kind !== 'fest')) return undefined;
    return festStep(rowsInput(this.plan, this.data.train, this.key, this.selection), s, batch(s), t, start, count);
  }

  /** Mean rows written per step over steps from+1 .. to, and their share of all rows. */
  rows(from: number, to: number, batch: (s: number) => ArrayLike<number>) {
    const rowsUpdated = meanRowsUpdated(this.plan, this.data.train, this.key, this.selection, { from, to, batch });
    return { rowsUpdated, rowsUpdatedRatio: rowsUpdated / this.plan.layout.rows.reduce((a, r) => a + r, 0) };
  }
}
