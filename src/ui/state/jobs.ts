// Background jobs: the four-algorithm comparison, the table-size sweep, writing the main run's
// model to a file, and the teaching view's steps. Each holds the lab's one lock (store.lock)
// while it runs, so nothing destroys or changes a trainer under it.

import { ALGOS, checkConsistency, type Algo, type Config } from '../../config/config';
import {
  benchLoop,
  exportMetadata,
  modelFileBytes,
  writeModelParts,
  type BenchCase,
  type LogPoint,
  type Trainer,
} from '../../engine';
import { BlobAssembler, DOWNLOAD_PIECE_BYTES, downloadNote } from './model-blob';
import { downloadBlob } from '../charts/lab-chart';
import { epsilonFiller } from '../workers/privacy-client';
import { ALGO_LABELS } from '../styles';
import { store, type Job, type RunRecord } from './store';

/** What the jobs need from the runner. */
export interface JobHost {
  createTrainer(config: Config): Promise<Trainer>;
  newRecord(t: Trainer, requested: Config, source: RunRecord['source'], target: number): RunRecord;
  /** against the memory limit, counting the trainers the lab keeps on the GPU beside the job */
  fits(config: Config, beside?: boolean): { fits: boolean; problem?: string };
  /** whether all these trainers fit on the GPU at once (beside what the lab keeps) */
  fitsTogether(configs: Config[]): boolean;
  fail(e: unknown, context: string): void;
  /** a finished main run's model gives its GPU memory to the job (a paused run stays) */
  releaseFinishedModel(): void;
}

/** untimed steps each algorithm runs before the comparison's timed rounds */
export const WARMUP = 3;

/** Rounds of the comparison: up to 4, each at least 2 steps per algorithm. */
export function compareRounds(steps: number): number {
  return Math.max(1, Math.min(4, Math.floor(steps / 2)));
}

/**
 * The comparison's timed steps as rounds: in each round every algorithm runs a slice of its
 * `targets[i]` steps, the first one of the round rotating, so no algorithm always runs first or
 * always right after the same one. Slices of one algorithm add up to its target.
 */
export function compareSchedule(targets: number[]): { round: number; index: number; steps: number }[] {
  const n = targets.length;
  const rounds = compareRounds(Math.max(0, ...targets));
  const out: { round: number; index: number; steps: number }[] = [];
  const done = targets.map(() => 0);
  for (let k = 0; k < rounds; k++)
    for (let i = 0; i < n; i++) {
      const index = (i + k) % n;
      const steps = Math.ceil((targets[index] * (k + 1)) / rounds) - done[index];
      if (steps <= 0) continue;
      done[index] += steps;
      out.push({ round: k + 1, index, steps });
    }
  return out;
}

/** A log point every ~1/150 of the run, on a divisor of evalEvery so AUC points land on one. */
export function chooseLogEvery(steps: number, evalEvery: number): number {
  const target = Math.max(1, Math.floor(steps / 150));
  if (evalEvery <= 0) return target;
  for (let k = Math.min(target, evalEvery); k >= 1; k--) if (evalEvery % k === 0) return k;
  return 1;
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}

/**
 * The status line of a comparison's run, with how far it is and how many runs there are in all
 * (a first visit's second run, "Train all"): 'DP-SGD · step 120 of 300 · 2nd of 4 runs · round 2 of 4';
 * 'starting' while its trainer is made (`of` 0).
 */
export function compareStatus(algo: string, step: number, of: number, run: number, runs: number, phase = ''): string {
  const place = runs > 1 ? ` · ${ordinal(run)} of ${runs} runs` : '';
  return `${algo} · ${of > 0 ? `step ${step} of ${of}` : 'starting'}${place}${phase ? ` · ${phase}` : ''}`;
}

