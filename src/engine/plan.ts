// The configuration resolved once for one run: which algorithm, which noise and clipping modes,
// which dense table state, the padded batch, and the buffers each table shard carries. The memory
// estimate (memory.ts), the allocation (buffers.ts), the step graph (graph/) and the trainer all
// read this plan, so that they cannot disagree about what a configuration needs.
import { ConfigError, type Config } from '../config/config';
import { algorithmOf, type Algorithm, type AlgorithmBuffers, type TableNoise } from '../algorithms';
import { modelLayout, type Layout } from './model';
import { maxBatchFor } from './batch';
import { sortSize } from '../kernels/sort';
import type { NoiseMode } from '../kernels/noise';
import { crossingProbability } from '../privacy/fest';

export interface StepPlan {
  config: Config;
  algorithm: Algorithm;
  layout: Layout;
  /** whether the step clips and noises (the algorithm is private) */
  private: boolean;
  /** the padded batch the GPU processes at once (a micro-batch) and the sorted (row, slot) pairs per table */
  B: number;
  /** the padded logical batch (Poisson draws up to it; = B without micro-batches) */
  logicalB: number;
  /** micro-batches of B examples (0: none, the logical batch in one pass); src/engine/micro.ts */
  micro: number;
  N: number;
  /** gradient scaling: 0 none (non-private), 1 flat clip factors, 2 per-layer (norms) */
  scaleMode: 0 | 1 | 2;
  /** the MLP's noise: 0 none, 1 fused into the update, 2 sampled in the noise stage */
  noiseMode: NoiseMode;
  /** how the tables are noised (the algorithm's declaration) */
  tableNoise: TableNoise;
  /** the tables' eager noise, as the MLP's: 0 none, 1 fused, 2 unfused (sampled, then added) */
  tableNoiseMode: NoiseMode;
  /**
   * State buffers per table value of the dense table optimizer (-1: none, tables take the sparse
   * SGD path): 0 for SGD with weight decay, 1 for momentum, 2 for Adam; each also needs a dense
   * gradient buffer. Algorithms without dense tables refuse these (their check).
   */
  denseState: -1 | 0 | 1 | 2;
  /** the algorithm's extra buffers */
  extra: AlgorithmBuffers;
  /** AUDIT ONLY: gradient canaries (src/audit/canary.ts), 0 without; their rows are in config.tables */
  canaries: number;
}

/**
 * The table-noise kinds whose step src/engine/micro.ts splits (noise nodes that read the current
 * batch's pairs in the update would see only the last micro-batch's): others refuse microBatch.
 * DP-FEST splits: its mask runs per micro-batch, the masked rows' sums add up in G, and the
 * selected rows' noise comes once per logical step. DP-AdaFEST splits: each micro-batch's clipped
 * counts add up in C (and its row sums in G); the threshold and the noisy update run once per
 * logical step over C and G (graph/fest.ts).
 */
const MICRO_NOISE: readonly TableNoise[] = ['none', 'eager', 'lazy', 'lazy-exact', 'fest', 'adafest'];
export const microBatchable = (a: Algorithm): boolean => MICRO_NOISE.includes(a.tableNoise);

/** Why a table-noise kind refuses micro-batches, for the message (none does today). */
const MICRO_REFUSED: Partial<Record<TableNoise, string>> = {};

/**
 * Resolves a configuration; `algorithm` replaces the registered one (tests of the refusals only);
 * `microBatch` the config's (the memory plan's choice when the config leaves it 0); `canaries`
 * the audit's gradient canaries (their buffers).
 */
export function resolvePlan(
  c: Config,
  algorithm: Algorithm = algorithmOf(c),
  microBatch = c.microBatch,
  canaries = 0,
): StepPlan {
  const layout = modelLayout(c);
  const logicalB = maxBatchFor(c);
  const micro = microBatch > 0 && microBatch < logicalB ? microBatch : 0;
  if (micro && !microBatchable(algorithm))
    throw new ConfigError(
      'microBatch',
      `algorithm ${algorithm.name} does not run in micro-batches` +
        (MICRO_REFUSED[algorithm.tableNoise] ? `: ${MICRO_REFUSED[algorithm.tableNoise]}` : '') +
        `; set microBatch to 0 (and lower batch if it does not fit)`,
    );
  const B = micro || logicalB;
  const priv = algorithm.private;
  const noiseMode: NoiseMode = !priv ? 0 : c.noiseKernel === 'fused' ? 1 : 2;
  return {
    config: c,
    algorithm,
    layout,
    private: priv,
    B,
    logicalB,
    micro,
    N: sortSize(B * layout.L),
    scaleMode: !priv ? 0 : c.clipping === 'flat' ? 1 : 2,
    noiseMode,
    tableNoise: algorithm.tableNoise,
    tableNoiseMode: algorithm.tableNoise === 'eager' ? noiseMode : 0,
    denseState: denseTableState(c, algorithm),
    extra: algorithm.buffers(c),
    canaries,
  };
}

/** The plan's denseState for a configuration (see StepPlan.denseState). */
export function denseTableState(c: Config, algorithm: Algorithm = algorithmOf(c)): -1 | 0 | 1 | 2 {
  if (!algorithm.denseTables || (c.tableOptimizer === 'sgd' && c.weightDecay === 0)) return -1;
  return c.tableOptimizer === 'adam' ? 2 : c.tableOptimizer === 'momentum' ? 1 : 0;
}

