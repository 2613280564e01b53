// Stage update: the MLP's update (every tensor in one dispatch), then the tables: the batch's
// rows (every table in one dispatch where they share a buffer and take the sparse path), or the
// dense optimizer's pass over every row; the algorithm's table noise around them (noise.ts).
import { rowsUpdate, rowsUpdateSpans, rowsScatter } from '../../kernels/segsum';
import { mlpUpdate, mlpOptim } from '../../kernels/noise';
import { tableOptim } from '../../kernels/optim';
import { shardE, type Shard } from '../buffers';
import type { GraphBuilder } from './builder';
import type { RowGrads } from './clip';
import { keysOf } from './backward';
import { TABLE_NOISE, type NoiseContext } from './noise';
import { microApplyNode } from './micro';

export function mlpUpdateNodes(g: GraphBuilder, st: GPUBuffer, o?: GPUBuffer): void {
  const { config: c, noiseMode } = g.plan;
  const mb = g.m.mlp;
  const bufs = { st, grad: mb.grads, W: mb.params, noiseBuf: mb.noise };
  g.add(
    'update',
    'update.mlp',
    c.mlpOptimizer === 'sgd'
      ? mlpUpdate(g.dev, noiseMode, mb.tensors, bufs)
      : mlpOptim(g.dev, c.mlpOptimizer, noiseMode, mb.tensors, { ...bufs, o: o!, M: mb.M!, V: mb.V }),
  );
}

/** The tables' update and noise, in the order the kernels must run. */
export function tableUpdateNodes(g: GraphBuilder, x: NoiseContext, rg: RowGrads, o?: GPUBuffer): void {
  const noise = TABLE_NOISE[g.plan.tableNoise];
  if (noise.replacesUpdate) return noise.replacesUpdate(g, x, rg);
  const pk = g.m.packed;
  // micro-batches update shard by shard from the summed G (graph/micro.ts)
  const allAtOnce = pk && g.plan.denseState < 0 && !g.plan.micro ? pk : undefined;
  if (allAtOnce) {
    const p = { n: g.plan.N, D: g.plan.layout.D };
    const bufs = { st: x.st, keys: x.cur.keys, rowGrad: rg.rowGrad, E: allAtOnce.E };
    g.add('update', 'update.rows', rowsUpdateSpans(g.dev, p, allAtOnce.spans, bufs));
    noise.allTables?.(g, x, allAtOnce);
  }
  for (const shards of g.m.shards)
    for (const sh of shards) {
      noise.sample?.(g, x, sh);
      if (g.plan.denseState >= 0) denseUpdate(g, x, rg, sh, o!);
      else {
        if (g.plan.micro) microApplyNode(g, x.st, sh);
        else if (!allAtOnce) rowsNode(g, x, rg, sh);
        noise.shard?.(g, x, sh, !!allAtOnce);
      }
    }
}

function rowsNode(g: GraphBuilder, x: NoiseContext, rg: RowGrads, sh: Shard): void {
  const D = g.plan.layout.D;
  const rp = { n: g.plan.N, D, rowStart: sh.rowStart, rows: sh.rows };
  const bufs = { st: x.st, keys: keysOf(g, x.cur, sh.table), rowGrad: rg.of(sh.table), E: shardE(sh, D) };
  g.add('update', 'update.rows', rowsUpdate(g.dev, rp, bufs));
}

/**
 * Dense optimizer (algorithms with dense tables): scatter the rows' gradients, then one pass over
 * every row that adds the eager noise (sampled or fused), the decay and the optimizer step.
 */
function denseUpdate(g: GraphBuilder, x: NoiseContext, rg: RowGrads, sh: Shard, o: GPUBuffer): void {
  const { layout: lay, N, config: c, tableNoiseMode } = g.plan;
  const t = sh.table;
  const rp = { n: N, D: lay.D, rowStart: sh.rowStart, rows: sh.rows };
  // micro-batches added their rows into G already (graph/micro.ts)
  if (!g.plan.micro)
    g.add(
      'update',
      'update.rows-scatter',
      rowsScatter(g.dev, rp, { keys: keysOf(g, x.cur, t), rowGrad: rg.of(t), G: sh.G! }),
    );
  const tp = { rows: sh.rows, D: lay.D, table: t, rowStart: sh.rowStart };
  const bufs = { st: x.st, o, E: shardE(sh, lay.D), G: sh.G!, noiseBuf: sh.noise, M: sh.M, V: sh.V };
  g.add(
    'update',
    'update.table-optim',
    tableOptim(g.dev, c.tableOptimizer, tableNoiseMode, tp, bufs),
    tableNoiseMode > 0,
  );
}
