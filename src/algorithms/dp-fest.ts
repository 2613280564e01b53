// DP-FEST (Ghazi et al., NeurIPS 2023, arXiv 2311.08357; docs/algorithms-fest.md): before
// training each table keeps its festK most used rows, chosen by a Gaussian histogram of row use
// (its cost is part of ε) or by a public prior; then DP-SGD on those rows only. The others'
// gradients are dropped before clipping and they keep their initial values.
import type { Algorithm, AlgoConfig } from './types';
import { oneGaussian, sparseTablesOnly } from './checks';
import { ConfigError } from '../config/errors';

function check(c: AlgoConfig): void {
  sparseTablesOnly(c);
  if (c.festPrior === 'private' && !(c.festHistogramSigma > 0))
    throw new ConfigError(
      'festHistogramSigma',
      `${c.algo} with festPrior=private needs festHistogramSigma > 0 (got ${c.festHistogramSigma}); or declare festPrior=public`,
    );
}

export const dpFest = {
  name: 'dp-fest',
  label: 'DP-FEST',
  color: '#0891b2',
  explanation:
    'DP-FEST (Ghazi et al. 2023): before training, each table keeps its k most used rows, chosen by a noisy histogram of row use (its cost is part of ε) or by a public prior; then DP-SGD trains and noises those rows only, so a step writes the batch’s selected rows plus k noisy rows per table. The other rows keep their initial values.',
  private: true,
  tableNoise: 'fest',
  denseTables: false,
  configKeys: ['festK', 'festPrior', 'festHistogramSigma', 'festBound'],
  check,
  buffers: () => ({
    history: false,
    lookahead: false,
    lrSchedule: false,
    tableNoiseBuffer: false,
    festSelection: true,
  }),
  beforeRead: 'none',
  mechanisms: oneGaussian,
  // the histogram: one Gaussian over the whole data set (none for a public prior)
  beforeTraining: (c) =>
    c.festPrior === 'public' ? [] : [{ kind: 'gaussian', noiseMultiplier: c.festHistogramSigma }],
  reference: 'fest',
  audit: { runs: true, flaws: [] },
} as const satisfies Algorithm<'dp-fest'>;
