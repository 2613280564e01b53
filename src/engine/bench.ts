// The loop behind every timing sweep (the lab's table-size sweep and the CLI's bench): one short
// run per (size, algorithm), a configuration this algorithm refuses or a device too small for
// it reported as a skip, every trainer destroyed before the next is made.
import { ConfigError, type Algo, type Config } from '../config/config';
import { CapacityError, type Trainer } from './trainer';
import { median } from './stage-timer';
import type { TimingSource } from './types';
import { encode } from '../kernels/program';
import { copyInPlace, copyQuads } from '../kernels/copy';

export interface BenchCase {
  algo: Algo;
  totalRows: number;
  config: Config;
}

export type BenchOutcome =
  { case: BenchCase; skipped: string; tooBig: boolean } | { case: BenchCase; trainer: Trainer; wallMs: number };

export interface BenchOptions {
  /** makes the trainer (throws ConfigError or CapacityError to skip the case) */
  create(config: Config): Promise<Trainer>;
  /** steps timed per case */
  steps: number;
  logEvery?: number;
  signal?: AbortSignal;
  /** a reason not to try this case (checked before anything is allocated) */
  precheck?(c: BenchCase): { reason: string; tooBig: boolean } | undefined;
  /** once a size is too big for an algorithm, larger sizes are skipped without trying */
  skipLarger?: boolean;
  /** sees each outcome while its trainer is alive */
  onResult(r: BenchOutcome): void | Promise<void>;
}

/** Runs `cases` in order (sizes outermost); stops between cases when `signal` aborts. */
export async function benchLoop(cases: readonly BenchCase[], o: BenchOptions): Promise<void> {
  const tooBigAt = new Map<Algo, number>();
  for (const c of cases) {
    if (o.signal?.aborted) return;
    const skip = async (reason: string, tooBig: boolean) => {
      if (tooBig) tooBigAt.set(c.algo, Math.min(c.totalRows, tooBigAt.get(c.algo) ?? Infinity));
      await o.onResult({ case: c, skipped: reason, tooBig });
    };
    if (o.skipLarger && c.totalRows >= (tooBigAt.get(c.algo) ?? Infinity)) {
      await skip('too big for this device', true);
      continue;
    }
    const pre = o.precheck?.(c);
    if (pre) {
      await skip(pre.reason, pre.tooBig);
      continue;
    }
    let t: Trainer;
    try {
      t = await o.create(c.config);
    } catch (e) {
      // too big, or a setting this algorithm refuses (LazyDP and a dense table optimizer)
      if (e instanceof CapacityError || e instanceof ConfigError) {
        await skip(e.message, e instanceof CapacityError);
        continue;
      }
      throw e;
    }
    try {
      const t0 = performance.now();
      await t.run(o.steps, { logEvery: o.logEvery ?? o.steps, signal: o.signal });
      const wallMs = performance.now() - t0;
      await o.onResult({ case: c, trainer: t, wallMs });
    } finally {
      t.destroy();
    }
  }
}

/**
 * The copy kernel's bandwidth on `buffers` (read and written in place, data unchanged), timed as
 * the trainer times its stages: timestamps around the pass where the device has them, otherwise
 * submit to done from the CPU. One untimed run compiles the pipeline; the median of `reps` runs.
 */
export async function copyBandwidth(
  dev: GPUDevice,
  buffers: readonly GPUBuffer[],
  reps = 5,
): Promise<{ bytes: number; ms: number; GBps: number; timing: TimingSource }> {
  const ds = buffers.map((X) => copyInPlace(dev, { n4: copyQuads(X.size), scale: 1 }, { X }));
  const bytes = buffers.reduce((a, X) => a + 2 * 16 * copyQuads(X.size), 0);
  const ts = dev.features.has('timestamp-query');
  const qs = ts ? dev.createQuerySet({ type: 'timestamp', count: 2 * reps }) : undefined;
  const resolve =
    qs && dev.createBuffer({ size: 16 * reps, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = qs && dev.createBuffer({ size: 16 * reps, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const pass = (k: number) => {
    const enc = dev.createCommandEncoder();
    const timestampWrites =
      qs && k >= 0 ? { querySet: qs, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 } : undefined;
    const p = enc.beginComputePass({ label: 'copy', timestampWrites });
    for (const d of ds) encode(p, d);
    p.end();
    return enc;
  };
  const times: number[] = [];
  const cpuTimes: number[] = [];
  try {
    dev.queue.submit([pass(-1).finish()]);
    await dev.queue.onSubmittedWorkDone();
    for (let k = 0; k < reps; k++) {
      const t0 = performance.now();
      dev.queue.submit([pass(k).finish()]);
      await dev.queue.onSubmittedWorkDone();
      cpuTimes.push(performance.now() - t0);
    }
    if (qs) {
      const enc = dev.createCommandEncoder();
      enc.resolveQuerySet(qs, 0, 2 * reps, resolve!, 0);
      enc.copyBufferToBuffer(resolve!, 0, read!, 0, 16 * reps);
      dev.queue.submit([enc.finish()]);
      await read!.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(read!.getMappedRange().slice(0));
      read!.unmap();
      for (let k = 0; k < reps; k++) times.push(Number(t[2 * k + 1] - t[2 * k]) / 1e6);
    }
  } finally {
    for (const d of ds) for (const b of d.owned) b.destroy();
    qs?.destroy();
    resolve?.destroy();
    read?.destroy();
  }
  // a copy shorter than the timestamps' resolution reads as 0 ms (seen on SwiftShader with tiny
  // tables): the CPU's time around the same submissions, never 0, stands in and says so
  const gpuMs = qs ? median(times) : 0;
  const timing: TimingSource = gpuMs > 0 ? 'gpu-timestamp' : 'cpu';
  const ms = gpuMs > 0 ? gpuMs : median(cpuTimes);
  return { bytes, ms, GBps: ms > 0 ? bytes / (ms * 1e6) : 0, timing };
}
