// LazyDP (Lim et al., ASPLOS 2024): DP-SGD's noise on a table row is deferred until a batch reads
// the row again; k pending draws of N(0, s²) become one draw of N(0, k s²).
import type { Algorithm } from './types';
import { oneGaussian, sparseTablesOnly } from './checks';

const lazyBuffers = () => ({ history: true, lookahead: true, lrSchedule: true, tableNoiseBuffer: false });

export const lazydp = {
  name: 'lazydp',
  label: 'LazyDP',
  color: '#16a34a',
  explanation:
    'LazyDP: the same model and guarantee as DP-SGD, but a row’s noise is deferred until a batch reads the row again. Each row remembers the last step whose noise it received (its history); looking one batch ahead, the rows the next batch reads get all their pending noise as one Gaussian draw of the summed variance, and a flush pays every row before the model is read. Its step time stays flat as the tables grow.',
  private: true,
  tableNoise: 'lazy',
  denseTables: false,
  configKeys: [],
  check: sparseTablesOnly,
  buffers: lazyBuffers,
  beforeRead: 'flush',
  mechanisms: oneGaussian,
  // a LazyDP that never flushes leaves unread rows without noise: the audit's flaw
  reference: 'lazy',
  audit: { runs: true, flaws: ['skip-final-flush'] },
} as const satisfies Algorithm<'lazydp'>;

export const lazydpExact = {
  ...lazydp,
  name: 'lazydp-exact',
  label: 'LazyDP-exact',
  color: '#7c3aed',
  explanation:
    'LazyDP-exact: LazyDP’s bookkeeping (history, lookahead, flush), but each skipped step’s own draw is replayed instead of one aggregated draw: bit for bit the noise of eager DP-SGD with the same seed, for verification and teaching. Its cost grows with the steps a row waited.',
  tableNoise: 'lazy-exact',
  exactOf: 'dpsgd',
  reference: 'lazy-exact',
} as const satisfies Algorithm<'lazydp-exact'>;
