// A trainer's buffers and step are built inside GPU error scopes (kept out of trainer.ts), so that
// an allocation beyond the device's memory or a shader/binding error is reported as such.

/**
 * Runs `build` inside out-of-memory and validation error scopes. The scopes are popped whatever
 * happens; a GPU error explains a failed build better than the exception that followed it, so it
 * wins: `cleanup` runs and the error is thrown (`outOfMemory` makes the out-of-memory one).
 */
export async function buildInErrorScopes(
  device: GPUDevice,
  build: () => void,
  cleanup: () => void,
  outOfMemory: (message: string) => Error,
): Promise<void> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let failure: { error: unknown } | undefined;
  try {
    build();
  } catch (error) {
    failure = { error };
  }
  const v = await device.popErrorScope();
  const m = await device.popErrorScope();
  if (v || m) {
    cleanup();
    if (m) throw outOfMemory(m.message);
    throw new Error(`WebGPU validation error while building the step (shader or binding): ${v!.message}`);
  }
  if (failure) throw failure.error;
}
