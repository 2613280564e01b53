// Which kernels run in which stage of a step, in order, built once per trainer: the step is
// these dispatches replayed with new batch data and a new Step uniform. Each kernel module
// (src/kernels/) owns its bindings, uniforms and grid; the stages' files in graph/ wire buffers
// to them from the run's plan (plan.ts); this file puts them together and checks the result.
import type { Stage } from './types';
import type { BufferPool, ModelBuffers } from './buffers';
import type { StepPlan } from './plan';
import type { Dispatch } from '../kernels/program';
import type { LossKernel } from '../kernels/loss';
import { OptimUniform } from '../kernels/optim';
import { StepUniform } from '../kernels/step';
import type { ResidentData } from './resident-data';
// AUDIT ONLY: deliberate flaws for the one-run privacy audit (src/audit/), never in `train`
import type { AuditFlaw } from '../audit/flaws';
import { GraphBuilder, type GraphNode } from './graph/builder';
import { batchNodes, gatherNodes, mlpForwardNodes } from './graph/forward';
import { backwardNodes, sortBufs, sortOf } from './graph/backward';
import { gradientNodes } from './graph/clip';
import { lookaheadNodes, mlpNoiseNodes } from './graph/noise';
import { mlpUpdateNodes, tableUpdateNodes } from './graph/update';
import { adafestBeforeStep, adafestSelectNodes, festMaskNodes, type FestState, type Upload } from './graph/fest';
import type { Key } from '../noise/philox';
import { microAccumulateNodes, microZeroNodes } from './graph/micro';
// AUDIT ONLY: gradient canaries (src/audit/canary.ts), never in `train`
import { canaryNodes, type CanaryBuffers, type CanarySpec } from './graph/canary';
export { canaryIds, refuseAuditExport, type CanarySpec } from './graph/canary';

export type { GraphNode } from './graph/builder';

export interface StepGraph {
  /** the dispatches of each timed stage, in order */
  stages: Record<Stage, Dispatch[]>;
  /** lazy noise: every row's pending noise (empty otherwise) */
  flush: Dispatch[];
  /** the named nodes that make up the stages and the flush, in order */
  nodes: GraphNode[];
  /** the per-step values (struct Step), written before each step and each flush */
  step: StepUniform;
  /** the optimizers' hyperparameters and Adam's bias corrections, when a dense optimizer runs */
  optim?: OptimUniform;
  /** the loss kernel, whose ring slot moves every step */
  loss: LossKernel;
  /**
   * The sort of the current batch's pairs, every table in the same passes; the trainer runs it
   * in `backward` before position `sortAt`, unless the lookahead sorted this batch one step
   * earlier: then `reuseSorted` copies those pairs in instead (buffers and bytes).
   */
  sortCurrent: Dispatch[];
  sortAt: number;
  reuseSorted?: { src: GPUBuffer; dst: GPUBuffer; bytes: number }[];
  /**
   * The batch gathered from the resident data set: `train` (the first of the gather stage; absent
   * when the trainer uploads assembled batches) and `eval` (an evaluation batch, run by evaluate)
   */
  batch: { train?: Dispatch; eval?: Dispatch };
  /** inputs drawn on the CPU and written before each step (DP-AdaFEST's crossing candidates) */
  beforeStep?: (s: number, key: Key, up: Upload) => void;
  /** DP-FEST: the selection buffer, written once before training (src/engine/fest-selection.ts) */
  fest?: FestState;
  /** AUDIT ONLY: the gradient canaries' buffers (the trainer writes each step's sampled ids) */
  canaries?: CanaryBuffers;
}

/** A private algorithm whose step adds no noise to the tables: never built. */
export class UnnoisedStepError extends Error {
  constructor(algo: string) {
    super(
      `algorithm ${algo} is private but its step adds no noise to the embedding tables: it would report ε for an unprotected model`,
    );
    this.name = 'UnnoisedStepError';
  }
}

/**
 * The step for the plan's padded batch B and N sorted (row, slot) pairs per table. Stages:
 * gather; mlp_forward; backward (loss, G W, then sortCurrent, and non-private the gradient
 * sums); clip (norms, factors, clipped sums); noise (unfused samples, the lookahead's sort);
 * update. Refuses a private plan whose graph has no table-noise node.
 */
export function buildStepGraph(
  pool: BufferPool,
  plan: StepPlan,
  m: ModelBuffers,
  auditFlaw: AuditFlaw = 'none',
  data?: ResidentData,
  canarySpec?: CanarySpec,
): StepGraph {
  const g = new GraphBuilder(pool, plan, m);
  const step = new StepUniform(g.dev);
  pool.own(step.buffer);
  let optim: OptimUniform | undefined;
  if (plan.denseState >= 0 || plan.config.mlpOptimizer !== 'sgd') {
    optim = new OptimUniform(g.dev, plan.config.weightDecay);
    pool.own(optim.buffer);
  }
  const batch = batchNodes(g, data);
  gatherNodes(g);
  mlpForwardNodes(g);
  const loss = backwardNodes(g);
  const fest = plan.extra.festSelection ? festMaskNodes(g) : undefined;
  if (fest) g.gradIdx = fest.idxMasked;
  const cur = sortBufs(g, 'sort');
  const sortCurrent = sortOf(g, g.gradIdx, m.mask, cur);
  pool.ownDispatches(sortCurrent);
  const sortAt = g.stages.backward.length; // after the MLP backward, before the non-private gradient sums
  const rg = gradientNodes(g, cur);
  microAccumulateNodes(g, cur, rg);
  mlpNoiseNodes(g, step.buffer);
  mlpUpdateNodes(g, step.buffer, optim?.buffer);
  microZeroNodes(g);
  const ahead = lookaheadNodes(g);
  const adafest = plan.extra.festMap ? adafestSelectNodes(g, cur, step.buffer) : undefined;
  tableUpdateNodes(g, { st: step.buffer, cur, auditFlaw, ...ahead, adafest, fest }, rg, optim?.buffer);
  const canaries = canarySpec && canaryNodes(g, step.buffer, canarySpec);
  if (plan.private && !g.nodes.some((n) => n.tableNoise)) throw new UnnoisedStepError(plan.algorithm.name);
  const next = ahead.next;
  const T = plan.layout.T,
    N = plan.N;
  const reuseSorted = next && [
    { src: next.keys, dst: cur.keys, bytes: T * N * 4 },
    { src: next.vals, dst: cur.vals, bytes: T * N * 4 },
  ];
  const stages = g.stages;
  const beforeStep = adafest && adafestBeforeStep(plan, adafest);
  const graph = { stages, flush: g.flush, nodes: g.nodes, step, optim, loss, sortCurrent, sortAt, reuseSorted, batch };
  return { ...graph, beforeStep, fest, canaries };
}
