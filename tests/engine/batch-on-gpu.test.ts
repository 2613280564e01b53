// The data set on the GPU (issue 10): a step uploads its example ids, a kernel gathers the batch.
// Where the data set does not fit (one binding, or the memory limit beside the model) the trainer
// assembles batches on the CPU instead; both paths train the same model bit for bit, evaluate to
// the same AUC and loss, and the memory plan says which path a configuration takes.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL } from '../helpers/engine';
import { criteoText } from '../helpers/criteo';
import { makeConfig, type Config } from '../../src/config/config';
import { Trainer, estimateMemory, type NamedTensor } from '../../src/engine';
import { parseCriteo, CRITEO_TABLES } from '../../src/data/criteo';
import { makeSynthetic, type LabData } from '../../src/data/synthetic';

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  tables: [120, 33],
  dim: 4,
  pooling: 3,
  batch: 12,
  dense: 5,
  datasetSize: 96,
  evalSize: 40,
  steps: 6,
  evalEvery: 3,
  seed: '2024',
  zipf: 1.1,
};

/** Every value of both models, as bits: NaN or -0 would differ too. */
function expectSameBits(a: NamedTensor[], b: NamedTensor[]): void {
  expect(a.map((x) => x.name)).toEqual(b.map((x) => x.name));
  a.forEach((x, i) => {
    const u = new Uint32Array(x.data.buffer, x.data.byteOffset, x.data.length);
    const v = new Uint32Array(b[i].data.buffer, b[i].data.byteOffset, b[i].data.length);
    expect(u, x.name).toEqual(v);
  });
}

/** Trains `c` on both paths (the same data) and checks losses, evaluations and weights agree bit for bit. */
async function bothPaths(c: Config, data?: LabData, steps?: number) {
  const gpu = await Trainer.create(eng.device, c, { data });
  const cpu = await Trainer.create(eng.device, c, { data, batchOnGpu: false });
  expect([gpu.batchOnGpu, gpu.evalOnGpu, cpu.batchOnGpu, cpu.evalOnGpu]).toEqual([true, c.evalSize > 0, false, false]);
  await gpu.run(steps ?? c.steps);
  await cpu.run(steps ?? c.steps);
  expect(gpu.log.map((p) => [p.loss, p.auc, p.evalLoss])).toEqual(cpu.log.map((p) => [p.loss, p.auc, p.evalLoss]));
  expectSameBits(await gpu.exportTensors(), await cpu.exportTensors());
  return { gpu, cpu };
}

