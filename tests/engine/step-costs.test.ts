// The per-step counters (Trainer.stepCosts, RunSummary.perStep): dispatches are those the step
// graph lists, and the bytes uploaded are every queue.writeBuffer of a step, counted here by
// watching the device's queue itself: with the data set on the GPU the batch's example ids (LazyDP:
// the lookahead batch's too) and the uniforms; on the CPU path the batch's arrays the config implies.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL } from '../helpers/engine';
import { makeConfig } from '../../src/config/config';
import { Trainer, STAGES } from '../../src/engine';
import { StepUniform } from '../../src/kernels/step';
import { LOSS_CODE } from '../../src/kernels/loss';
import { uniformView } from '../../src/kernels/program';
import { OptimUniform } from '../../src/kernels/optim';
import { sortPlan, sortSize } from '../../src/kernels/sort';

const fx = engineTest();
const TINY = {
  ...SMALL_MODEL,
  tables: [40, 30],
  dim: 4,
  pooling: 2,
  batch: 8,
  dense: 3,
  datasetSize: 64,
  evalSize: 16,
  steps: 6,
  seed: 5,
  sampling: 'shuffle',
};

describe('step costs', () => {
  for (const [algo, onGpu] of [
    ['sgd', true],
    ['dpsgd', true],
    ['lazydp', true],
    ['sgd', false],
    ['dpsgd', false],
    ['lazydp', false],
  ] as const) {
    const path = onGpu ? 'data set on the GPU' : 'batches assembled on the CPU';
    it(`${algo}, ${path}: dispatches = the step graph's stage lists; uploads = every writeBuffer of a step`, async () => {
      const dev = fx.device;
      const t = await Trainer.create(dev, makeConfig({ ...TINY, algo }), { batchOnGpu: onGpu });
      expect(t.batchOnGpu).toBe(onGpu);
      const q = dev.queue;
      const orig = q.writeBuffer;
      let seen = 0;
      // every write the queue receives while the trainer runs its steps (the final flush writes
      // the Step uniform too: it runs after the last step and is not part of a step's cost)
      q.writeBuffer = function (
        this: GPUQueue,
        buffer: GPUBuffer,
        offset: number,
        data: ArrayBufferLike | ArrayBufferView,
        dataOffset?: number,
        size?: number,
      ) {
        // size counts elements of a typed array, bytes of an ArrayBuffer
        const unit = ArrayBuffer.isView(data)
          ? ((data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1)
          : 1;
        const total = ArrayBuffer.isView(data) ? data.byteLength : data.byteLength;
        const bytes = size !== undefined ? size * unit : total - (dataOffset ?? 0) * unit;
        seen += bytes;
        return orig.call(this, buffer, offset, data as ArrayBuffer, dataOffset, size);
      } as GPUQueue['writeBuffer'];
      try {
        await t.run(5); // not the last step: no flush
      } finally {
        q.writeBuffer = orig;
      }
      const perGraph = STAGES.reduce((a, st) => a + t.graphDispatches[st], 0);
      const c = t.stepCosts();
      expect(perGraph).toBeGreaterThan(0);
      // LazyDP sorts its first batch; later steps reuse the pairs the lookahead sorted
      const firstSort = algo === 'lazydp' ? sortPlan(sortSize(t.maxBatch * 2)).length + 1 : 0;
      expect(c.dispatches * 5).toBe(perGraph * 5 + firstSort);
      expect(c.uploadBytes * 5).toBe(seen);
      // the batch arrays: dense B*F, indices T*B*L, labels and mask B (f32/u32), LazyDP's lookahead indices and mask
      const B = t.maxBatch,
        T = 2,
        L = 2,
        F = 3;
      const cpuBatch = 4 * (B * F + T * B * L + 2 * B) + (algo === 'lazydp' ? 4 * (T * B * L + B) : 0);
      // resident data set: B example ids (u32), LazyDP's lookahead batch's B more
      const batch = onGpu ? 4 * B * (algo === 'lazydp' ? 2 : 1) : cpuBatch;
      // the Step and Loss uniforms, whole (no dense optimizer here: no Optim uniform)
      const step = new StepUniform(dev);
      const uniforms = step.buffer.size + uniformView(LOSS_CODE, 'u').arrayBuffer.byteLength;
      step.buffer.destroy();
      expect(c.uploadBytes).toBe(batch + uniforms);
      expect(c.batchOnGpu).toBe(onGpu);
      expect(c.cpuMs.sampling).toBeGreaterThanOrEqual(0);
      expect(c.cpuMs.assembly).toBeGreaterThan(0);
      expect(c.cpuMs.encoding).toBeGreaterThan(0);
      expect(t.summary().perStep).toEqual(c);
      t.destroy();
    });
  }

  it('a dense table optimizer adds its Optim uniform to every step', async () => {
    const base = { ...TINY, algo: 'dpsgd' };
    const plain = await Trainer.create(fx.device, makeConfig(base));
    const adam = await Trainer.create(fx.device, makeConfig({ ...base, tableOptimizer: 'adam', lr: 0.01 }));
    await plain.run(2);
    await adam.run(2);
    const extra = adam.stepCosts().uploadBytes - plain.stepCosts().uploadBytes;
    const optim = new OptimUniform(fx.device, 0);
    expect(extra).toBe(optim.buffer.size);
    optim.buffer.destroy();
    plain.destroy();
    adam.destroy();
  });

  it('lazydp counts its lookahead: more dispatches and uploads per step than dpsgd', async () => {
    const costs = [];
    for (const algo of ['dpsgd', 'lazydp'] as const) {
      const t = await Trainer.create(fx.device, makeConfig({ ...TINY, algo }));
      await t.run(2);
      costs.push(t.stepCosts());
      t.destroy();
    }
    expect(costs[1].uploadBytes).toBeGreaterThan(costs[0].uploadBytes);
    expect(costs[1].dispatches).toBeGreaterThan(costs[0].dispatches); // the lookahead's sort and pass
  });
});
