// Micro-batches (src/engine/micro.ts): after each micro-batch's clipped gradients, their sums add
// into the logical step's buffers (the MLP's grads, each table shard's dense G); the update stage
// applies them once and clears them. Nothing here runs without micro-batches.
import { accumulate, applyRows, zeroOut } from '../../kernels/micro';
import { rowsScatterAdd } from '../../kernels/segsum';
import { shardE, type Shard } from '../buffers';
import type { GraphBuilder } from './builder';
import type { RowGrads } from './clip';
import { keysOf, type SortBufs } from './backward';

/** End of the clip stage: this micro-batch's MLP gradients and row sums added in. */
export function microAccumulateNodes(g: GraphBuilder, cur: SortBufs, rg: RowGrads): void {
  if (!g.plan.micro) return;
  const mb = g.m.mlp;
  g.add('clip', 'micro.mlp-add', accumulate(g.dev, mb.size, { acc: mb.grads, x: mb.microGrads! }));
  const D = g.plan.layout.D;
  for (const shards of g.m.shards)
    for (const sh of shards) {
      const rp = { n: g.plan.N, D, rowStart: sh.rowStart, rows: sh.rows };
      const bufs = { keys: keysOf(g, cur, sh.table), rowGrad: rg.of(sh.table), G: sh.G! };
      g.add('clip', 'micro.rows-add', rowsScatterAdd(g.dev, rp, bufs));
    }
}

/** After the MLP's update: its summed gradients cleared for the next logical step. */
export function microZeroNodes(g: GraphBuilder): void {
  if (g.plan.micro) g.add('update', 'micro.mlp-zero', zeroOut(g.dev, g.m.mlp.size, { acc: g.m.mlp.grads }));
}

/** The sparse SGD step of one shard from its summed row gradients (every row; G then zero). */
export function microApplyNode(g: GraphBuilder, st: GPUBuffer, sh: Shard): void {
  const D = g.plan.layout.D;
  g.add('update', 'update.rows', applyRows(g.dev, sh.rows * D, { st, acc: sh.G!, E: shardE(sh, D) }));
}
