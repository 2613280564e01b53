// Stage backward: the loss gradient, then G_{l-1} = (G_l W_l) * relu'(act_{l-1}) down the MLPs
// (into the feature gradient dV at the top MLP's input), and the sort of the batch's pairs.
import { bufferRange, type Dispatch } from '../../kernels/program';
import { matmul } from '../../kernels/matmul';
import { loss, type LossKernel } from '../../kernels/loss';
import { reluBackward } from '../../kernels/relu';
import { interactionBackward } from '../../kernels/interaction';
import { sortPairs } from '../../kernels/sort';
import type { LayerBufs } from '../buffers';
import type { GraphBuilder } from './builder';
import { interactionParams } from './forward';

/** The loss kernel, then each layer's input gradient, top to bottom. */
export function backwardNodes(g: GraphBuilder): LossKernel {
  const m = g.m;
  const topLast = m.layers[m.layers.length - 1];
  const lossK = loss(
    g.dev,
    { B: g.plan.B },
    { logits: m.logits, labels: m.labels, mask: m.mask, dlogits: topLast.grad.buf, lossOut: m.loss },
  );
  g.add('backward', 'backward.loss', lossK.dispatch);
  for (let li = m.layers.length - 1; li >= 0; li--) {
    const l = m.layers[li].layer;
    if (l.index === 0 && l.mlp === 'bottom') continue; // no gradient w.r.t. the dense input
    if (l.mlp === 'top' && l.index === 0) featureGradient(g, m.layers[li]);
    else layerGradient(g, m.layers[li], m.layers[li - 1]);
  }
  return lossK;
}

/** Into dV (dot: into dZ, then the interaction backward writes dV): pooled gradients (no ReLU) and the bottom output's. */
function featureGradient(g: GraphBuilder, lb: LayerBufs): void {
  const { layout: lay, B } = g.plan;
  const { D, featureWidth: FW } = lay;
  const l = lb.layer,
    m = g.m;
  const shape = {
    M: B,
    N: l.inDim,
    K: l.outDim,
    offA: lb.grad.off,
    sAm: lb.grad.ld,
    sAk: 1,
    offB: lb.offW,
    sBk: l.inDim,
    sBn: 1,
    offC: 0,
    ldc: lay.interactionWidth,
  };
  g.add('backward', 'backward.features', matmul(g.dev, {}, shape, { A: lb.grad.buf, Bm: lb.W, C: m.dZ }));
  if (lay.interaction === 'dot')
    g.add(
      'backward',
      'backward.interaction',
      interactionBackward(g.dev, interactionParams(g), { V: m.V, dZ: m.dZ, dV: m.dV }),
    );
  const p = { rows: B, cols: D, offG: 0, ldG: FW, offAct: 0, ldAct: FW };
  g.add('backward', 'backward.relu', reluBackward(g.dev, p, { G: m.dV, act: m.V }));
}

function layerGradient(g: GraphBuilder, lb: LayerBufs, prev: LayerBufs): void {
  const l = lb.layer;
  const shape = {
    M: g.plan.B,
    N: l.inDim,
    K: l.outDim,
    offA: lb.grad.off,
    sAm: lb.grad.ld,
    sAk: 1,
    offB: lb.offW,
    sBk: l.inDim,
    sBn: 1,
    offC: prev.grad.off,
    ldc: prev.grad.ld,
    offAux: prev.output.off,
    ldAux: prev.output.ld,
  };
  const bufs = { A: lb.grad.buf, Bm: lb.W, C: prev.grad.buf, aux: prev.output.buf };
  g.add('backward', 'backward.layer', matmul(g.dev, { reluMask: true }, shape, bufs));
}

/** Sorted (row, slot) pairs of every table: table t's at keys and vals t*N .. (t+1)*N. */
export interface SortBufs {
  keys: GPUBuffer;
  vals: GPUBuffer;
}

export function sortBufs(g: GraphBuilder, label: string): SortBufs {
  const { layout: lay, N } = g.plan;
  return { keys: g.pool.make(lay.T * N * 4, `${label}.keys`), vals: g.pool.make(lay.T * N * 4, `${label}.vals`) };
}

/** One sort for every table; the kernels that work on one table's rows bind its range (N*4 bytes: a multiple of 256). */
export function sortOf(g: GraphBuilder, idx: GPUBuffer, mask: GPUBuffer, s: SortBufs): Dispatch[] {
  const { layout: lay, B, N } = g.plan;
  const p = { n: N, used: B * lay.L, L: lay.L, rows: lay.rows, offIdx: 0, strideIdx: B * lay.L };
  return sortPairs(g.dev, p, { idx, mask, ...s });
}

/** Table t's sorted keys, bound as a buffer of their own. */
export const keysOf = (g: GraphBuilder, s: { keys: GPUBuffer }, t: number) =>
  bufferRange(s.keys, t * g.plan.N * 4, g.plan.N * 4);
