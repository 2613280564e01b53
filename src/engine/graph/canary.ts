// AUDIT ONLY (src/audit/canary.ts): the node that applies this step's sampled gradient canaries to
// their own table rows (kernels/canary.ts), after the tables' update and noise. Canary rows are
// never keys of the batch, so the order with the rows' update does not matter; their noise comes
// from the table's own noise pass (eager: every row) or flush (lazy: rows no batch reads).
import { canaryAdd } from '../../kernels/canary';
import { shardE } from '../buffers';
import type { GraphBuilder } from './builder';
import { planBytes } from '../plan';

/** What the trainer passes for gradient canaries: m canaries, row `first[t]` on of each table t. */
export interface CanarySpec {
  m: number;
  /** per table: the row of canary 0 (the data's row count) */
  first: readonly number[];
  /** u_j per table, canary j of table t at (t·m + j)·D; unit norm over all its rows */
  directions: Float32Array<ArrayBuffer>;
  /** the canaries sampled at step s (1-based), each in 0 .. m - 1 */
  sampledAt: (s: number) => Uint32Array;
}

/** The sampled canaries' ids (count first) and the directions, on the GPU. */
export interface CanaryBuffers {
  spec: CanarySpec;
  ids: GPUBuffer;
  dirs: GPUBuffer;
}

/** What the trainer uploads to `ids` before step s: the number of sampled canaries, then their indices. */
export function canaryIds(c: CanaryBuffers, s: number): Uint32Array<ArrayBuffer> {
  const ids = c.spec.sampledAt(s);
  const out = new Uint32Array(ids.length + 1);
  out[0] = ids.length;
  out.set(ids, 1);
  return out;
}

/** A flawed model, or one that holds gradient canaries, is never exported. */
export function refuseAuditExport(flaw: string, canaries?: CanaryBuffers): void {
  if (flaw !== 'none') throw new Error(`audit flaw ${flaw}: broken on purpose, never exported`);
  if (canaries)
    throw new Error(
      `this model holds the ${canaries.spec.m} gradient canaries of a privacy audit: never exported (train without the audit)`,
    );
}

export function canaryNodes(g: GraphBuilder, st: GPUBuffer, spec: CanarySpec): CanaryBuffers {
  const D = g.plan.layout.D;
  // the scores assume plain SGD on the tables (src/audit/gradient-score.ts)
  if (g.plan.denseState >= 0) throw new Error('gradient canaries need tableOptimizer=sgd and weightDecay=0');
  // the memory plan counted plan.canaries canaries: a spec of another size would outgrow it
  if (spec.m !== g.plan.canaries || spec.directions.byteLength !== planBytes(g.plan, 'canary.dirs'))
    throw new Error(`the plan holds ${g.plan.canaries} gradient canaries, the audit passed ${spec.m}`);
  const mk = (label: string) => g.pool.make(planBytes(g.plan, label), label);
  const ids = mk('canary.ids');
  const dirs = mk('canary.dirs');
  g.dev.queue.writeBuffer(dirs, 0, spec.directions);
  for (const shards of g.m.shards)
    for (const sh of shards) {
      const p = { m: spec.m, D, table: sh.table, first: spec.first[sh.table], rowStart: sh.rowStart, rows: sh.rows };
      g.add(
        'update',
        'update.canaries',
        canaryAdd(g.dev, { ...p, clip: g.plan.config.clip }, { st, ids, dirs, E: shardE(sh, D) }),
      );
    }
  return { spec, ids, dirs };
}
