// A trainer's log points (kept out of trainer.ts): the mean training loss since the last point,
// steps per second, the stage times read back, epsilon and, when due, the held-out metrics. A NaN
// or infinite loss stops the run at the point that shows it (divergence.ts).
import type { Config } from '../config/config';
import type { LogPoint } from './types';
import type { StageTimer } from './stage-timer';
import { checkDivergence } from './divergence';

export interface PointInputs {
  timer: StageTimer;
  /** the steps done */
  step: number;
  /** the point's epsilon (undefined: left to the caller) */
  epsilon: () => number | undefined;
  /** held-out metrics, where this point is an evaluation's */
  evaluate?: () => Promise<{ auc: number; loss: number }>;
  onLog?: (p: LogPoint) => void;
}

export class RunLog {
  readonly points: LogPoint[] = [];
  /** the step of the last point (a checkpoint's, when resumed) */
  lastStep = 0;
  private lastTime = 0;
  private lossSince = { sum: 0, count: 0 };

  constructor(private readonly config: Config) {}

  /** Starts the steps-per-second clock, at the first run. */
  start(): void {
    if (!this.lastTime) this.lastTime = performance.now();
  }

  /** Reads back what the GPU reported and logs a point, unless no step ran since the last one. */
  async point(x: PointInputs): Promise<void> {
    const got = await x.timer.collect(this.lossSince);
    const now = performance.now();
    const steps = x.step - this.lastStep;
    if (steps <= 0) return;
    const p: LogPoint = {
      step: x.step,
      loss: this.lossSince.count > 0 ? this.lossSince.sum / this.lossSince.count : NaN,
      stageMs: got.stage,
      stepsPerSec: (steps * 1000) / Math.max(1e-3, now - this.lastTime),
      examples: got.examples,
      epsilon: x.epsilon(),
    };
    if (x.evaluate) {
      const e = await x.evaluate();
      p.auc = e.auc;
      p.evalLoss = e.loss;
    }
    this.lossSince = { sum: 0, count: 0 };
    this.lastStep = x.step;
    this.lastTime = performance.now();
    this.points.push(p);
    x.onLog?.(p);
    checkDivergence(p, this.config); // NaN or infinite loss: stop here, naming the step
  }
}
