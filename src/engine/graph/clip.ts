// Stage clip (private) or the end of backward (non-private): per-example norms and clip factors,
// the MLP's weight gradients A^T diag(c) G, and every table's (clipped) row sums.
import { bufferRange } from '../../kernels/program';
import { layerNorm, bagNorm, clipFactors } from '../../kernels/norms';
import { wgradPartial, wgradReduce, wgradSplit } from '../../kernels/wgrad';
import { segsum } from '../../kernels/segsum';
import type { Stage } from '../types';
import type { GraphBuilder } from './builder';
import type { SortBufs } from './backward';

/** Every table's clipped row sums: table t's at rowGrad t*N*D .. (t+1)*N*D. */
export interface RowGrads {
  rowGrad: GPUBuffer;
  of: (t: number) => GPUBufferBinding;
}

/** The gradient nodes; returns the tables' row sums, which the update stage reads. */
export function gradientNodes(g: GraphBuilder, cur: SortBufs): RowGrads {
  const stage: Stage = g.plan.private ? 'clip' : 'backward';
  if (g.plan.private) normNodes(g, stage);
  mlpGradNodes(g, stage);
  return rowSumNodes(g, stage, cur);
}

/** Per-example squared norms per group (the norm trick) and, flat clipping, one factor per example. */
function normNodes(g: GraphBuilder, stage: Stage): void {
  const { layout: lay, B, config: c } = g.plan;
  const m = g.m;
  for (const lb of m.layers) {
    const l = lb.layer;
    const p = {
      B,
      inDim: l.inDim,
      outDim: l.outDim,
      offA: lb.input.off,
      ldA: lb.input.ld,
      offG: lb.grad.off,
      ldG: lb.grad.ld,
      offN: l.group * B,
    };
    g.add(stage, 'clip.norms', layerNorm(g.dev, p, { A: lb.input.buf, G: lb.grad.buf, norms: m.norms }));
  }
  const { D, L, featureWidth: FW } = lay;
  const bagP = {
    B,
    L,
    D,
    rows: lay.rows,
    offIdx: 0,
    strideIdx: B * L,
    offG: D,
    strideG: D,
    ldG: FW,
    offN: lay.layers.length * B,
    strideN: B,
  };
  g.add(stage, 'clip.norms', bagNorm(g.dev, bagP, { idx: g.gradIdx, G: m.dV, norms: m.norms }));
  if (g.plan.scaleMode === 1) {
    const p = { B, groups: lay.groups, clipSq: c.clip * c.clip };
    g.add(stage, 'clip.factors', clipFactors(g.dev, p, { norms: m.norms, mask: m.mask, factors: m.factors }));
  }
}

/** The scale the gradient kernels apply: flat factors, per-layer norms, or none. */
function scaleOf(g: GraphBuilder): GPUBuffer | null {
  const s = g.plan.scaleMode;
  return s === 1 ? g.m.factors : s === 2 ? g.m.norms : null;
}

/**
 * MLP weight and bias gradients, split over the batch: per layer its chunks' partial sums, then
 * one reduce for every layer in a fixed chunk order (deterministic); one chunk writes the
 * gradients directly.
 */
function mlpGradNodes(g: GraphBuilder, stage: Stage): void {
  const { layout: lay, B, scaleMode, config: c } = g.plan;
  const mb = g.m.mlp;
  const split = wgradSplit(B, mb.size);
  // micro-batches: each one's gradients go to microGrads, then add into grads (graph/micro.ts)
  const out = mb.microGrads ?? mb.grads;
  const parts = split.chunks > 1 ? g.pool.make(split.partialBytes, 'mlp.gradPartials') : out;
  for (const lb of g.m.layers) {
    const l = lb.layer;
    const p = {
      M: l.outDim,
      N: l.inDim,
      K: B,
      chunk: split.chunk,
      offG: lb.grad.off,
      ldG: lb.grad.ld,
      offA: lb.input.off,
      ldA: lb.input.ld,
      offScale: scaleMode === 2 ? l.group * B : 0,
      clipSq: (c.clip * c.clip) / lay.groups,
      offOut: lb.offW,
      stride: mb.size,
    };
    const bufs = { G: lb.grad.buf, A: lb.input.buf, scale: scaleOf(g), P: parts };
    g.add(stage, 'clip.mlp-grads', wgradPartial(g.dev, scaleMode, p, bufs));
  }
  if (split.chunks > 1)
    g.add(stage, 'clip.mlp-grads-reduce', wgradReduce(g.dev, { n: mb.size, chunks: split.chunks }, { parts, out }));
}

/** Every table's clipped row sums in one segment sum. */
function rowSumNodes(g: GraphBuilder, stage: Stage, cur: SortBufs): RowGrads {
  const { layout: lay, N, scaleMode, config: c } = g.plan;
  const { T, D, L } = lay;
  const rowGrad = g.pool.make(T * N * D * 4, 'rowGrad');
  const segP = {
    n: N,
    tables: T,
    L,
    D,
    offG: D,
    strideG: D,
    ldG: lay.featureWidth,
    offScale: scaleMode === 2 ? lay.layers.length * g.plan.B : 0,
    strideScale: scaleMode === 2 ? g.plan.B : 0,
    clipSq: (c.clip * c.clip) / lay.groups,
  };
  const bufs = { keys: cur.keys, vals: cur.vals, G: g.m.dV, scale: scaleOf(g), rowGrad };
  g.add(stage, 'clip.row-sums', segsum(g.dev, scaleMode, segP, bufs));
  return { rowGrad, of: (t) => bufferRange(rowGrad, t * N * D * 4, N * D * 4) };
}
