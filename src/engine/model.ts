// The DLRM-style model's shape: bottom MLP on dense features -> D, T embedding bags -> D each,
// an interaction of the T + 1 vectors, top MLP -> one logit. ReLU after every layer but the last
// top one. Weights are [out, in] (row-major), as exported.
// Interaction 'concat': the top MLP reads V = [bottom, pooled_0 .. pooled_T-1] ((T+1)D wide);
// 'dot': it reads z = [bottom, <v_a, v_c> for a < c] (D + (T+1)T/2 wide, pair (a, c) at column
// D + c(c-1)/2 + a, DLRM's order; see shaders/interaction.wgsl).
import type { Config, Interaction } from '../config/config';
import { Rng } from '../data/rng';
import { philox4x32, u01 } from '../noise/philox';

export interface Layer {
  mlp: 'bottom' | 'top';
  index: number; // within its MLP
  inDim: number;
  outDim: number;
  relu: boolean;
  /** Philox parameter number of the weight (bias is +1): bottom layers then top, weight before bias */
  param: number;
  /** norm group for per-layer clipping */
  group: number;
}

export interface Layout {
  T: number;
  D: number;
  L: number;
  F: number;
  rows: number[];
  /** width of the feature buffer V = [bottom output, pooled_0, ..., pooled_T-1] */
  featureWidth: number;
  interaction: Interaction;
  /** width of the top MLP's input: featureWidth for concat, D + (T+1)T/2 for dot */
  interactionWidth: number;
  layers: Layer[];
  bottom: Layer[];
  top: Layer[];
  /** norm groups: one per MLP layer, then one per table */
  groups: number;
}

export function modelLayout(c: Config): Layout {
  const T = c.tables.length,
    D = c.dim;
  const featureWidth = (T + 1) * D;
  const interaction = c.interaction;
  const interactionWidth = interaction === 'dot' ? D + ((T + 1) * T) / 2 : featureWidth;
  const layers: Layer[] = [];
  const add = (mlp: 'bottom' | 'top', sizes: number[], inDim: number, last: number, lastRelu: boolean) => {
    const dims = [inDim, ...sizes, last];
    for (let i = 0; i + 1 < dims.length; i++) {
      const n = layers.length;
      layers.push({
        mlp,
        index: i,
        inDim: dims[i],
        outDim: dims[i + 1],
        relu: i + 2 < dims.length || lastRelu,
        param: 2 * n,
        group: n,
      });
    }
  };
  add('bottom', c.bottom, c.dense, D, true);
  add('top', c.top, interactionWidth, 1, false);
  return {
    T,
    D,
    L: c.pooling,
    F: c.dense,
    rows: c.tables.slice(),
    featureWidth,
    interaction,
    interactionWidth,
    layers,
    bottom: layers.filter((l) => l.mlp === 'bottom'),
    top: layers.filter((l) => l.mlp === 'top'),
    groups: layers.length + T,
  };
}

export interface MlpParams {
  W: Float32Array[]; // per layer [out * in]
  b: Float32Array[]; // per layer [out]
}

/** Glorot-uniform weights, zero biases, from the data seed. */
export function initMlp(layout: Layout, dataSeed: number): MlpParams {
  const rng = new Rng(dataSeed ^ 0x5eed);
  const W = layout.layers.map((l) => {
    const a = Math.sqrt(6 / (l.inDim + l.outDim));
    return Float32Array.from({ length: l.inDim * l.outDim }, () => (2 * rng.next() - 1) * a);
  });
  const b = layout.layers.map((l) => new Float32Array(l.outDim));
  return { W, b };
}

export const TABLE_INIT_KEY1 = 0x1a171a1;

/**
 * CPU reference of shaders/init_table.wgsl: rows rowStart .. rowStart + count of a table of
 * `rows` rows (the whole table by default).
 */
export function initTableRef(
  rows: number,
  D: number,
  t: number,
  dataSeed: number,
  rowStart = 0,
  count = rows,
): Float32Array {
  const E = new Float32Array(count * D);
  const a = Math.fround(1 / Math.sqrt(rows));
  for (let r = 0; r < count; r++)
    for (let q = 0; q < Math.ceil(D / 4); q++) {
      const w = philox4x32(q, rowStart + r, t, 0x10000000, dataSeed, TABLE_INIT_KEY1);
      for (let j = 0; j < 4 && q * 4 + j < D; j++) E[r * D + q * 4 + j] = (2 * u01(w[j]) - 1) * a;
    }
  return E;
}

/** Bytes of the model's parameters. */
export function paramBytes(layout: Layout): number {
  let n = 0;
  for (const l of layout.layers) n += l.inDim * l.outDim + l.outDim;
  for (const R of layout.rows) n += R * layout.D;
  return n * 4;
}
