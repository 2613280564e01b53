// Plain TypeScript reference of one whole training step, written independently of the kernels:
// it materialises every example's gradient explicitly (what the GPU avoids), clips it, adds the
// addressed Philox noise and updates. The GPU step must match it; the privacy tests use its
// per-example gradients to check that clipping bounds every contribution.
import type { Config } from '../config/config';
import type { Layout } from '../engine/model';
import { eagerTableNoise, mlpNoise, type Key } from '../noise/philox';
import { applyPendingRef, type StepValues } from '../kernels/noise';
import { tableOptimRef, mlpOptimRef, type OptimState } from '../kernels/optim';
import { INVALID_ROW } from '../kernels/gather';
import { bce } from '../kernels/loss';
import { adafestTables, festTables, keepSelected, type AdafestParams } from './fest';
import { REFERENCE_STEPS, unknownKind, type RefKind } from './kinds';

export { REFERENCE_STEPS, type RefKind } from './kinds';

export interface RefModel {
  W: Float32Array[];
  b: Float32Array[];
  tables: Float32Array[];
  /** LazyDP history per table */
  H: Uint32Array[];
  /** dense table optimizer state per table (momentum and Adam's m; Adam's v), created on first use */
  optState?: OptimState[];
  /** mlpOptimizer state per layer, for W and for b */
  mlpState?: { W: OptimState; b: OptimState }[];
}

export interface RefBatch {
  /** real examples only */
  dense: Float32Array; // [n, F]
  idx: Uint32Array[]; // per table [n, L] (INVALID_ROW = empty slot)
  labels: Float32Array;
}

export interface PerExampleGrad {
  /** per MLP layer: dW [out*in], db [out] */
  dW: Float64Array[];
  db: Float64Array[];
  /** per table: row -> gradient of that row (D) */
  dE: Map<number, Float64Array>[];
}

function relu(x: number) {
  return x > 0 ? x : 0;
}

/**
 * The pairs of the dot interaction in DLRM's order (dlrm_s_pytorch.py: Z[:, li, lj] with
 * li = [i for i in range(n) for j in range(i)], lj likewise j): (1,0), (2,0), (2,1), (3,0), ...
 */
export function dotPairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out.push([i, j]);
  return out;
}

/** The top MLP's input from the feature vectors v = [v_0 .. v_T] (each D wide, concatenated). */
export function interact(lay: Layout, v: Float64Array): Float64Array {
  if (lay.interaction !== 'dot') return v;
  const D = lay.D;
  const z = new Float64Array(lay.interactionWidth);
  z.set(v.subarray(0, D), 0);
  dotPairs(lay.T + 1).forEach(([i, j], k) => {
    let acc = 0;
    for (let d = 0; d < D; d++) acc += v[i * D + d] * v[j * D + d];
    z[D + k] = acc;
  });
  return z;
}

/** Gradient w.r.t. the feature vectors from the gradient w.r.t. the top MLP's input. */
export function interactBackward(lay: Layout, v: Float64Array, dz: Float64Array): Float64Array {
  if (lay.interaction !== 'dot') return dz;
  const D = lay.D;
  const dv = new Float64Array(lay.featureWidth);
  for (let d = 0; d < D; d++) dv[d] = dz[d];
  // d<v_i, v_j>/dv_i = v_j and /dv_j = v_i
  dotPairs(lay.T + 1).forEach(([i, j], k) => {
    for (let d = 0; d < D; d++) {
      dv[i * D + d] += dz[D + k] * v[j * D + d];
      dv[j * D + d] += dz[D + k] * v[i * D + d];
    }
  });
  return dv;
}

/**
 * Forward pass of one example; returns the activations of every layer and the feature vectors
 * V = [bottom output, pooled_0 .. pooled_T-1] (the top MLP's input is interact(V)).
 */
