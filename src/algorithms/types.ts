// What an algorithm is to the lab: everything the configuration, the engine, the accountant, the
// CPU reference, the audit and the lab's views need to know, in one object per algorithm. The
// engine builds its buffers and step graph from these declarations (src/engine/plan.ts,
// src/engine/graph/); nothing outside src/algorithms/ tests an algorithm's name.

/**
 * How the rows of the embedding tables receive their noise (the engine builds the nodes of each
 * kind in src/engine/graph/noise.ts):
 * - 'none': no table noise (a non-private algorithm; refused for a private one)
 * - 'eager': every row every step (fused into the row update, or sampled then added)
 * - 'lazy': a row's pending noise is drawn when the next batch reads it (one-batch lookahead,
 *   per-row history H[r]) or at the flush, as one draw of the summed variance
 * - 'lazy-exact': the same bookkeeping, replaying each skipped step's own draw (bit for bit eager)
 * - 'adafest': DP-AdaFEST's rows whose noisy count crossed the threshold (touched, and sampled
 *   untouched ones), docs/algorithms-fest.md
 * - 'fest': DP-FEST's preselected rows, every step (DP-SGD restricted to them)
 */
/**
 * What an algorithm reads of the configuration. config.ts's Config has these fields; the view is
 * structural so that the registry sits below config (which enumerates it) with no import cycle.
 */
export interface AlgoConfig {
  algo: string;
  tableOptimizer: string;
  weightDecay: number;
  noiseKernel: string;
  /** rows in each embedding table */
  tables: number[];
  /** DP-FEST: rows kept per table, the prior (private histogram or public), its noise and bound */
  festK: number;
  festPrior: string;
  festHistogramSigma: number;
  festBound: number;
  /** DP-AdaFEST: the contribution map's noise multiplier (sigma1), its clip norm (C1), the threshold (tau) */
  selectionSigma: number;
  selectionClip: number;
  threshold: number;
}

export type TableNoise = 'none' | 'eager' | 'lazy' | 'lazy-exact' | 'adafest' | 'fest';

/**
 * Which whole-step CPU reference replays the algorithm (src/reference/, the oracle that the
 * conformance suite and the bundled GPU check compare the GPU step with): the oracle branches on
 * this kind, the engine never reads it, so the reference stays independent of how the engine
 * builds the step. A new algorithm names one (or adds a kind to the oracle with its step).
 * - 'sgd': no clipping, no noise
 * - 'dp-sgd': clipped per-example gradients, Gaussian noise on every parameter and every row
 * - 'lazy' / 'lazy-exact': DP-SGD's noise on a row deferred to the batch that reads it next, and a
 *   flush after the last step (one aggregated draw / each skipped step's own draw)
 * - 'fest': DP-FEST: the private histogram's top k rows per table chosen before training; only
 *   those rows trained and noised
 * - 'adafest': DP-AdaFEST: the clipped contribution map, noisy counts, threshold, sampled
 *   crossings of untouched rows, noisy update of the rows above it
 */
export type ReferenceStep = 'sgd' | 'dp-sgd' | 'lazy' | 'lazy-exact' | 'fest' | 'adafest';

/** One release per step for the accountant: a subsampled Gaussian mechanism. */
export interface GaussianMechanism {
  kind: 'gaussian';
  /** noise standard deviation over the mechanism's L2 sensitivity (the noise multiplier) */
  noiseMultiplier: number;
}
export type Mechanism = GaussianMechanism;

/**
 * The buffers an algorithm needs beyond the model's (src/engine/plan.ts turns them into named,
 * sized buffers that both the memory estimate and the allocation read).
 */
export interface AlgorithmBuffers {
  /** per table row, the last step whose noise the row received (u32, LazyDP's H[r]) */
  history: boolean;
  /** the next batch: its indices, mask, example ids and sorted pairs (the one-batch lookahead) */
  lookahead: boolean;
  /** per step the learning rate and the prefix sums of its square (pending noise over a gap) */
  lrSchedule: boolean;
  /** per table shard, a buffer of sampled noise (eager noise with the unfused kernel) */
  tableNoiseBuffer: boolean;
  /** DP-AdaFEST: the contribution map (per-example norms, counts, selection) and crossing candidates */
  festMap?: boolean;
  /** DP-FEST: the selected rows of each table and the masked copy of the batch's indices */
  festSelection?: boolean;
}

export interface Algorithm<N extends string = string> {
  /** the value of the config key `algo` (URL, CLI, files, checkpoints) */
  name: N;
  /** the lab's and the CLI's short name, e.g. 'DP-SGD (eager)' */
  label: string;
  /** the colour of its curves and bars everywhere (a CSS colour) */
  color: string;
  /** one paragraph for the lab and the CLI's help: what it does and what it costs */
  explanation: string;
  /** whether ε is reported: a private algorithm must declare a mechanism and noise its tables */
  private: boolean;
  /** how its tables are noised (see TableNoise) */
  tableNoise: TableNoise;
  /** whether the tables may take a dense optimizer (momentum, Adam, weight decay): every row every step */
  denseTables: boolean;
  /** the algorithm whose model this one reproduces bit for bit with the same seed (its exact mode) */
  exactOf?: string;
  /**
   * config keys that only this algorithm reads (DP-FEST's k, prior, histogram σ and bound;
   * DP-AdaFEST's σ1, C1, τ). They are ordinary keys of the one schema (src/config/config.ts), so
   * the URL, the CLI and files take them; this list says which algorithm they belong to.
   */
  configKeys: readonly string[];
  /** the configuration checks beyond the schema's; throws a ConfigError naming the key to change */
  check(c: AlgoConfig): void;
  /** its extra buffers (history tables, lookahead, noise) */
  buffers(c: AlgoConfig): AlgorithmBuffers;
  /**
   * What must run before anything reads a whole table (evaluation, export, display, the end of
   * training): 'flush' adds every row's pending noise; 'none' when rows are always current.
   */
  beforeRead: 'flush' | 'none';
  /** the mechanisms one step releases, for the accountant, at gradient noise multiplier `sigma` */
  mechanisms(sigma: number, c: AlgoConfig): Mechanism[];
  /**
   * Mechanisms released once before training over the whole data set (q = 1, one step, a sample
   * of their own): DP-FEST's private histogram. Composed with the steps'.
   */
  beforeTraining?(c: AlgoConfig): Mechanism[];
  /** its CPU reference step (see ReferenceStep): how the oracle replays one of its steps */
  reference: ReferenceStep;
  /** the one-run audit: whether it runs, and the deliberate flaws that belong to it (src/audit/) */
  audit: { runs: boolean; flaws: readonly string[] };
}
