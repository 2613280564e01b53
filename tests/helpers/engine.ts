// The engine fixture: the device (set in beforeAll), the small model the engine tests train
// (each file puts its own sizes and seed on top), and whole models as bytes and checkpoints.
import { beforeAll } from 'vitest';
import { getTestDevice } from './gpu';
import { makeConfig } from '../../src/config/config';
import {
  Trainer,
  exportMetadata,
  openCheckpoint,
  writeModelParts,
  type Checkpoint,
  type NamedTensor,
} from '../../src/engine';

/** Registers the file's device; read `.device` inside tests. */
export function engineTest(): { readonly device: GPUDevice } {
  let dev: GPUDevice | undefined;
  beforeAll(async () => {
    dev = await getTestDevice();
  });
  return {
    get device(): GPUDevice {
      if (!dev) throw new Error('no device yet: use it inside a test');
      return dev;
    },
  };
}

/** What every engine test's model shares: one hidden layer of 8 per MLP, lr 0.3, sigma 1, C 1, no evaluation. */
export const SMALL_MODEL = { bottom: [8], top: [8], evalEvery: 0, lr: 0.3, sigma: 1, clip: 1 };

/** A trainer of `base` with `over` on top, before and after `steps` steps (all by default). */
export async function trained(
  device: GPUDevice,
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  steps?: number,
): Promise<{ t: Trainer; model: NamedTensor[]; init: NamedTensor[] }> {
  const t = await Trainer.create(device, makeConfig({ ...base, ...over }));
  const init = await t.exportTensors();
  await t.run(steps ?? t.config.steps);
  return { t, model: await t.exportTensors(), init };
}

/** Byte pieces joined into one file. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const INFO = { vendor: 'test', architecture: '', description: '' };

/** The trainer's model as the exported safetensors file (flushed, with its metadata). */
export async function exportedBytes(t: Trainer): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await writeModelParts(t, exportMetadata(t, INFO, t.summary()), (b) => void parts.push(b.slice()));
  return concatBytes(parts);
}

/** An exported file in memory opened as a checkpoint. */
export function openBytes(bytes: Uint8Array): Promise<Checkpoint> {
  return openCheckpoint((o, l) => bytes.subarray(o, o + l), bytes.length);
}
