// Logical batches in micro-batches (config.microBatch, src/engine/micro.ts): the same logical
// batch trained whole and in micro-batches gives the same model, LazyDP in micro-batches equals
// eager DP-SGD in micro-batches, DP-FEST and DP-AdaFEST keep their mechanism per logical step,
// epsilon depends on the logical batch only, and the memory plan picks a micro-batch when the
// whole batch does not fit.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL } from '../helpers/engine';
import { maxAbsDiff } from '../helpers/tensors';
import { referenceAfter } from '../helpers/reference-step';
import { makeConfig, ConfigError } from '../../src/config/config';
import { Trainer, epsilonAfter, estimateMemory, maxBatchFor, type NamedTensor } from '../../src/engine';
import { algorithm, type TableNoise } from '../../src/algorithms';

const eng = engineTest();

/** Per embedding table (by index), the rows that differ between two exports of the model. */
function changedRows(a: NamedTensor[], b: NamedTensor[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  a.forEach((x, i) => {
    const t = /^tables\.(\d+)$/.exec(x.name);
    if (!t) return;
    const D = x.shape[1];
    const rows: number[] = [];
    for (let r = 0; r < x.shape[0]; r++)
      if (x.data.subarray(r * D, (r + 1) * D).some((v, c) => v !== b[i].data[r * D + c])) rows.push(r);
    out.set(Number(t[1]), rows);
  });
  return out;
}

const BASE = {
  ...SMALL_MODEL,
  tables: [300, 40],
  dim: 4,
  pooling: 2,
  batch: 16,
  dense: 4,
  datasetSize: 128,
  evalSize: 16,
  steps: 8,
  seed: '4242',
  zipf: 1.3,
};

async function train(over: Record<string, unknown>, batchOnGpu?: boolean, shardRows?: number) {
  const t = await Trainer.create(eng.device, makeConfig({ ...BASE, ...over }), { batchOnGpu, shardRows });
  await t.run(t.config.steps);
  const model = await t.exportTensors();
  return { t, model };
}

describe('micro-batches', () => {
  // Float tolerance, not bit for bit: a micro-batch sums its examples' clipped gradients, then
  // the micro-batches' sums add up, a different order of f32 additions than one pass over the
  // batch (rows touched in one micro-batch only get the same sum; bit for bit where microBatch
  // >= the padded batch, which runs in one pass).
  for (const algo of ['sgd', 'dpsgd'] as const)
    for (const batchOnGpu of [true, false])
      it(`${algo}, batches ${batchOnGpu ? 'gathered on the GPU' : 'assembled on the CPU'}: whole and in micro-batches of 5 give the same model`, async () => {
        const whole = await train({ algo }, batchOnGpu);
        const micro = await train({ algo, microBatch: 5 }, batchOnGpu);
        expect(whole.t.microBatch).toBe(0);
        expect(micro.t.microBatch).toBe(5);
        expect(micro.t.maxBatch).toBe(whole.t.maxBatch); // the logical batch is padded as before
        expect(micro.t.maxBatch).toBeGreaterThan(15); // several micro-batches per step
        expect(micro.model.map((x) => x.name)).toEqual(whole.model.map((x) => x.name));
        // the runs moved the model far beyond the tolerance (noise and gradients)
        const init = await (await Trainer.create(eng.device, makeConfig({ ...BASE, algo }))).exportTensors();
        expect(maxAbsDiff(whole.model, init)).toBeGreaterThan(1e-2);
        expect(maxAbsDiff(micro.model, whole.model)).toBeLessThan(2e-5);
        whole.t.destroy();
        micro.t.destroy();
      });

  it('microBatch at least the padded batch is one pass: bit for bit the whole batch', async () => {
    // shuffled batches are padded to the batch itself (Poisson's pad above it: microBatch <= batch splits them)
    const whole = await train({ algo: 'dpsgd', sampling: 'shuffle' });
    const same = await train({ algo: 'dpsgd', sampling: 'shuffle', microBatch: 16 });
    expect(same.t.microBatch).toBe(0);
    expect(maxAbsDiff(same.model, whole.model)).toBe(0);
    whole.t.destroy();
    same.t.destroy();
  });

  it('lazydp-exact in micro-batches equals dpsgd in micro-batches', async () => {
    const eager = await train({ algo: 'dpsgd', microBatch: 6 });
    const lazy = await train({ algo: 'lazydp-exact', microBatch: 6 });
    expect(lazy.t.microBatch).toBe(6);
    // the tolerance of tests/engine/lazy.test.ts: the same noise draws, subtracted in two kernels
    // (lazy.wgsl's replay, table_noise.wgsl) that a compiler may contract differently
    expect(maxAbsDiff(lazy.model, eager.model)).toBeLessThan(2e-5);
    eager.t.destroy();
    lazy.t.destroy();
  });

  it('dense table optimizer (momentum): whole and in micro-batches give the same model', async () => {
    const over = { algo: 'dpsgd', tableOptimizer: 'momentum', lr: 0.05 };
    const whole = await train(over);
    const micro = await train({ ...over, microBatch: 7 });
    expect(micro.t.microBatch).toBe(7);
    expect(maxAbsDiff(micro.model, whole.model)).toBeLessThan(2e-5);
    whole.t.destroy();
    micro.t.destroy();
  });

  it('tables split into shards: lazydp-exact in micro-batches equals dpsgd in micro-batches', async () => {
    const eager = await train({ algo: 'dpsgd', microBatch: 6 }, undefined, 100);
    const lazy = await train({ algo: 'lazydp-exact', microBatch: 6 }, undefined, 100);
    expect(lazy.t.shardLayout[0].length).toBe(3);
    expect(maxAbsDiff(lazy.model, eager.model)).toBeLessThan(2e-5);
    const whole = await train({ algo: 'dpsgd' }, undefined, 100);
    expect(maxAbsDiff(eager.model, whole.model)).toBeLessThan(2e-5);
    for (const r of [eager, lazy, whole]) r.t.destroy();
  });

  it('dp-fest: whole and in micro-batches of 5 give the same model (noise on the selected rows once per logical step)', async () => {
    const over = { algo: 'dp-fest', festK: 24, festHistogramSigma: 2 };
    const whole = await train(over);
    const micro = await train({ ...over, microBatch: 5 });
    expect(micro.t.microBatch).toBe(5);
    expect(micro.t.festSelection).toEqual(whole.t.festSelection); // chosen before training, the same
    const init = await (await Trainer.create(eng.device, makeConfig({ ...BASE, ...over }))).exportTensors();
    expect(maxAbsDiff(whole.model, init)).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(micro.model, whole.model)).toBeLessThan(2e-5);
    whole.t.destroy();
    micro.t.destroy();
  });

  it('dp-adafest: whole and in micro-batches of 5 give the same model and cross the same rows each step', async () => {
    // tau / (sigma1 C1) = 1: each untouched row crosses with p = 16 %, and a touched row's noisy count often misses
    const over = { algo: 'dp-adafest', threshold: 4, selectionSigma: 1, selectionClip: 4, steps: 3 };
    const make = async (microBatch: number, shardRows?: number) =>
      Trainer.create(eng.device, makeConfig({ ...BASE, ...over, microBatch }), { shardRows });
    const whole = await make(0);
    const micro = await make(5);
    const sharded = await make(5, 100); // each shard's own C and G
    expect(micro.microBatch).toBe(5);
    expect(sharded.shardLayout[0].length).toBe(3);
    const init = await whole.exportTensors();
    let before = init;
    for (let s = 0; s < over.steps; s++) {
      await whole.run(1);
      await micro.run(1);
      const [w, m] = [await whole.exportTensors(), await micro.exportTensors()];
      expect(maxAbsDiff(m, w)).toBeLessThan(2e-5);
      const crossed = changedRows(before, w);
      expect(changedRows(before, m), `step ${s}`).toEqual(crossed);
      // some rows crossed, not all: the threshold decided (and each crossing moves its row by lr/B sigma2 C2 z)
      for (const rows of crossed.values()) expect(rows.length).toBeGreaterThan(0);
      expect(crossed.get(0)!.length).toBeLessThan(300);
      before = w;
    }
    // and the CPU reference of the logical step (src/reference/fest.ts), at the conformance suite's tolerance
    const want = referenceAfter(micro, init, over.steps);
    const noiseStep = (micro.config.lr / micro.config.batch) * micro.sigma * micro.config.clip;
    for (const g of await micro.exportTensors()) {
      const w = want.get(g.name)!;
      for (let i = 0; i < w.length; i++)
        if (Math.abs(g.data[i] - w[i]) > 1e-6 + 2e-4 * Math.abs(w[i]) + 5e-3 * over.steps * noiseStep)
          expect.fail(`${g.name}[${i}]: got ${g.data[i]}, want ${w[i]}`);
    }
    await sharded.run(over.steps);
    expect(maxAbsDiff(await sharded.exportTensors(), before)).toBeLessThan(2e-5);
    for (const t of [whole, micro, sharded]) t.destroy();
  });

  it('refuses a microBatch above the batch, or negative, naming the key', () => {
    const err = (over: Record<string, unknown>) => {
      try {
        makeConfig({ ...BASE, ...over });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    };
    const above = err({ microBatch: 17 });
    expect(above).toBeInstanceOf(ConfigError);
    expect(above.key).toBe('microBatch');
    expect(above.message).toMatch(/microBatch \(17\) exceeds batch \(16\)/);
    expect(err({ microBatch: -1 }).key).toBe('microBatch');
    expect(makeConfig({ ...BASE, microBatch: 16 }).microBatch).toBe(16);
  });

  it('an algorithm whose table noise the micro-batch step does not split refuses microBatch', async () => {
    // e.g. a kind whose update reads the current batch's pairs: it would see the last micro-batch's only
    const other = { ...algorithm('dpsgd'), tableNoise: 'other-kind' as TableNoise };
    const c = makeConfig({ ...BASE, algo: 'dpsgd', microBatch: 4 });
    const err = await Trainer.create(eng.device, c, { algorithm: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('microBatch');
  });

  it('epsilon depends on the logical batch only', () => {
    const c = makeConfig({ ...BASE, algo: 'dpsgd' });
    const m = makeConfig({ ...BASE, algo: 'dpsgd', microBatch: 3 });
    expect(epsilonAfter(m, 1, c.steps)).toBe(epsilonAfter(c, 1, c.steps));
    expect(maxBatchFor(m)).toBe(maxBatchFor(c));
  });

  it('a trainer whose batch does not fit memoryLimit trains in the micro-batches the plan picked, and says so', async () => {
    const c = makeConfig({
      ...BASE,
      algo: 'lazydp',
      tables: [64],
      pooling: 128,
      dim: 32,
      batch: 1024,
      datasetSize: 2048,
      steps: 2,
      memoryLimit: 1 / 64,
    });
    expect(estimateMemory(c, undefined, { noSearch: true }).fits).toBe(false);
    const t = await Trainer.create(eng.device, c);
    expect(t.microBatch).toBeGreaterThan(0);
    expect(t.microBatch).toBeLessThan(1024);
    expect(t.batchNote).toMatch(new RegExp(`micro-batches of ${t.microBatch.toLocaleString('en')}`));
    await t.run(2);
    const s = t.summary();
    expect(s.steps).toBe(2);
    expect(Number.isFinite(s.finalLoss)).toBe(true);
    t.destroy();
  });

  it('the memory plan picks the largest micro-batch that fits when the batch does not, and says so', () => {
    for (const batch of [16384, 65536]) {
      const c = makeConfig({
        algo: 'dpsgd',
        batch,
        datasetSize: 1_000_000,
        tables: [100_000, 100_000],
        dim: 16,
        pooling: 8,
        memoryLimit: 1 / 32,
      });
      const whole = estimateMemory(c, undefined, { noSearch: true });
      expect(whole.fits).toBe(false);
      expect(whole.problemKey).toBe('batch');
      const est = estimateMemory(c);
      expect(est.fits).toBe(true);
      expect(est.microBatch).toBeGreaterThan(0);
      expect(est.microBatch).toBeLessThan(batch);
      expect(est.totalBytes).toBeLessThanOrEqual(est.limitBytes);
      expect(est.microNote).toMatch(new RegExp(`micro-batches of ${est.microBatch.toLocaleString('en')}`));
      // the largest: one more example does not fit
      expect(estimateMemory(c, undefined, { microBatch: est.microBatch + 1, noSearch: true }).fits).toBe(false);
      // a micro-batch the user chose is kept (and no note)
      const own = estimateMemory({ ...c, microBatch: 1024 });
      expect(own.microBatch).toBe(1024);
      expect(own.microNote).toBeUndefined();
    }
  });
});
