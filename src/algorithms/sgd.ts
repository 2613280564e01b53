// Plain SGD: the non-private baseline (no clipping, no noise, no ε).
import type { Algorithm } from './types';

export const sgd = {
  name: 'sgd',
  label: 'SGD (non-private)',
  color: '#64748b',
  explanation:
    'Plain minibatch SGD, the non-private baseline: no clipping and no noise, so no ε. Only the rows a batch reads are updated, so a step costs the same whatever the table sizes.',
  private: false,
  tableNoise: 'none',
  denseTables: true,
  configKeys: [],
  check: () => undefined,
  buffers: () => ({ history: false, lookahead: false, lrSchedule: false, tableNoiseBuffer: false }),
  beforeRead: 'none',
  mechanisms: () => [],
  reference: 'sgd',
  audit: { runs: false, flaws: [] },
} as const satisfies Algorithm<'sgd'>;
