// Table noise by kind (the algorithm's TableNoise), and the MLP's unfused samples. Each kind says
// what it adds around the row update: eager noise on every row (fused into one pass, or sampled
// in the noise stage and added in update), lazy noise for the next batch's rows (the lookahead)
// and for every row at the flush. The record is exhaustive: a new kind needs its builder here.
import { lrAt } from '../../config/config';
import type { TableNoise } from '../../algorithms';
import type { BufferArg, Span } from '../../kernels/program';
import {
  mlpSample,
  tableNoiseFused,
  tableNoiseSample,
  tableNoiseAdd,
  lazyLookahead,
  lazyFlush,
  lrSquaredPrefix,
  type TableRows,
} from '../../kernels/noise';
import { shardE, shardH, type Shard } from '../buffers';
// AUDIT ONLY: deliberate flaws for the one-run privacy audit (src/audit/), never in `train`
import { touchedNoise } from '../../audit/flaws';
import type { GraphBuilder } from './builder';
import { keysOf, sortBufs, sortOf } from './backward';
import type { RowGrads } from './clip';
import { adafestUpdateNodes, festNoiseNodes } from './fest';
import type { NoiseContext } from './context';
export type { NoiseContext } from './context';

/** Every table at once (packed tables on the sparse path): the spans give the rows. */
export interface AllTables {
  E: GPUBuffer;
  H?: GPUBuffer;
  spans: Span[];
}

interface TableNoiseNodes {
  /** before the update: samples in the noise stage (eager, unfused) */
  sample?(g: GraphBuilder, x: NoiseContext, sh: Shard): void;
  /** after every table's rows were updated in one dispatch */
  allTables?(g: GraphBuilder, x: NoiseContext, all: AllTables): void;
  /** after one shard's rows were updated (`packed`: allTables already covered it) */
  shard?(g: GraphBuilder, x: NoiseContext, sh: Shard, packed: boolean): void;
  /** instead of the rows' update: the kind writes the tables' whole update itself (DP-AdaFEST) */
  replacesUpdate?(g: GraphBuilder, x: NoiseContext, rg: RowGrads): void;
}

const shardParams = (g: GraphBuilder, sh: Shard) => ({
  rows: sh.rows,
  D: g.plan.layout.D,
  table: sh.table,
  rowStart: sh.rowStart,
});

const eager: TableNoiseNodes = {
  sample(g, x, sh) {
    if (sh.noise)
      g.add('noise', 'noise.table-sample', tableNoiseSample(g.dev, shardParams(g, sh), { st: x.st, noise: sh.noise }));
  },
  allTables(g, x, all) {
    if (g.plan.tableNoiseMode !== 1 || x.auditFlaw === 'noise-touched-rows-only') return;
    const p = { rows: 0, table: 0, rowStart: 0, D: g.plan.layout.D, spans: all.spans };
    g.add('update', 'update.table-noise', tableNoiseFused(g.dev, p, { st: x.st, E: all.E }), true);
  },
  shard(g, x, sh, packed) {
    const tp = shardParams(g, sh);
    const E = shardE(sh, tp.D);
    const fused = g.plan.tableNoiseMode === 1;
    // AUDIT ONLY, BROKEN on purpose: noise on the batch's rows alone (src/audit/flaws.ts)
    if (fused && x.auditFlaw === 'noise-touched-rows-only') {
      const keys = keysOf(g, x.cur, sh.table);
      g.add(
        'update',
        'update.table-noise-touched-only',
        touchedNoise(g.dev, { ...tp, n: g.plan.N }, { st: x.st, keys, E }),
        true,
      );
    } else if (fused && !packed)
      g.add('update', 'update.table-noise', tableNoiseFused(g.dev, tp, { st: x.st, E }), true);
    if (sh.noise)
      g.add('update', 'update.table-noise-add', tableNoiseAdd(g.dev, tp, { st: x.st, E, noiseBuf: sh.noise }), true);
  },
};

/** Lazy noise: the next batch's rows get their pending noise now, every row at the flush. */
function lazy(exact: boolean): TableNoiseNodes {
  const nodes = (g: GraphBuilder, x: NoiseContext, p: TableRows, E: BufferArg, H: BufferArg, keys: BufferArg) => {
    const bufs = { st: x.st, E, H, lrs: x.lrs!, lrSqPrefix: x.lrSqPrefix! };
    const q = { ...p, n: g.plan.N };
    g.add('update', 'update.lazy-lookahead', lazyLookahead(g.dev, exact, q, { ...bufs, keys }), true);
    g.add('flush', 'flush.lazy', lazyFlush(g.dev, exact, q, bufs), true);
  };
  return {
    allTables(g, x, all) {
      nodes(
        g,
        x,
        { rows: 0, table: 0, rowStart: 0, D: g.plan.layout.D, spans: all.spans },
        all.E,
        all.H!,
        x.next!.keys,
      );
    },
    shard(g, x, sh, packed) {
      if (!packed)
        nodes(g, x, shardParams(g, sh), shardE(sh, g.plan.layout.D), shardH(sh), keysOf(g, x.next!, sh.table));
    },
  };
}

/** DP-FEST: after the masked pairs' update, DP-SGD's noise on every selected row. */
const fest: TableNoiseNodes = {
  allTables(g, x, all) {
    festNoiseNodes(g, x, all.E, all.spans);
  },
  shard(g, x, sh, packed) {
    if (!packed)
      festNoiseNodes(g, x, shardE(sh, g.plan.layout.D), [
        { table: sh.table, base: 0, rowStart: sh.rowStart, rows: sh.rows },
      ]);
  },
};

export const TABLE_NOISE: Record<TableNoise, TableNoiseNodes> = {
  none: {},
  eager,
  lazy: lazy(false),
  'lazy-exact': lazy(true),
  adafest: { replacesUpdate: adafestUpdateNodes },
  fest,
};

/** The MLP's unfused noise samples, every tensor in one dispatch (each keeps its own Philox counters). */
export function mlpNoiseNodes(g: GraphBuilder, st: GPUBuffer): void {
  const mb = g.m.mlp;
  if (g.plan.noiseMode === 2)
    g.add('noise', 'noise.mlp-sample', mlpSample(g.dev, mb.tensors, { st, noiseBuf: mb.noise! }));
}

/**
 * The lookahead's state (algorithms whose buffers declare it): the learning-rate schedule and its
 * squared prefix sums, and the next batch's pairs, sorted here in the noise stage; they are the
 * next step's own.
 */
export function lookaheadNodes(g: GraphBuilder): Pick<NoiseContext, 'next' | 'lrs' | 'lrSqPrefix'> {
  const { config: c, extra } = g.plan;
  if (!extra.lookahead) return {};
  const sched = lrSquaredPrefix(c.steps, (s) => lrAt(c, s));
  const lrs = g.pool.make(sched.lrs.byteLength, 'lrs');
  const lrSqPrefix = g.pool.make(sched.prefix.byteLength, 'lrSqPrefix');
  g.pool.upload(lrs, sched.lrs);
  g.pool.upload(lrSqPrefix, sched.prefix);
  const next = sortBufs(g, 'next');
  g.add('noise', 'noise.lookahead-sort', sortOf(g, g.m.idxNext, g.m.maskNext, next));
  return { next, lrs, lrSqPrefix };
}
