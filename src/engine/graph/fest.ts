// The step nodes of DP-AdaFEST and DP-FEST (docs/algorithms-fest.md), and the CPU-side inputs
// they need: DP-AdaFEST's crossing candidates, drawn and uploaded before each step; DP-FEST's
// selection, chosen once before training (src/engine/fest-selection.ts) and uploaded.
import { festApply, festMap, festCross, festUpdate } from '../../kernels/fest';
import { rowsScatterAdd } from '../../kernels/segsum';
import { bufferRange } from '../../kernels/program';
import { festMask, festNoiseSelected } from '../../kernels/fest-select';
import type { Span } from '../../kernels/program';
import { crossingCandidates, packCandidates } from '../../noise/fest';
import type { Key } from '../../noise/philox';
import { shardE } from '../buffers';
import { adafestCrossing, candidateCap, planBytes, selectionCap, type StepPlan } from '../plan';
export { adafestCrossing, candidateCap, selectionCap } from '../plan';
import type { GraphBuilder } from './builder';
import { keysOf, type SortBufs } from './backward';
import type { RowGrads } from './clip';
import type { AdafestState, FestState, NoiseContext } from './context';
export type { AdafestState, FestState } from './context';

/** Bytes written to the GPU by a per-step hook. */
export type Upload = (b: GPUBuffer, data: ArrayBufferView) => void;

/** Every (E buffer, spans) pair the table kernels run over: the packed tables, or each shard. */
function spanGroups(g: GraphBuilder): { E: GPUBufferBinding | GPUBuffer; spans: Span[] }[] {
  const pk = g.m.packed;
  if (pk) return [{ E: pk.E, spans: pk.spans }];
  const D = g.plan.layout.D;
  return g.m.shards.flat().map((sh) => ({
    E: shardE(sh, D),
    spans: [{ table: sh.table, base: 0, rowStart: sh.rowStart, rows: sh.rows }],
  }));
}

/**
 * festMap and festCross in the noise stage (after the sort); returns the buffers festUpdate reads.
 * In micro-batches festMap runs with each micro-batch (clip stage) and its clipped counts add up
 * in each shard's C; the logical step's festApply then takes the threshold (no festCross).
 */
export function adafestSelectNodes(g: GraphBuilder, cur: SortBufs, st: GPUBuffer): AdafestState {
  const { layout: lay, N, B, config: c, micro } = g.plan;
  const T = lay.T;
  const cap = candidateCap(g.plan);
  const make = (label: string) => g.pool.make(planBytes(g.plan, label), label);
  const [exNorm, csum, sel, cand] = ['exNorm', 'csum', 'sel', 'cand'].map((n) => make(`fest.${n}`));
  const mp = {
    n: N,
    tables: T,
    L: lay.L,
    B,
    clip: c.selectionClip,
    noiseStd: c.selectionSigma * c.selectionClip,
    tau: c.threshold,
  };
  const map = festMap(g.dev, mp, { st, keys: cur.keys, vals: cur.vals, exNorm, csum, sel });
  if (micro) {
    g.add('clip', 'micro.fest-map', map);
    for (const sh of g.m.shards.flat()) {
      const rp = { n: N, D: 1, rowStart: sh.rowStart, rows: sh.rows };
      const bufs = { keys: keysOf(g, cur, sh.table), rowGrad: bufferRange(csum, sh.table * N * 4, N * 4), G: sh.C! };
      g.add('clip', 'micro.fest-counts-add', rowsScatterAdd(g.dev, rp, bufs));
    }
    return { sel, csum, cand, cap };
  }
  const crossed = make('fest.crossed');
  g.add('noise', 'noise.fest-map', map);
  g.add('noise', 'noise.fest-cross', festCross(g.dev, { n: N, tables: T, cap }, { keys: cur.keys, cand, crossed }));
  return { sel, csum, crossed, cand, cap };
}

/** The sparse noisy update of the rows that crossed, instead of the rows' update and table noise. */
export function adafestUpdateNodes(g: GraphBuilder, x: NoiseContext, rg: RowGrads): void {
  const a = x.adafest!;
  if (g.plan.micro) return adafestMicroUpdate(g, x.st, a);
  const p = { n: g.plan.N, D: g.plan.layout.D, cap: a.cap };
  for (const { E, spans } of spanGroups(g)) {
    const bufs = { st: x.st, keys: x.cur.keys, rowGrad: rg.rowGrad, sel: a.sel, crossed: a.crossed!, E };
    g.add('update', 'update.fest-rows', festUpdate(g.dev, p, spans, bufs), true);
  }
}

/** Micro-batches: each shard's threshold and noisy update from the logical step's C and G. */
function adafestMicroUpdate(g: GraphBuilder, st: GPUBuffer, a: AdafestState): void {
  const { config: c, layout: lay } = g.plan;
  for (const sh of g.m.shards.flat()) {
    const p = {
      rows: sh.rows,
      D: lay.D,
      table: sh.table,
      rowStart: sh.rowStart,
      cap: a.cap,
      noiseStd: c.selectionSigma * c.selectionClip,
      tau: c.threshold,
    };
    const bufs = { st, cand: a.cand, C: sh.C!, G: sh.G!, E: shardE(sh, lay.D) };
    g.add('update', 'update.fest-apply', festApply(g.dev, p, bufs), true);
  }
}

/** The step's untouched-crossing candidates of every table, drawn on the CPU (O(rows p)). */
export function adafestBeforeStep(p: StepPlan, a: AdafestState): (s: number, key: Key, up: Upload) => void {
  const q = adafestCrossing(p);
  return (s, key, up) => {
    const lists = p.layout.rows.map((R, t) => crossingCandidates(key, t, R, s, q));
    up(a.cand, packCandidates(lists, a.cap));
  };
}

/** DP-FEST's mask, in the backward stage before the sort: the sort and the norms read the copy. */
export function festMaskNodes(g: GraphBuilder): FestState {
  const { layout: lay, B } = g.plan;
  const kcap = selectionCap(g.plan);
  const selected = g.pool.make(planBytes(g.plan, 'fest.selected'), 'fest.selected');
  const idxMasked = g.pool.make(planBytes(g.plan, 'fest.idxMasked'), 'fest.idxMasked');
  const mp = { used: B * lay.L, tables: lay.T, offIdx: 0, strideIdx: B * lay.L, kcap };
  g.add('backward', 'backward.fest-mask', festMask(g.dev, mp, { idx: g.m.idx, selected, idxOut: idxMasked }));
  return { selected, idxMasked, kcap };
}

/** DP-SGD's noise on every selected row (after the masked rows' update). */
export function festNoiseNodes(g: GraphBuilder, x: NoiseContext, E: GPUBufferBinding | GPUBuffer, spans: Span[]): void {
  const f = x.fest!;
  const p = { kcap: f.kcap, D: g.plan.layout.D };
  g.add('update', 'update.fest-noise', festNoiseSelected(g.dev, p, spans, { st: x.st, selected: f.selected, E }), true);
}
