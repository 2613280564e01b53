// The step graph under construction: the dispatch lists of each stage (and the flush), and the
// named nodes that fill them, so that a test, the audit or a profile can refer to one.
import type { Stage } from '../types';
import type { Dispatch } from '../../kernels/program';
import type { BufferPool, ModelBuffers } from '../buffers';
import type { StepPlan } from '../plan';

/** Where a node's dispatches run: a timed stage of the step, or the flush before a read. */
export type NodeStage = Stage | 'flush';

export interface GraphNode {
  /** e.g. 'gather.bags', 'clip.norms', 'update.rows', 'noise.table-sample' */
  name: string;
  stage: NodeStage;
  dispatches: number;
  /** whether it adds noise to table rows (a private algorithm's graph must have one) */
  tableNoise: boolean;
}

export class GraphBuilder {
  readonly stages: Record<Stage, Dispatch[]> = {
    gather: [],
    mlp_forward: [],
    backward: [],
    clip: [],
    noise: [],
    update: [],
  };
  readonly flush: Dispatch[] = [];
  readonly nodes: GraphNode[] = [];
  readonly dev: GPUDevice;
  /** the batch's indices the sort and the per-example norms read (DP-FEST: its masked copy) */
  gradIdx: GPUBuffer;

  constructor(
    readonly pool: BufferPool,
    readonly plan: StepPlan,
    readonly m: ModelBuffers,
  ) {
    this.dev = pool.dev;
    this.gradIdx = m.idx;
  }

  /** Appends a node's dispatches to its stage (their uniform buffers join the pool). */
  add(stage: NodeStage, name: string, ds: Dispatch | Dispatch[], tableNoise = false): void {
    const list = Array.isArray(ds) ? ds : [ds];
    this.pool.ownDispatches(list);
    (stage === 'flush' ? this.flush : this.stages[stage]).push(...list);
    const last = this.nodes.at(-1);
    // consecutive dispatches of one node (one per layer, per shard) are one entry
    if (last && last.name === name && last.stage === stage) last.dispatches += list.length;
    else this.nodes.push({ name, stage, dispatches: list.length, tableNoise });
  }
}
