// The loop behind every timing sweep (the lab's table-size sweep and the CLI's bench): one short
// run per (size, algorithm), a configuration this algorithm refuses or a device too small for
// it reported as a skip, every trainer destroyed before the next is made.
import { ConfigError, type Algo, type Config } from '../config/config';
import { CapacityError, type Trainer } from './trainer';

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
