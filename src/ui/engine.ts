// The UI's only door to the engine. The engine module is imported lazily (after the page has
// checked for WebGPU: it may touch GPU globals at load), and its surface is restated here so
// the rest of the UI depends on this small contract, not on engine internals.

import type { Config } from '../config/config';
import type { LabData } from '../data/synthetic';
import type { LogPoint, RunSummary, TimingSource } from '../engine/types';
import type { Checkpoint } from '../engine/checkpoint';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface MemoryEstimate {
  totalBytes: number;
  /** config.memoryLimit in bytes */
  limitBytes: number;
  buffers: { name: string; bytes: number }[];
  /** buffers per table: more than one where a table is larger than one binding */
  shards: number[];
  fits: boolean;
  problem?: string;
}

export interface Limits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface LabTrainer {
  readonly config: Config;
  readonly seedFixed: boolean;
  readonly timing: TimingSource;
  readonly stepsDone: number;
  readonly log: LogPoint[];
  run(n: number, opts?: { logEvery?: number; onLog?: (p: LogPoint) => void; signal?: AbortSignal }): Promise<void>;
  evaluate(): Promise<{ auc: number; loss: number }>;
  readHistory(table: number, start: number, count: number): Promise<Uint32Array>;
  /** continues from an exported model (before the first step); throws ConfigError naming a key that may not change */
  loadCheckpoint(ck: Checkpoint): Promise<void>;
  exportTensors(): Promise<NamedTensor[]>;
  readonly sigma: number;
  readonly dataset: { source: string };
  /** Poisson batches truncated so far (exported with the model) */
  readonly overflowBatches: number;
  exportShapes(): { name: string; shape: number[] }[];
  /** the model's bytes in export order, after a flush of pending noise */
  exportStream(write: (bytes: Uint8Array) => void | Promise<void>, chunkBytes?: number): Promise<void>;
  summary(): RunSummary;
  destroy(): void;
}

export interface EngineModule {
  /** `data` replaces the synthetic task (a parsed Criteo file); it must match the config */
  Trainer: { create(device: GPUDevice, config: Config, opts?: { data?: LabData }): Promise<LabTrainer> };
  CapacityError: new (...args: never[]) => Error & { key: string };
  estimateMemory(config: Config, limits?: Limits): MemoryEstimate & { problemKey?: string };
  /** sigma the run will use (calibrated when targetEpsilon > 0); optional in the contract */
  resolveSigma?(config: Config): number;
  /** epsilon spent after `steps` steps at `sigma` (undefined for sgd) */
  epsilonAfter?(config: Config, sigma: number, steps: number): number | undefined;
}

let enginePromise: Promise<EngineModule> | null = null;

export function loadEngine(): Promise<EngineModule> {
  enginePromise ??= import('../engine/trainer').then((m) => m as unknown as EngineModule);
  return enginePromise;
}

/** Set once the engine module has loaded, so render code can estimate synchronously. */
export let engine: EngineModule | null = null;
export async function ensureEngine(): Promise<EngineModule> {
  engine = await loadEngine();
  return engine;
}

export function isCapacityError(e: unknown): e is Error & { key: string } {
  return !!engine && e instanceof engine.CapacityError;
}