/** Log-spaced total row counts between 2^from and 2^to. */
export function sweepSizes(from: number, to: number, points: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    const e = points === 1 ? from : from + ((to - from) * i) / (points - 1);
    const n = Math.round(2 ** e);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** Splits a total row count over T tables (as equally as integers allow). */
export function splitRows(total: number, tables: number): number[] {
  const base = Math.max(1, Math.floor(total / tables));
  return Array.from({ length: tables }, (_, i) => (i < total - base * tables ? base + 1 : base));
}

type SaveFilePicker = (o: {
  suggestedName: string;
  types: { description: string; accept: Record<string, string[]> }[];
}) => Promise<{
  createWritable(): Promise<{ write(b: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
}>;

export class Jobs {
  private abort?: AbortController;
  /** the model being written, for Reset to wait on */
  exporting?: Promise<void>;

  constructor(private readonly host: JobHost) {}

  cancel(): void {
    this.abort?.abort();
  }

  private begin(job: Job): AbortSignal | null {
    if (!store.free || !store.lock(job)) return null;
    if (job !== 'teach') this.host.releaseFinishedModel();
    this.abort = new AbortController();
    return this.abort.signal;
  }

  /**
   * Measures each algorithm on the current configuration for `steps` timed steps (the stage chart).
   * None pays for going first: every trainer is made up front and first runs a warm-up pass
   * (WARMUP steps each, not timed: shader compilation, first allocations, clocks ramping up); the
   * timed steps then run in `compareRounds(steps)` rounds, each algorithm a slice per round, the
   * order rotating from round to round, and each algorithm's medians and p10-p90 pool all its
   * timed steps. Where the trainers do not fit on the GPU together they run one at a time, each
   * with its own warm-up.
   */
  async compare(algos: readonly Algo[] = ALGOS, steps = store.ui.benchSteps, runsBefore = 0): Promise<void> {
    const signal = this.begin('compare');
    if (!signal) return;
    const trainers: {
      algo: Algo;
      t: Trainer;
      rec: RunRecord;
      target: number;
      done: number;
      eps: ReturnType<typeof epsilonFiller>;
    }[] = [];
    try {
      const ok: { algo: Algo; requested: Config }[] = [];
      for (const algo of algos) {
        const requested = { ...store.config, algo };
        try {
          checkConsistency(requested);
        } catch (e) {
          store.banner({
            id: `skip-${algo}`,
            kind: 'warning',
            title: `${ALGO_LABELS[algo]} skipped`,
            message: (e as Error).message,
          });
          continue;
        }
        const fit = this.host.fits(requested, true);
        if (!fit.fits) {
          store.banner({
            id: `skip-${algo}`,
            kind: 'warning',
            title: `${ALGO_LABELS[algo]} skipped: too big for this device`,
            message: fit.problem ?? '',
          });
          continue;
        }
        ok.push({ algo, requested });
      }
      const together = this.host.fitsTogether(ok.map((o) => o.requested));
      const groups = together ? [ok] : ok.map((o) => [o]);
      // each run's place among all of them (runsBefore: runs of the same sequence already done)
      const place = (algo: Algo): [number, number] => [
        runsBefore + ok.findIndex((o) => o.algo === algo) + 1,
        runsBefore + ok.length,
      ];
      for (const group of groups) {
        if (signal.aborted) break;
        trainers.length = 0;
        for (const { algo, requested } of group) {
          store.setJobText(compareStatus(ALGO_LABELS[algo], 0, 0, ...place(algo)));
          const t = await this.host.createTrainer(requested);
          const warm = Math.min(WARMUP, Math.max(0, t.config.steps - 2));
          const target = Math.max(1, Math.min(steps, t.config.steps - warm));
          trainers.push({
            algo,
            t,
            rec: this.host.newRecord(t, requested, 'compare', warm + target),
            target,
            done: 0,
            eps: epsilonFiller(t), // PRV epsilons from the privacy worker
          });
          if (signal.aborted) break;
        }
        const logOf = (x: (typeof trainers)[number], what: string) => ({
          logEvery: chooseLogEvery(x.target, x.t.config.evalEvery),
          signal,
          deferPrvEpsilon: true,
          onLog: (p: LogPoint) => {
            const status = compareStatus(ALGO_LABELS[x.algo], p.step, x.rec.target, ...place(x.algo), what);
            store.logPoint(x.rec, p, x.t.stepsDone, status);
            x.eps.point(p);
          },
        });
        // the warm-up pass: every trainer once before any step is timed
        for (const x of trainers)
          if (!signal.aborted) await x.t.run(Math.min(WARMUP, x.t.config.steps - 2), logOf(x, 'warm-up'));
        const warmDone = new Map(trainers.map((x) => [x, x.t.stepsDone]));
        const schedule = compareSchedule(trainers.map((x) => x.target));
        const rounds = schedule.at(-1)?.round ?? 0;
        for (const { round, index, steps: slice } of schedule) {
          if (signal.aborted) break;
          const x = trainers[index];
          await x.t.run(slice, logOf(x, rounds > 1 ? `round ${round} of ${rounds}` : ''));
          x.done += slice;
        }
        for (const x of trainers) {
          // the medians and spread of the timed steps only: the warm-up pass is left out
          store.finishRun(x.rec, x.t.stepsDone, x.t.summary(warmDone.get(x), await x.eps.finish(x.t.stepsDone)));
          x.t.destroy();
        }
        trainers.length = 0;
      }
    } catch (e) {
      this.host.fail(e, 'Comparison stopped');
    } finally {
      for (const x of trainers) x.t.destroy();
    }
    store.unlock('compare');
  }

  /** Short runs at several table sizes per algorithm: step time vs total rows. */
  async sweep(): Promise<void> {
    const signal = this.begin('sweep');
    if (!signal) return;
    const ui = store.ui;
    const base = store.config;
    // on a Criteo file, each size re-hashes the file into its tables (createTrainer re-parses)
    const criteo = store.dataSource === 'criteo' ? store.criteo : undefined;
    store.startSweep(criteo ? `the Criteo file ${criteo.name}, re-hashed into each size` : 'the synthetic task');
    const cases: BenchCase[] = [];
    for (const total of sweepSizes(ui.sweepFrom, ui.sweepTo, ui.sweepPoints))
      for (const algo of ALGOS) {
        // steps + 1: the run never reaches its last step, so no final evaluation is timed
        const config: Config = {
          ...base,
          algo,
          tables: splitRows(total, base.tables.length),
          steps: ui.sweepSteps + 1,
          evalEvery: 0,
        };
        cases.push({ algo, totalRows: total, config });
      }
    try {
      await benchLoop(cases, {
        create: (c) => {
          const rows = c.tables.reduce((a, b) => a + b, 0).toLocaleString('en-US');
          store.setJobText(`${ALGO_LABELS[c.algo]} at ${rows} rows${criteo ? ` (${criteo.name} re-hashed)` : ''}`);
          return this.host.createTrainer(c);
        },
        steps: ui.sweepSteps,
        signal,
        skipLarger: true,
        precheck: ({ config }) => {
          try {
            checkConsistency(config);
          } catch (e) {
            return { reason: (e as Error).message, tooBig: false };
          }
          const fit = this.host.fits(config, true);
          return fit.fits ? undefined : { reason: fit.problem ?? 'too big for this device', tooBig: true };
        },
        onResult: (r) => {
          const { algo, totalRows } = r.case;
          if ('skipped' in r) store.addSweepPoint({ algo, totalRows, skipped: r.skipped });
          else if (!signal.aborted) {
            const s = r.trainer.summary();
            const spread =
              s.stepP10Ms !== undefined && s.stepP90Ms !== undefined
                ? { p10: s.stepP10Ms, p90: s.stepP90Ms }
                : undefined;
            store.addSweepPoint({ algo, totalRows, stepMs: s.stepMedianMs, stageMs: s.stageMedianMs, spread });
          }
        },
      });
    } catch (e) {
      this.host.fail(e, 'Sweep stopped');
    }
    store.unlock('sweep');
  }

  /**
   * Writes `t`'s model as safetensors, with its privacy facts in the metadata; the engine flushes
   * pending LazyDP noise before the first byte. Where the browser can (File System Access API),
   * the bytes stream into the chosen file, which the browser keeps only once it is complete;
   * elsewhere the page says the file's size first and folds the pieces into a Blob as they come
   * (model-blob.ts), then downloads it. The job holds the lock, so neither
   * training nor Reset changes the model while it is written: a file is complete or absent.
   */
  async exportModel(t: Trainer): Promise<void> {
    if (!store.lock('export', 'writing the model (pending noise flushed first)')) return;
    const name = `dp-lab-${t.config.algo}-${t.stepsDone}steps.safetensors`;
    const picker = (window as unknown as { showSaveFilePicker?: SaveFilePicker }).showSaveFilePicker;
    let done!: () => void;
    this.exporting = new Promise((r) => (done = r));
    try {
      const meta = exportMetadata(t, store.device ?? { vendor: '', architecture: '', description: '' }, t.summary());
      let handle: Awaited<ReturnType<SaveFilePicker>> | undefined;
      if (picker) {
        try {
          handle = await picker({
            suggestedName: name,
            types: [{ description: 'safetensors model', accept: { 'application/octet-stream': ['.safetensors'] } }],
          });
        } catch (e) {
          if ((e as Error).name === 'AbortError') return; // the user closed the dialog
          handle = undefined; // no picker here after all (e.g. not allowed): download instead
        }
      }
      if (handle) {
        const out = await handle.createWritable();
        try {
          await writeModelParts(t, meta, (b) => out.write(b));
          await out.close();
        } catch (e) {
          await out.abort().catch(() => undefined);
          throw e;
        }
      } else {
        store.setJobText(downloadNote(modelFileBytes(t, meta)));
        const file = new BlobAssembler();
        await writeModelParts(t, meta, (b) => file.add(b), DOWNLOAD_PIECE_BYTES);
        downloadBlob(name, file.finish());
      }
    } catch (e) {
      this.host.fail(e, 'Could not export the model (no file was written)');
    } finally {
      store.unlock('export');
      this.exporting = undefined;
      done();
    }
  }

  /** Runs `fn` as the teaching job (one step at a time), refusing while anything else runs. */
  async teach<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (!this.begin('teach')) return undefined;
    try {
      return await fn();
    } catch (e) {
      this.host.fail(e, 'Teaching view');
      return undefined;
    } finally {
      store.unlock('teach');
    }
  }
}
