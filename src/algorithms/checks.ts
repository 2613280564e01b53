// Configuration checks that several algorithms share.
import type { AlgoConfig } from './types';
import { ConfigError } from '../config/errors';

/**
 * Lazy noise needs the tables' sparse SGD: a dense optimizer or weight decay touches every row
 * every step, so every row would need its pending noise every step (the saving disappears).
 */
export function sparseTablesOnly(c: AlgoConfig): void {
  if (c.tableOptimizer !== 'sgd')
    throw new ConfigError(
      'tableOptimizer',
      `${c.algo} needs plain SGD on the tables: ${c.tableOptimizer} would spread noise to every row each step (LazyDP's saving disappears); use dpsgd or tableOptimizer=sgd`,
    );
  if (c.weightDecay > 0)
    throw new ConfigError(
      'weightDecay',
      `${c.algo} cannot use weight decay on the tables: it touches every row every step; use dpsgd or weightDecay=0`,
    );
}

/** One Gaussian release per step at noise multiplier sigma: DP-SGD's, and LazyDP's (the same noise). */
export const oneGaussian = (sigma: number) => [{ kind: 'gaussian' as const, noiseMultiplier: sigma }];
