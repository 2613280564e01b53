// Stages gather and mlp_forward: the batch gathered from the resident data set, the embedding
// bags, and every MLP layer's forward pass (the dot interaction before the top MLP).
import type { Dispatch } from '../../kernels/program';
import { matmul } from '../../kernels/matmul';
import { gather, gatherSpans } from '../../kernels/gather';
import { interactionForward } from '../../kernels/interaction';
import { batchGather, batchIndices } from '../../kernels/batch-gather';
import { shardE } from '../buffers';
import type { ResidentData } from '../resident-data';
import type { GraphBuilder } from './builder';

/** The dot interaction's shape, shared by its forward and backward. */
export function interactionParams(g: GraphBuilder) {
  const { layout: lay, B } = g.plan;
  return {
    B,
    n: lay.T + 1,
    D: lay.D,
    offV: 0,
    ldV: lay.featureWidth,
    offZ: 0,
    ldZ: lay.interactionWidth,
    offDV: 0,
    ldDV: lay.featureWidth,
  };
}

/**
 * The batch from the resident data set: the step uploaded its example ids only; the lookahead
 * batch (its indices and mask) first in the noise stage, before its sort. Returns the training
 * gather (the first of the gather stage) and the evaluation's.
 */
export function batchNodes(g: GraphBuilder, data?: ResidentData): { train?: Dispatch; eval?: Dispatch } {
  const { layout: lay, B } = g.plan;
  const m = g.m;
  const batch: { train?: Dispatch; eval?: Dispatch } = {};
  const bp = (n: number) => ({ B, T: lay.T, L: lay.L, F: lay.F, n });
  const batchOut = { dense: m.dense, idx: m.idx, labels: m.labels, mask: m.mask };
  if (data?.train) {
    batch.train = batchGather(g.dev, bp(data.train.n), { ids: data.ids, ...data.train.bufs, ...batchOut });
    g.add('gather', 'gather.batch', batch.train);
    if (data.idsNext) {
      const b = { ids: data.idsNext, dataIdx: data.train.bufs.dataIdx, idx: m.idxNext, mask: m.maskNext };
      g.add('noise', 'noise.lookahead-batch', batchIndices(g.dev, bp(data.train.n), b));
    }
  }
  if (data?.eval) {
    batch.eval = batchGather(g.dev, bp(data.eval.n), { ids: data.ids, ...data.eval.bufs, ...batchOut });
    g.pool.ownDispatches([batch.eval]);
  }
  return batch;
}

/** Every table in one dispatch when they share a buffer; else per shard (shards after the first add their part of each bag). */
export function gatherNodes(g: GraphBuilder): void {
  const { layout: lay, B } = g.plan;
  const { D, L, featureWidth: FW } = lay;
  const m = g.m;
  const pk = m.packed;
  if (pk) {
    const p = { B, L, D, offIdx: 0, strideIdx: B * L, offOut: D, strideOut: D, ldOut: FW, accumulate: 0 };
    g.add('gather', 'gather.bags', gatherSpans(g.dev, p, pk.spans, { E: pk.E, idx: m.idx, outV: m.V }));
    return;
  }
  m.shards.forEach((shards, t) =>
    shards.forEach((sh, k) => {
      const p = {
        B,
        L,
        D,
        rows: sh.rows,
        offIdx: t * B * L,
        offOut: (t + 1) * D,
        ldOut: FW,
        rowStart: sh.rowStart,
        accumulate: k > 0 ? 1 : 0,
      };
      g.add('gather', 'gather.bags', gather(g.dev, p, { E: shardE(sh, D), idx: m.idx, outV: m.V }));
    }),
  );
}

/** Y = act(X W^T + b) per layer. */
export function mlpForwardNodes(g: GraphBuilder): void {
  const { layout: lay, B } = g.plan;
  const m = g.m;
  for (const lb of m.layers) {
    const l = lb.layer;
    if (lay.interaction === 'dot' && l.mlp === 'top' && l.index === 0)
      g.add(
        'mlp_forward',
        'mlp_forward.interaction',
        interactionForward(g.dev, interactionParams(g), { V: m.V, Z: m.Z }),
      );
    const shape = {
      M: B,
      N: l.outDim,
      K: l.inDim,
      offA: lb.input.off,
      sAm: lb.input.ld,
      sAk: 1,
      offB: lb.offW,
      sBk: 1,
      sBn: l.inDim,
      offC: lb.output.off,
      ldc: lb.output.ld,
      offAux: lb.offb,
    };
    const bufs = { A: lb.input.buf, Bm: lb.W, C: lb.output.buf, aux: lb.b };
    g.add('mlp_forward', 'mlp_forward.layer', matmul(g.dev, { bias: true, relu: l.relu }, shape, bufs));
  }
}