describe('the batch gathered on the GPU trains what the CPU-assembled batch trains', () => {
  for (const algo of ['sgd', 'dpsgd', 'lazydp', 'lazydp-exact'] as const)
    it(`${algo}: the same losses, evaluations and weights, bit for bit`, async () => {
      const { gpu, cpu } = await bothPaths(makeConfig({ ...BASE, algo }));
      expect(gpu.log.some((p) => p.auc !== undefined)).toBe(true); // evaluations ran, on the GPU path's eval split
      gpu.destroy();
      cpu.destroy();
    });

  it('Criteo data (26 tables, missing categories), Poisson batches of varying size, LazyDP', async () => {
    const data = parseCriteo(criteoText(150, 4), new Array(CRITEO_TABLES).fill(97), 30);
    const c = makeConfig({
      ...BASE,
      algo: 'lazydp',
      tables: new Array(CRITEO_TABLES).fill(97),
      pooling: 1,
      dense: 13,
      datasetSize: data.train.n,
      evalSize: 30,
    });
    const { gpu, cpu } = await bothPaths(c, data);
    expect(new Set(gpu.log.map((p) => p.examples)).size).toBeGreaterThan(1);
    gpu.destroy();
    cpu.destroy();
  });

  it('forced batches (stepOn) take the same path: repeats, one example, the lookahead batch', async () => {
    const c = makeConfig({ ...BASE, algo: 'lazydp', evalEvery: 0 });
    const gpu = await Trainer.create(eng.device, c);
    const cpu = await Trainer.create(eng.device, c, { batchOnGpu: false });
    for (const t of [gpu, cpu]) {
      await t.stepOn([3, 3, 3, 50, 95], [7]);
      await t.stepOn([7], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      await t.stepOn([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    }
    expect(gpu.log.map((p) => p.loss)).toEqual(cpu.log.map((p) => p.loss));
    expectSameBits(await gpu.exportTensors(), await cpu.exportTensors());
    await expect(gpu.stepOn([96])).rejects.toThrow(/example 96 is not one of the 96 training examples/);
    await expect(gpu.stepOn(new Array(gpu.maxBatch + 1).fill(0))).rejects.toThrow(/more than the padded batch/);
    gpu.destroy();
    cpu.destroy();
  });
});

describe('the memory plan holds the data set, or says why batches are assembled on the CPU', () => {
  it('lists the data set buffers and the ids a step uploads', () => {
    const c = makeConfig({ ...BASE, algo: 'lazydp' });
    const on = estimateMemory(c);
    const off = estimateMemory(c, undefined, { batchOnGpu: false });
    expect(on.data).toEqual({ train: true, eval: true });
    expect(off.data.train || off.data.eval).toBe(false);
    expect(off.data.note).toMatch(/assembled on the CPU/);
    const { T, L, F, B } = { T: 2, L: 3, F: 5, B: on.buffers.find((b) => b.name === 'batch example ids')!.bytes / 4 };
    const byName = Object.fromEntries(on.buffers.map((b) => [b.name, b.bytes]));
    expect(byName['data set (train): indices']).toBe(T * 96 * L * 4);
    expect(byName['data set (train): dense features']).toBe(96 * F * 4);
    expect(byName['data set (train): labels']).toBe(96 * 4);
    expect(byName['data set (eval): indices']).toBe(T * 40 * L * 4);
    expect(byName['lookahead example ids']).toBe(B * 4);
    const resident = on.buffers.filter((b) => /^(data set|batch example|lookahead example)/.test(b.name));
    expect(on.totalBytes - off.totalBytes).toBe(resident.reduce((a, b) => a + b.bytes, 0));
    // no held-out split: nothing of it on the GPU
    expect(estimateMemory(makeConfig({ ...BASE, evalSize: 0 })).data).toEqual({ train: true, eval: false });
  });

  it('a data set larger than one binding stays on the CPU; the model still fits', () => {
    const c = makeConfig({ ...BASE, datasetSize: 4000, evalSize: 100 });
    const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 4000 * 2 * 3 * 4 - 4 }; // indices 1 word too big
    const e = estimateMemory(c, limits);
    expect(e.fits).toBe(true);
    expect(e.data).toMatchObject({ train: false, eval: true });
    expect(e.data.note).toMatch(/the training indices need 93.8 KiB, more than one binding \(93.7 KiB\)/);
    expect(e.buffers.some((b) => b.name.startsWith('data set (train)'))).toBe(false);
  });

  it('a data set that does not fit beside the model within memoryLimit: the CPU path, training the same model', async () => {
    // 16 MiB (the smallest memoryLimit) holds the model but not the model and its 17 MB data set
    const base = { ...BASE, algo: 'sgd', datasetSize: 360_000, evalEvery: 0, steps: 3 };
    const tight = makeConfig({ ...base, memoryLimit: 1 / 64 });
    const roomy = makeConfig(base);
    const e = estimateMemory(tight);
    expect(e.fits).toBe(true);
    expect(e.data.train).toBe(false);
    expect(e.data.eval).toBe(true); // the held-out split still fits
    expect(e.data.note).toMatch(
      /the training data set \(.*\) does not fit beside the model within memoryLimit 0.015625 GiB/,
    );
    const data = makeSynthetic(roomy);
    const a = await Trainer.create(eng.device, tight, { data });
    const b = await Trainer.create(eng.device, roomy, { data });
    expect([a.batchOnGpu, b.batchOnGpu]).toEqual([false, true]);
    expect(a.batchNote).toBe(e.data.note);
    expect(a.stepCosts().batchOnGpu).toBe(false);
    await a.run(3);
    await b.run(3);
    expect(a.log.map((p) => [p.loss, p.auc])).toEqual(b.log.map((p) => [p.loss, p.auc]));
    expectSameBits(await a.exportTensors(), await b.exportTensors());
    a.destroy();
    b.destroy();
  });
});
