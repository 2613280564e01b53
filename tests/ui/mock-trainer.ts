// A CPU stand-in for src/engine/trainer.ts with the same surface, used only while developing
// the UI before the engine exists (tests/ui/server.ts aliases it in when the real module is
// missing). Numbers are synthetic but shaped like the real thing: eager noise grows with
// the table rows, lazy noise does not.
import type { Config } from '../../src/config/config';
import { STAGES, type LogPoint, type RunSummary, type StageTimes } from '../../src/engine/types';

export class CapacityError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'CapacityError';
  }
}

export function estimateMemory(config: Config, limits = { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 }) {
  const buffers = config.tables.map((r, t) => ({ name: `table${t}`, bytes: r * config.dim * 4 }));
  buffers.push(...config.tables.map((r, t) => ({ name: `history${t}`, bytes: r * 4 })));
  const totalBytes = buffers.reduce((a, b) => a + b.bytes, 0);
  const big = buffers.find((b) => b.bytes > limits.maxBufferSize);
  const limitBytes = config.memoryLimit * 2 ** 30;
  const problem = big ? `${big.name} needs ${big.bytes} bytes > maxBufferSize ${limits.maxBufferSize}` : totalBytes > limitBytes ? `needs ${totalBytes} bytes > memoryLimit; the largest table that fits is smaller` : undefined;
  return { totalBytes, limitBytes, buffers, shards: config.tables.map(() => 1), fits: !problem, problem };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Trainer {
  stepsDone = 0;
  log: LogPoint[] = [];
  timing = 'gpu-timestamp' as const;
  seedFixed: boolean;
  overflowBatches = 0;
  private hist: Uint32Array[];
  private times: StageTimes[] = [];
  private r = 1;
  private constructor(readonly config: Config) {
    this.seedFixed = config.seed !== 'random';
    this.hist = config.tables.map((n) => new Uint32Array(n));
  }
  static async create(_device: GPUDevice, config: Config): Promise<Trainer> {
    const est = estimateMemory(config);
    if (!est.fits) throw new CapacityError('tables', est.problem!);
    await sleep(20);
    return new Trainer({ ...config, seed: config.seed === 'random' ? '123456789' : config.seed, sigma: config.targetEpsilon > 0 ? 1.1 : config.sigma });
  }
  private rand() {
    this.r = (this.r * 1103515245 + 12345) % 2147483648;
    return this.r / 2147483648;
  }
  async run(n: number, opts: { logEvery?: number; onLog?: (p: LogPoint) => void; signal?: AbortSignal } = {}) {
    const rows = this.config.tables.reduce((a, b) => a + b, 0);
    const eager = this.config.algo === 'dpsgd';
    const lazy = this.config.algo.startsWith('lazydp');
    const every = opts.logEvery ?? 10;
    let since: StageTimes[] = [];
    let t0 = performance.now();
    for (let i = 0; i < n && this.stepsDone < this.config.steps; i++) {
      if (opts.signal?.aborted) return;
      await sleep(3);
      this.stepsDone++;
      const s = this.stepsDone;
      if (lazy)
        for (let t = 0; t < this.hist.length; t++)
          for (let k = 0; k < this.config.batch * this.config.pooling / 8; k++) {
            const r = Math.floor(this.hist[t].length * Math.pow(this.rand(), 3));
            this.hist[t][r] = s;
          }
      const q = (x: number) => Math.round(x * 10) / 10;
      const st: StageTimes = {
        gather: q(0.2 + 0.1 * this.rand()),
        mlp_forward: q(0.3),
        backward: q(0.5 + 0.1 * this.rand()),
        clip: this.config.algo === 'sgd' ? 0 : q(0.3),
        noise: eager && this.config.noiseKernel === 'unfused' ? q(rows / 20000) : 0,
        update: q(eager ? 0.2 + rows / 40000 : lazy ? 0.4 : 0.2),
      };
      this.times.push(st);
      since.push(st);
      if (s % every === 0 || s === this.config.steps) {
        const p: LogPoint = {
          step: s,
          loss: 0.69 * Math.exp(-s / 200) + 0.3 + 0.02 * this.rand(),
          stageMs: med(since),
          stepsPerSec: (since.length * 1000) / (performance.now() - t0),
          examples: since.length * this.config.batch,
        };
        if (this.config.algo !== 'sgd') p.epsilon = 0.05 * Math.sqrt(s);
        if ((this.config.evalEvery > 0 && s % this.config.evalEvery === 0) || s === this.config.steps) {
          p.auc = 0.5 + 0.25 * (1 - Math.exp(-s / 100));
          p.evalLoss = p.loss + 0.01;
        }
        this.log.push(p);
        opts.onLog?.(p);
        since = [];
        t0 = performance.now();
      }
    }
  }
  async evaluate() {
    for (const h of this.hist) h.fill(this.stepsDone);
    return { auc: 0.7, loss: 0.5 };
  }
  async readHistory(table: number, start: number, count: number) {
    if (!this.config.algo.startsWith('lazydp')) return new Uint32Array(count);
    return this.hist[table].slice(start, start + count);
  }
  async exportTensors() {
    return [];
  }
  summary(): RunSummary {
    const last = [...this.log].reverse().find((p) => p.auc !== undefined);
    const sm = med(this.times.length ? this.times : [Object.fromEntries(STAGES.map((s) => [s, 0])) as StageTimes]);
    return {
      steps: this.stepsDone,
      timing: this.timing,
      stageMedianMs: sm,
      stepMedianMs: STAGES.reduce((a, s) => a + sm[s], 0),
      finalLoss: this.log.at(-1)?.loss ?? NaN,
      auc: last?.auc ?? NaN,
      evalLoss: last?.evalLoss ?? NaN,
      epsilon: this.log.at(-1)?.epsilon,
      sigma: this.config.sigma,
      overflowBatches: 0,
      log: this.log,
    };
  }
  destroy() {}
}

function med(xs: StageTimes[]): StageTimes {
  const out = {} as StageTimes;
  for (const s of STAGES) {
    const v = xs.map((x) => x[s]).sort((a, b) => a - b);
    out[s] = v[Math.floor(v.length / 2)];
  }
  return out;
}
