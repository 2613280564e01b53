// A diverged run (the loss or the weights NaN or infinite) is stopped at the log point that shows
// it: every later step would only train on garbage, and an exported model of NaNs is no model.
import type { Config } from '../config/config';
import type { LogPoint } from './types';

export class DivergenceError extends Error {
  constructor(
    readonly step: number,
    message: string,
  ) {
    super(message);
    this.name = 'DivergenceError';
  }
}

/** A learning rate worth trying after a divergence: a tenth of this one. */
export const lowerLr = (lr: number): number => Number((lr / 10).toPrecision(2));

function divergedMessage(c: Config, step: number, what: string): string {
  const opt =
    c.mlpOptimizer !== 'sgd' || c.tableOptimizer !== 'sgd'
      ? ` with tables ${c.tableOptimizer}, MLP ${c.mlpOptimizer}`
      : '';
  return `training diverged by step ${step}: ${what}. Lower the learning rate (lr ${c.lr}${opt}; try ${lowerLr(c.lr)}) and train again`;
}

/**
 * Throws a DivergenceError when a log point shows a non-finite training loss (over real examples:
 * a point without examples has no loss) or held-out loss.
 */
export function checkDivergence(p: LogPoint, c: Config): void {
  if (p.examples > 0 && !Number.isFinite(p.loss))
    throw new DivergenceError(p.step, divergedMessage(c, p.step, `the training loss is ${p.loss}`));
  if (p.evalLoss !== undefined && !Number.isFinite(p.evalLoss))
    throw new DivergenceError(p.step, divergedMessage(c, p.step, `the held-out loss is ${p.evalLoss}`));
}

/** Throws a DivergenceError when a piece of exported float32 weights holds NaN or infinity. */
export function checkFiniteWeights(piece: Float32Array, c: Config, step: number): void {
  for (let i = 0; i < piece.length; i++)
    if (!Number.isFinite(piece[i]))
      throw new DivergenceError(step, divergedMessage(c, step, `the weights hold ${piece[i]}`));
}