export function forwardExample(
  lay: Layout,
  m: RefModel,
  dense: ArrayLike<number>,
  bags: ArrayLike<number>[],
): { inputs: Float64Array[]; outputs: Float64Array[]; features: Float64Array; logit: number } {
  const inputs: Float64Array[] = [],
    outputs: Float64Array[] = [];
  const D = lay.D;
  let x: Float64Array = Float64Array.from(dense);
  const z = new Float64Array(lay.featureWidth);
  for (const l of lay.layers) {
    if (l.mlp === 'top' && l.index === 0) {
      z.set(x, 0);
      for (let t = 0; t < lay.T; t++)
        for (const r of Array.from(bags[t]))
          if (r !== INVALID_ROW && r < lay.rows[t])
            for (let d = 0; d < D; d++) z[(t + 1) * D + d] += m.tables[t][r * D + d];
      x = interact(lay, z);
    }
    const li = lay.layers.indexOf(l);
    inputs.push(x);
    const y = new Float64Array(l.outDim);
    for (let j = 0; j < l.outDim; j++) {
      let acc = m.b[li][j];
      for (let k = 0; k < l.inDim; k++) acc += m.W[li][j * l.inDim + k] * x[k];
      y[j] = l.relu ? relu(acc) : acc;
    }
    outputs.push(y);
    x = y;
  }
  return { inputs, outputs, features: z, logit: x[0] };
}

/** The gradient of one example's loss, explicitly. */
export function exampleGradient(
  lay: Layout,
  m: RefModel,
  dense: ArrayLike<number>,
  bags: ArrayLike<number>[],
  label: number,
): { grad: PerExampleGrad; loss: number; logit: number } {
  const f = forwardExample(lay, m, dense, bags);
  const x = f.logit;
  const loss = bce(x, label);
  const n = lay.layers.length;
  const dW: Float64Array[] = new Array(n),
    db: Float64Array[] = new Array(n);
  let g = Float64Array.of(1 / (1 + Math.exp(-x)) - label); // dL/d(pre-activation) of the last layer
  let dz: Float64Array | null = null;
  for (let li = n - 1; li >= 0; li--) {
    const l = lay.layers[li],
      a = f.inputs[li];
    dW[li] = new Float64Array(l.outDim * l.inDim);
    for (let j = 0; j < l.outDim; j++) for (let k = 0; k < l.inDim; k++) dW[li][j * l.inDim + k] = g[j] * a[k];
    db[li] = Float64Array.from(g);
    const dx = new Float64Array(l.inDim);
    for (let k = 0; k < l.inDim; k++) {
      let acc = 0;
      for (let j = 0; j < l.outDim; j++) acc += g[j] * m.W[li][j * l.inDim + k];
      dx[k] = acc;
    }
    if (l.mlp === 'top' && l.index === 0) {
      dz = interactBackward(lay, f.features, dx);
      // into the bottom MLP's output (post-ReLU)
      const bl = lay.bottom[lay.bottom.length - 1];
      const bi = lay.layers.indexOf(bl);
      g = dz.slice(0, lay.D).map((v, d) => (f.outputs[bi][d] > 0 ? v : 0));
    } else if (li > 0) {
      const prev = lay.layers[li - 1];
      g = dx.map((v, k) => (prev.relu && f.outputs[li - 1][k] > 0 ? v : prev.relu ? 0 : v));
    }
  }
  const dE: Map<number, Float64Array>[] = [];
  for (let t = 0; t < lay.T; t++) {
    const mp = new Map<number, Float64Array>();
    for (const r of Array.from(bags[t])) {
      if (r === INVALID_ROW || r >= lay.rows[t]) continue;
      let v = mp.get(r);
      if (!v) mp.set(r, (v = new Float64Array(lay.D)));
      for (let d = 0; d < lay.D; d++) v[d] += dz![(t + 1) * lay.D + d];
    }
    dE.push(mp);
  }
  return { grad: { dW, db, dE }, loss, logit: x };
}

/** Squared norm of each group: MLP layers (weight and bias), then tables. */
export function groupSqNorms(lay: Layout, g: PerExampleGrad): number[] {
  const out: number[] = [];
  for (let li = 0; li < lay.layers.length; li++) {
    let s = 0;
    for (const v of g.dW[li]) s += v * v;
    for (const v of g.db[li]) s += v * v;
    out.push(s);
  }
  for (let t = 0; t < lay.T; t++) {
    let s = 0;
    for (const v of g.dE[t].values()) for (const x of v) s += x * x;
    out.push(s);
  }
  return out;
}