/** Whether a configuration's step reads the next batch (the one-batch lookahead of lazy noise). */
export const isLazy = (c: Config): boolean => algorithmOf(c).buffers(c).lookahead;

/** What one table shard's buffer holds. */
export type ShardRole = 'E' | 'H' | 'noise' | 'G' | 'C' | 'M' | 'V';

export interface ShardBuffer {
  role: ShardRole;
  /** its GPU label's stem (`${label}.${table}`), and its name in the memory estimate */
  label: string;
  describe: (t: number) => string;
  bytesPerRow: number;
  /** whether packed tables share one buffer of it (rows padded to PACK_ROWS) */
  packs: boolean;
}

/**
 * The buffers every table shard carries, in the memory estimate's order: the rows (E), the
 * algorithm's history (H), its sampled eager noise, and the dense optimizer's gradient and state.
 */
export function shardBuffers(p: StepPlan): ShardBuffer[] {
  const c = p.config,
    D = p.layout.D;
  const out: ShardBuffer[] = [];
  const add = (role: ShardRole, label: string, bytesPerRow: number, packs: boolean, what = '') =>
    out.push({ role, label, describe: (t) => `${label}.${t}${what}`, bytesPerRow, packs });
  add('E', 'tables', D * 4, true);
  if (p.extra.history) add('H', 'history', 4, true);
  if (p.extra.tableNoiseBuffer) add('noise', 'noise', D * 4, false);
  const ds = p.denseState;
  // micro-batches: the logical batch's row sums add up in G (sparse SGD too), applied once a step
  if (ds < 0 && p.micro) add('G', 'grad', D * 4, false, " (the logical batch's row sums, micro-batches)");
  // DP-AdaFEST in micro-batches: each row's clipped count summed over the logical batch, thresholded once a step
  if (p.micro && p.extra.festMap)
    add('C', 'counts', 4, false, " (the logical batch's clipped row counts, micro-batches)");
  if (ds >= 0)
    add('G', 'grad', D * 4, false, ` (dense, for ${c.tableOptimizer}${c.weightDecay > 0 ? ' + weight decay' : ''})`);
  if (ds >= 1) add('M', 'm', D * 4, false, ` (${c.tableOptimizer} state)`);
  if (ds >= 2) add('V', 'v', D * 4, false, ' (adam state)');
  return out;
}

/** DP-AdaFEST's per-step crossing probability of an untouched row, Q(tau / (sigma1 C1)). */
export const adafestCrossing = (p: StepPlan): number =>
  crossingProbability(p.config.threshold, p.config.selectionSigma * p.config.selectionClip);

/**
 * DP-AdaFEST's candidate slots per table: the mean number of crossings of the largest table plus
 * 12 standard deviations (a step needing more, with probability below 1e-30, is an error:
 * packCandidates never cuts a list short, a dropped crossing would change the mechanism).
 */
export function candidateCap(p: StepPlan): number {
  const q = adafestCrossing(p);
  const R = Math.max(...p.layout.rows);
  return Math.min(R, Math.ceil(R * q + 12 * Math.sqrt(R * q * (1 - q)) + 16));
}

/** Slots per table of DP-FEST's selection buffer: k, or the largest table when smaller. */
export const selectionCap = (p: StepPlan): number => Math.min(p.config.festK, Math.max(...p.layout.rows));

/** A buffer of the step graph beyond the model's, by its GPU label; `part`: what it grows with. */
export interface StepBuffer {
  label: string;
  bytes: number;
  part: 'batch' | 'tables';
}

/**
 * The step graph's algorithm and audit buffers (docs/algorithms-fest.md "Buffers", the gradient
 * canaries): the memory estimate counts this list and graph/fest.ts, graph/canary.ts allocate
 * from it (planBytes), so that the two cannot disagree.
 */
export function stepBuffers(p: StepPlan): StepBuffer[] {
  const { layout: lay, B, N } = p;
  const T = lay.T;
  const out: StepBuffer[] = [];
  const add = (label: string, bytes: number, part: StepBuffer['part']) => out.push({ label, bytes, part });
  if (p.extra.festMap) {
    const cap = candidateCap(p);
    add('fest.exNorm', B * 4, 'batch'); // per example: its map's squared norm (u32)
    add('fest.csum', T * N * 4, 'batch'); // per sorted pair: the clipped count sum at row heads
    add('fest.sel', T * N * 4, 'batch'); // per sorted pair: crossed the threshold
    add('fest.cand', T * cap * 4, 'tables'); // the untouched crossings' candidates, drawn on the CPU
    // those the batch did not touch (in micro-batches the logical step's pass over C decides instead)
    if (!p.micro) add('fest.crossed', T * cap * 4, 'tables');
  }
  if (p.extra.festSelection) {
    add('fest.selected', T * selectionCap(p) * 4, 'tables');
    add('fest.idxMasked', T * B * lay.L * 4, 'batch'); // the batch's indices, unselected rows masked
  }
  if (p.canaries > 0) {
    add('canary.ids', (p.canaries + 1) * 4, 'batch'); // the step's sampled canaries, count first
    add('canary.dirs', T * p.canaries * lay.D * 4, 'tables'); // u_j over its rows of every table
  }
  return out;
}

/** The size of the plan's step buffer `label`; throws when the plan has none (a graph bug). */
export function planBytes(p: StepPlan, label: string): number {
  const b = stepBuffers(p).find((x) => x.label === label);
  if (!b) throw new Error(`the plan has no buffer ${label} (algorithm ${p.algorithm.name})`);
  return b.bytes;
}
