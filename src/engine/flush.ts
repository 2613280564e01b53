// The submission of LazyDP's flush (kept out of trainer.ts, which decides when one is due): the
// flush dispatches are short by construction (flushPlan); lazydp-exact repeats them until the rows
// furthest behind have replayed every step, so a long flush is several command buffers.
import { encode, type Dispatch } from '../kernels/program';

/** lazydp-exact flush rounds encoded per command buffer (a long flush is several submits). */
const FLUSH_ROUNDS_PER_SUBMIT = 64;

/** Submits `rounds` repetitions of the flush's dispatches and waits until the GPU has run them. */
export async function submitFlush(dev: GPUDevice, flush: readonly Dispatch[], rounds: number): Promise<void> {
  for (let r0 = 0; r0 < rounds; r0 += FLUSH_ROUNDS_PER_SUBMIT) {
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass({ label: 'flush' });
    for (let r = r0; r < Math.min(rounds, r0 + FLUSH_ROUNDS_PER_SUBMIT); r++) for (const d of flush) encode(pass, d);
    pass.end();
    dev.queue.submit([enc.finish()]);
  }
  await dev.queue.onSubmittedWorkDone();
}