/** Clip factors per group: flat (one factor for all) or per-layer (C_g = C / sqrt(groups)). */
export function clipFactors(c: Pick<Config, 'clip' | 'clipping'>, sq: number[]): number[] {
  if (c.clipping === 'flat') {
    const total = sq.reduce((a, b) => a + b, 0);
    const f = total > c.clip ** 2 ? Math.sqrt(c.clip ** 2 / total) : 1;
    return sq.map(() => f);
  }
  const cg2 = c.clip ** 2 / sq.length;
  return sq.map((s) => (s > cg2 ? Math.sqrt(cg2 / s) : 1));
}

export interface RefStepOptions {
  /** which step (src/algorithms/types.ts ReferenceStep) */
  kind: RefKind;
  clip: number;
  clipping: Config['clipping'];
  st: StepValues;
  /** dense table optimizer (kinds sgd and dp-sgd): default plain sparse SGD */
  tableOptimizer?: Config['tableOptimizer'];
  /** optimizer of the MLP parameters: default SGD */
  mlpOptimizer?: Config['mlpOptimizer'];
  weightDecay?: number;
  /** lazy: unique rows of the next batch per table (lookahead); lrs/prefix indexed by step */
  nextRows?: number[][];
  lrs?: ArrayLike<number>;
  prefix?: ArrayLike<number>;
  /** fest: each table's selected rows (festSelectionRef) */
  selected?: readonly Uint32Array[];
  /** adafest: sigma1, C1, tau */
  adafest?: AdafestParams;
}

interface ClippedSums {
  sumW: Float64Array[];
  sumB: Float64Array[];
  sumE: Map<number, Float64Array>[];
  clipped: PerExampleGrad[];
  loss: number;
}

/** Each example's gradient explicitly, clipped (private kinds), and their sums. */
function clippedSums(lay: Layout, m: RefModel, batch: RefBatch, o: RefStepOptions, priv: boolean): ClippedSums {
  const n = batch.labels.length;
  const sumW = lay.layers.map((l) => new Float64Array(l.inDim * l.outDim));
  const sumB = lay.layers.map((l) => new Float64Array(l.outDim));
  const sumE = lay.rows.map(() => new Map<number, Float64Array>());
  const clipped: PerExampleGrad[] = [];
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const bags = batch.idx.map((a) => a.subarray(i * lay.L, (i + 1) * lay.L));
    const dense = batch.dense.subarray(i * lay.F, (i + 1) * lay.F);
    const { grad, loss: li } = exampleGradient(lay, m, dense, bags, batch.labels[i]);
    loss += li;
    // DP-FEST: the forward read every row; the unselected rows' gradients go before clipping
    if (o.kind === 'fest') keepSelected(grad.dE, o.selected!);
    const f = priv ? clipFactors(o, groupSqNorms(lay, grad)) : groupSqNorms(lay, grad).map(() => 1);
    const cg: PerExampleGrad = { dW: [], db: [], dE: [] };
    lay.layers.forEach((_, l) => {
      cg.dW.push(grad.dW[l].map((v) => v * f[l]));
      cg.db.push(grad.db[l].map((v) => v * f[l]));
      cg.dW[l].forEach((v, k) => (sumW[l][k] += v));
      cg.db[l].forEach((v, k) => (sumB[l][k] += v));
    });
    for (let t = 0; t < lay.T; t++) {
      const ft = f[lay.layers.length + t];
      const mp = new Map<number, Float64Array>();
      for (const [r, v] of grad.dE[t]) {
        const s = v.map((x) => x * ft);
        mp.set(r, s);
        let acc = sumE[t].get(r);
        if (!acc) sumE[t].set(r, (acc = new Float64Array(lay.D)));
        s.forEach((x, d) => (acc![d] += x));
      }
      cg.dE.push(mp);
    }
    clipped.push(cg);
  }
  return { sumW, sumB, sumE, clipped, loss };
}

