// A trainer's steps replayed by the plain TypeScript reference (src/reference/dlrm.ts, the
// oracle): the same batches, lookahead rows and final flush. The GPU check and the conformance
// suite (tests/algorithms) both compare the trainer's model against it.
import { lrAt, type Config } from '../config/config';
import { algorithm } from '../algorithms';
import { modelLayout, type NamedTensor, type Trainer } from '../engine';
import { referenceStep, type RefModel } from '../reference/dlrm';
import { flushRef, lrSquaredPrefix } from '../kernels/noise';
import { seedToKey } from '../noise/philox';
import { INVALID_ROW } from '../data/format';

/** The reference's model from exported tensors (histories at 0: the model before its first step). */
export function toRef(c: Config, ts: NamedTensor[]): RefModel {
  const lay = modelLayout(c);
  const get = (n: string) => Float32Array.from(ts.find((t) => t.name === n)!.data);
  return {
    W: lay.layers.map((l) => get(`${l.mlp}.${l.index}.weight`)),
    b: lay.layers.map((l) => get(`${l.mlp}.${l.index}.bias`)),
    tables: lay.rows.map((_, t) => get(`tables.${t}`)),
    H: lay.rows.map((R) => new Uint32Array(R)),
  };
}

/** Each table's distinct rows that these examples read. */
export function uniqueRows(t: Trainer, examples: ArrayLike<number>): number[][] {
  const ds = t.dataset.train;
  return t.layout.rows.map((R, k) => {
    const s = new Set<number>();
    for (const e of Array.from(examples))
      for (let l = 0; l < ds.L; l++) {
        const r = ds.idx[k][e * ds.L + l];
        if (r !== INVALID_ROW && r < R) s.add(r);
      }
    return [...s];
  });
}

/** The reference model after the trainer's first k steps (and the flush, where the algorithm has one). */
export function referenceAfter(t: Trainer, init: NamedTensor[], k: number): Map<string, Float32Array> {
  const c = t.config;
  const m = toRef(c, init);
  const lay = t.layout;
  const key = seedToKey(c.seed);
  const lrs = Array.from({ length: c.steps + 1 }, (_, s) => (s ? lrAt(c, s) : 0));
  const prefix = lrSquaredPrefix(c.steps, (s) => lrAt(c, s)).sums;
  const noiseStd = algorithm(c.algo).private ? t.sigma * c.clip : 0;
  const ds = t.dataset.train;
  for (let s = 1; s <= k; s++) {
    const ex = Array.from(t.batchIndices(s));
    const slice = (a: ArrayLike<number>, w: number) => ex.flatMap((e) => Array.from(a).slice(e * w, (e + 1) * w));
    const batch = {
      dense: Float32Array.from(slice(ds.dense, ds.F)),
      idx: ds.idx.map((a) => Uint32Array.from(slice(a, ds.L))),
      labels: Float32Array.from(ex.map((e) => ds.labels[e])),
    };
    const st = { step: s, lr: lrs[s], invB: 1 / c.batch, noiseStd, key };
    const nextRows = s < c.steps ? uniqueRows(t, t.batchIndices(s + 1)) : lay.rows.map(() => []);
    referenceStep(lay, m, batch, { ...c, st, nextRows, lrs, prefix });
  }
  const tableNoise = algorithm(c.algo).tableNoise;
  if (tableNoise === 'lazy' || tableNoise === 'lazy-exact') {
    const st = { step: k, lr: lrs[k], invB: 1 / c.batch, noiseStd, key };
    lay.rows.forEach((R, tb) =>
      flushRef(st, tb, R, lay.D, m.tables[tb], m.H[tb], lrs, prefix, tableNoise === 'lazy-exact'),
    );
  }
  const out = new Map<string, Float32Array>();
  lay.rows.forEach((_, tb) => out.set(`tables.${tb}`, m.tables[tb]));
  lay.layers.forEach((l, i) => {
    out.set(`${l.mlp}.${l.index}.weight`, m.W[i]);
    out.set(`${l.mlp}.${l.index}.bias`, m.b[i]);
  });
  return out;
}
