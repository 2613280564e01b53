// The exported model: safetensors with the run's privacy facts in `__metadata__`, written as a
// sequence of pieces (header, then each tensor) so a table larger than memory streams to disk (CLI)
// or into a Blob (lab). Every export flushes pending LazyDP noise first (Trainer.exportStream).
import type { Config } from '../config/config';
import type { DeviceInfo } from './device';
import type { RunSummary } from './types';
import { safetensorsHeader } from './safetensors';
import { privacyReport } from '../privacy/report';
import { epsilonAfter } from './accounting';
import { encodeSelection } from './fest-selection';

/** What an export needs of a trainer (the engine's Trainer, or the lab's view of it). */
export interface Exportable {
  readonly config: Config;
  readonly sigma: number;
  readonly stepsDone: number;
  readonly seedFixed: boolean;
  readonly dataset: { source: string };
  readonly overflowBatches: number;
  /** DP-FEST: each table's selected rows, saved with the weights */
  readonly festSelection?: readonly Uint32Array[];
  exportShapes(): { name: string; shape: number[] }[];
  exportStream(write: (bytes: Uint8Array) => void | Promise<void>, chunkBytes?: number): Promise<void>;
}

export function exportMetadata(
  t: Exportable,
  info: Pick<DeviceInfo, 'vendor' | 'architecture' | 'description'>,
  s: RunSummary | null,
): Record<string, string> {
  const c = t.config;
  // without a summary (an export before or between runs) epsilon still covers the steps taken,
  // a resumed file's included
  const epsilon = s ? s.epsilon : epsilonAfter(c, t.sigma, t.stepsDone);
  const p = privacyReport(c, { epsilon, seedFixed: t.seedFixed, sigma: t.sigma });
  return {
    format: 'dp-webgpu-lab/1',
    algo: c.algo,
    sigma: String(t.sigma),
    clip: String(c.clip),
    clipping: c.clipping,
    delta: String(c.delta),
    steps: String(t.stepsDone),
    // a random seed is never written anywhere: it would let anyone subtract the noise
    seed: t.seedFixed ? c.seed : 'random',
    seed_fixed: String(t.seedFixed),
    epsilon: epsilon === undefined ? 'none' : String(epsilon),
    // which accountant epsilon (and a calibrated sigma) comes from; PRV's is its upper bound at eps error 0.01
    accountant: c.accountant,
    overflow_batches: String(t.overflowBatches),
    sampling: c.sampling,
    // whether epsilon is a guarantee for these weights, and if not, why (shuffle, fixed seed)
    accounting: p.accounting,
    epsilon_guaranteed: String(p.guaranteed),
    privacy_reasons: JSON.stringify(p.reasons),
    privacy_notes: JSON.stringify(p.notes),
    pending_noise_flushed: 'true',
    data: t.dataset.source,
    config: JSON.stringify(c),
    // held-out metrics only: the training loss is computed from training data without noise and
    // would travel with the weights uncovered by epsilon
    results: s
      ? JSON.stringify({
          auc: s.auc,
          evalLoss: s.evalLoss,
          teacherAuc: s.teacherAuc,
          stageMedianMs: s.stageMedianMs,
          timing: s.timing,
        })
      : '{}',
    device: `${info.vendor} ${info.architecture} ${info.description}`.trim(),
    // DP-FEST: which rows were trained (table t's count, then its rows); a resumed run needs them
    ...(t.festSelection ? { fest_selection: JSON.stringify(encodeSelection(t.festSelection)) } : {}),
  };
}

/**
 * The safetensors file in pieces: header, then every tensor's data after a flush, in pieces of at
 * most `chunkBytes` (the trainer's default where not given).
 */
export async function writeModelParts(
  t: Exportable,
  metadata: Record<string, string>,
  write: (bytes: Uint8Array) => void | Promise<void>,
  chunkBytes?: number,
): Promise<void> {
  await write(safetensorsHeader(t.exportShapes(), metadata).bytes);
  await t.exportStream(write, chunkBytes);
}

/** The size in bytes of the file writeModelParts writes (header and data), known before it starts. */
export function modelFileBytes(t: Pick<Exportable, 'exportShapes'>, metadata: Record<string, string>): number {
  const h = safetensorsHeader(t.exportShapes(), metadata);
  return h.bytes.length + h.dataBytes;
}