/** The MLPs' update: DP-SGD's noise on every parameter for every private kind. */
function mlpUpdate(lay: Layout, m: RefModel, s: ClippedSums, o: RefStepOptions, priv: boolean): void {
  const st = o.st;
  const k = st.lr * st.invB;
  const mo = o.mlpOptimizer ?? 'sgd';
  if (mo !== 'sgd') {
    m.mlpState ??= lay.layers.map((l) => {
      const s = (n: number) => ({ M: new Float32Array(n), V: new Float32Array(n) });
      return { W: s(l.inDim * l.outDim), b: s(l.outDim) };
    });
    lay.layers.forEach((l, li) => {
      mlpOptimRef(mo, st, l.param, Float32Array.from(s.sumW[li]), m.W[li], m.mlpState![li].W, priv);
      mlpOptimRef(mo, st, l.param + 1, Float32Array.from(s.sumB[li]), m.b[li], m.mlpState![li].b, priv);
    });
    return;
  }
  lay.layers.forEach((l, li) => {
    for (let i = 0; i < s.sumW[li].length; i++)
      m.W[li][i] -= k * (s.sumW[li][i] + (priv ? st.noiseStd * mlpNoise(st.key, l.param, i, st.step) : 0));
    for (let i = 0; i < s.sumB[li].length; i++)
      m.b[li][i] -= k * (s.sumB[li][i] + (priv ? st.noiseStd * mlpNoise(st.key, l.param + 1, i, st.step) : 0));
  });
}

/** sgd and dp-sgd with a dense table optimizer: every row, with the eager noise inside (src/kernels/optim.ts). */
function denseTables(lay: Layout, m: RefModel, sumE: Map<number, Float64Array>[], o: RefStepOptions): void {
  m.optState ??= lay.rows.map((R) => ({ M: new Float32Array(R * lay.D), V: new Float32Array(R * lay.D) }));
  for (let t = 0; t < lay.T; t++) {
    const G = new Float32Array(lay.rows[t] * lay.D);
    for (const [r, v] of sumE[t]) for (let d = 0; d < lay.D; d++) G[r * lay.D + d] = v[d];
    const opt = o.tableOptimizer ?? 'sgd';
    tableOptimRef(opt, o.st, o.weightDecay ?? 0, t, lay.D, m.tables[t], G, m.optState[t], o.kind === 'dp-sgd');
  }
}

/** The rows' sparse SGD update, then the kind's table noise. */
function tableUpdate(lay: Layout, m: RefModel, batch: RefBatch, sumE: Map<number, Float64Array>[], o: RefStepOptions) {
  const st = o.st;
  const k = st.lr * st.invB;
  const sparse = () =>
    m.tables.forEach((E, t) => {
      for (const [r, v] of sumE[t]) for (let d = 0; d < lay.D; d++) E[r * lay.D + d] -= k * v[d];
    });
  switch (o.kind) {
    case 'sgd':
      return sparse();
    case 'dp-sgd':
      sparse();
      return m.tables.forEach((E, t) => {
        for (let r = 0; r < lay.rows[t]; r++)
          for (let d = 0; d < lay.D; d++)
            E[r * lay.D + d] -= k * st.noiseStd * eagerTableNoise(st.key, t, r, d, st.step);
      });
    case 'lazy':
    case 'lazy-exact':
      sparse();
      return m.tables.forEach((E, t) => {
        for (const r of o.nextRows?.[t] ?? [])
          applyPendingRef(st, t, r, lay.D, E, m.H[t], o.lrs!, o.prefix!, o.kind === 'lazy-exact');
      });
    case 'fest':
      return festTables(lay, m.tables, sumE, st, o.selected!);
    case 'adafest':
      return adafestTables(lay, m.tables, { idx: batch.idx, n: batch.labels.length }, sumE, st, o.adafest!);
    default:
      throw unknownKind(o.kind);
  }
}

/** One training step in place on `m`; returns the mean loss and each example's clipped gradient. */
export function referenceStep(
  lay: Layout,
  m: RefModel,
  batch: RefBatch,
  o: RefStepOptions,
): { loss: number; clipped: PerExampleGrad[] } {
  if (!REFERENCE_STEPS.includes(o.kind)) throw unknownKind(o.kind);
  const priv = o.kind !== 'sgd';
  const s = clippedSums(lay, m, batch, o, priv);
  mlpUpdate(lay, m, s, o, priv);
  const opt = o.tableOptimizer ?? 'sgd';
  if ((opt !== 'sgd' || (o.weightDecay ?? 0) > 0) && (o.kind === 'sgd' || o.kind === 'dp-sgd'))
    denseTables(lay, m, s.sumE, o);
  else tableUpdate(lay, m, batch, s.sumE, o);
  return { loss: s.loss / Math.max(1, batch.labels.length), clipped: s.clipped };
}

export type { Key };
