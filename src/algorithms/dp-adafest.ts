// DP-AdaFEST (Ghazi et al., NeurIPS 2023, arXiv 2311.08357; docs/algorithms-fest.md): each step,
// every example's contribution map is clipped to C1 and summed, Gaussian noise σ1·C1 is added to
// every row's count, and only rows whose noisy count exceeds τ receive the clipped gradient sum
// plus DP-SGD's noise σ2·C2. Untouched rows that cross are sampled exactly, never visited.
import type { Algorithm, AlgoConfig } from './types';
import { sparseTablesOnly } from './checks';
import { ConfigError } from '../config/errors';

function check(c: AlgoConfig): void {
  sparseTablesOnly(c);
  // τ <= 0: an untouched row crosses with probability >= 1/2, every step is dense (no saving)
  if (!(c.threshold > 0))
    throw new ConfigError(
      'threshold',
      `${c.algo} needs threshold > 0 (got ${c.threshold}): at or below 0 half of all untouched rows cross every step`,
    );
}

export const dpAdafest = {
  name: 'dp-adafest',
  label: 'DP-AdaFEST',
  color: '#d97706',
  explanation:
    'DP-AdaFEST (Ghazi et al. 2023): each step the rows the batch touched are counted, each example’s count vector clipped to C1 and noised with σ1·C1, and only rows whose noisy count exceeds the threshold τ get the batch’s clipped gradient plus DP-SGD’s noise; untouched rows cross τ rarely and are sampled without visiting them. The gradient stays sparse; the count noise costs privacy: both Gaussians act as one at σ_eff = (σ1⁻² + σ⁻²)^(-1/2).',
  private: true,
  tableNoise: 'adafest',
  denseTables: false,
  configKeys: ['selectionSigma', 'selectionClip', 'threshold'],
  check,
  buffers: () => ({ history: false, lookahead: false, lrSchedule: false, tableNoiseBuffer: false, festMap: true }),
  beforeRead: 'none',
  // the noisy map and the noisy gradient on the step's one Poisson sample (src/privacy/fest.ts)
  mechanisms: (sigma, c) => [
    { kind: 'gaussian', noiseMultiplier: c.selectionSigma },
    { kind: 'gaussian', noiseMultiplier: sigma },
  ],
  reference: 'adafest',
  audit: { runs: true, flaws: [] },
} as const satisfies Algorithm<'dp-adafest'>;
