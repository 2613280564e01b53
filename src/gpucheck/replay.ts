// A trainer's steps replayed by the plain TypeScript reference (src/reference/dlrm.ts, the
// oracle): the same batches, lookahead rows and final flush. The GPU check and the conformance
// suite (tests/algorithms) both compare the trainer's model against it.
import { lrAt, type Config } from '../config/config';
import { algorithm, type Algorithm } from '../algorithms';
import { modelLayout, type NamedTensor, type Trainer } from '../engine';
import { referenceStep, REFERENCE_STEPS, type RefKind, type RefModel } from '../reference/dlrm';
import { festSelectionRef, type AdafestParams } from '../reference/fest';
import { rankToRow } from '../data/synthetic';
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

/** The exported tensors' names and values of a reference model (the inverse of toRef). */
export function fromRef(c: Config, m: RefModel): Map<string, Float32Array> {
  const lay = modelLayout(c);
  const out = new Map<string, Float32Array>();
  lay.rows.forEach((_, tb) => out.set(`tables.${tb}`, m.tables[tb]));
  lay.layers.forEach((l, i) => {
    out.set(`${l.mlp}.${l.index}.weight`, m.W[i]);
    out.set(`${l.mlp}.${l.index}.bias`, m.b[i]);
  });
  return out;
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

/**
 * The oracle's step kind an algorithm declares (Algorithm.reference); an algorithm that declares
 * none, or one the oracle does not know, is an error naming it (never a replay of another kind).
 */
export function referenceKindOf(a: Pick<Algorithm, 'name' | 'reference'>): RefKind {
  const k = a.reference as string | undefined;
  if (!REFERENCE_STEPS.includes(k as RefKind))
    throw new Error(
      `algorithm ${a.name} declares no CPU reference step the oracle knows (Algorithm.reference = ${String(k)}; known: ${REFERENCE_STEPS.join(', ')})`,
    );
  return k as RefKind;
}

/**
 * DP-FEST's rows per table as the oracle chooses them before training: the private histogram
 * (src/reference/fest.ts), or the synthetic generator's most popular ranks for a public prior.
 */
export function referenceSelection(t: Trainer): Uint32Array[] {
  const c = t.config;
  if (c.festPrior === 'public')
    return t.layout.rows.map((R, tb) => {
      const row = rankToRow(R, c.dataSeed, tb);
      return Uint32Array.from({ length: Math.min(c.festK, R) }, (_, k) => row(k)).sort();
    });
  const o = { k: c.festK, sigma: c.festHistogramSigma, bound: c.festBound, key: seedToKey(c.seed) };
  return festSelectionRef(t.layout, t.dataset.train.idx, o);
}

/** DP-AdaFEST's sigma1, C1, tau from the configuration. */
export const adafestParams = (c: Config): AdafestParams => ({
  sigma1: c.selectionSigma,
  clip1: c.selectionClip,
  tau: c.threshold,
});

/** The reference model after the trainer's first k steps (and the flush, where the algorithm has one). */
export function referenceAfter(t: Trainer, init: NamedTensor[], k: number): Map<string, Float32Array> {
  const c = t.config;
  const m = toRef(c, init);
  const lay = t.layout;
  const key = seedToKey(c.seed);
  const lrs = Array.from({ length: c.steps + 1 }, (_, s) => (s ? lrAt(c, s) : 0));
  const prefix = lrSquaredPrefix(c.steps, (s) => lrAt(c, s)).sums;
  const a = algorithm(c.algo);
  const kind = referenceKindOf(a);
  const noiseStd = a.private ? t.sigma * c.clip : 0;
  const ds = t.dataset.train;
  const selected = kind === 'fest' ? referenceSelection(t) : undefined;
  const adafest = kind === 'adafest' ? adafestParams(c) : undefined;
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
    referenceStep(lay, m, batch, { ...c, kind, st, nextRows, lrs, prefix, selected, adafest });
  }
  if (kind === 'lazy' || kind === 'lazy-exact') {
    const st = { step: k, lr: lrs[k], invB: 1 / c.batch, noiseStd, key };
    lay.rows.forEach((R, tb) => flushRef(st, tb, R, lay.D, m.tables[tb], m.H[tb], lrs, prefix, kind === 'lazy-exact'));
  }
  return fromRef(c, m);
}
