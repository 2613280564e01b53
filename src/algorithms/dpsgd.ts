// DP-SGD (Abadi et al. 2016), eager: per-example clipping and Gaussian noise on every parameter,
// every row of every table included, every step.
import type { Algorithm } from './types';
import { oneGaussian } from './checks';

export const dpsgd = {
  name: 'dpsgd',
  label: 'DP-SGD (eager)',
  color: '#dc2626',
  explanation:
    'DP-SGD: each example’s gradient is clipped to norm C, and Gaussian noise N(0, σ²C²) is added to every parameter every step, including every row of every embedding table, although a batch reads only a few rows. Its step time grows with the tables.',
  private: true,
  tableNoise: 'eager',
  denseTables: true,
  configKeys: [],
  check: () => undefined,
  buffers: (c) => ({
    history: false,
    lookahead: false,
    lrSchedule: false,
    tableNoiseBuffer: c.noiseKernel === 'unfused',
  }),
  beforeRead: 'none',
  mechanisms: oneGaussian,
  // naive sparse DP-SGD (noise on the batch's rows only) is the flaw the audit must catch
  reference: 'dp-sgd',
  audit: { runs: true, flaws: ['noise-touched-rows-only'] },
} as const satisfies Algorithm<'dpsgd'>;
