// How far Trainer.run lets the CPU run ahead of the GPU (kept out of trainer.ts). It keeps the
// GPU's completion of each submitted step, oldest first: the CPU stays at most STEPS_AHEAD steps
// ahead by waiting on the step that many back, never on a drained queue (which would leave the GPU
// idle while the next step is assembled and encoded).
import { yieldToEvents } from './stage-timer';

/** Steps the CPU may submit before it waits for the GPU to finish the oldest of them. */
export const STEPS_AHEAD = 3;

/** One run's steps in flight; a new window per run. */
export class SubmitWindow {
  private submitted: { done: Promise<void>; settled: boolean }[] = [];
  private sinceYield = 0;

  constructor(private readonly dev: GPUDevice) {}

  /** After a step's submit: waits for the oldest step in flight while more than STEPS_AHEAD are. */
  async afterSubmit(): Promise<void> {
    const w = { done: this.dev.queue.onSubmittedWorkDone(), settled: false };
    // marks it handled too: a device lost before it is awaited is not an unhandled rejection
    w.done.then(
      () => (w.settled = true),
      () => undefined,
    );
    this.submitted.push(w);
    if (this.submitted.length <= STEPS_AHEAD) return;
    const oldest = this.submitted.shift()!;
    this.sinceYield++;
    // let the page breathe: a step already done resolves without giving events a turn
    if (!oldest.settled) {
      await oldest.done;
      this.sinceYield = 0;
    } else if (this.sinceYield >= STEPS_AHEAD) {
      await yieldToEvents();
      this.sinceYield = 0;
    }
  }
}
