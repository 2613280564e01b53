// The engine's runtime contract: how it times stages with and without 'timestamp-query', the
// device limits it asks for, bit-for-bit reproducibility from a fixed seed, the seed's Philox key
// layout, and the Poisson overflow policy (batches beyond the padded maximum are truncated and
// counted).
import { describe, expect, it, afterEach, vi } from 'vitest';
import { engineTest, SMALL_MODEL } from '../helpers/engine';
import { getNodeAdapter } from '../../src/node/dawn';
import { makeConfig, ConfigError } from '../../src/config/config';
import {
  Trainer,
  maxBatchFor,
  requestLabDevice,
  describeDevice,
  STAGES,
  type NamedTensor,
  type LogPoint,
} from '../../src/engine';
import { seedToKey } from '../../src/noise/philox';
import { poissonBatch, truncateBatch } from '../../src/privacy/sampling';
import { INVALID_ROW } from '../../src/data/format';
import { wgradSplit } from '../../src/kernels/wgrad';

// The engine has no option to set the padded maximum batch m (maxBatchFor picks it so that an
// overflow is a ~1e-6-per-step event or rarer). To see the overflow policy at work the overflow
// test forces m through the function maxBatchFor calls; everything else gets the real one.
const forced = vi.hoisted(() => ({ maxBatch: undefined as number | undefined }));
vi.mock('../../src/privacy/sampling', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/privacy/sampling')>();
  return {
    ...orig,
    chooseMaxBatch: (n: number, q: number, tail?: number) => forced.maxBatch ?? orig.chooseMaxBatch(n, q, tail),
  };
});

const eng = engineTest();
afterEach(() => {
  forced.maxBatch = undefined;
});

const TINY = {
  ...SMALL_MODEL,
  tables: [30, 12],
  dim: 4,
  pooling: 3,
  batch: 12,
  dense: 3,
  datasetSize: 64,
  evalSize: 8,
  steps: 6,
  seed: '987654321',
  zipf: 1.2,
};

function bits(ts: NamedTensor[]): { name: string; u32: Uint32Array }[] {
  return ts.map((t) => ({ name: t.name, u32: new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length) }));
}

/** Indices of the first differing word per tensor (empty when bit-identical). */
function bitDiffs(a: NamedTensor[], b: NamedTensor[]): string[] {
  const A = bits(a),
    B = bits(b);
  expect(A.map((x) => x.name)).toEqual(B.map((x) => x.name));
  const out: string[] = [];
  A.forEach((x, i) => {
    expect(x.u32.length).toBe(B[i].u32.length);
    const k = x.u32.findIndex((w, j) => w !== B[i].u32[j]);
    if (k >= 0) out.push(`${x.name}[${k}]: ${a[i].data[k]} vs ${b[i].data[k]}`);
  });
  return out;
}

function checkStageTimes(times: Record<string, number>): void {
  for (const st of STAGES) {
    expect(Number.isFinite(times[st]), `${st}: ${times[st]}`).toBe(true);
    expect(times[st], st).toBeGreaterThanOrEqual(0);
  }
  expect(
    STAGES.some((st) => times[st] > 0),
    JSON.stringify(times),
  ).toBe(true);
}

describe('stage timing', () => {
  it("without 'timestamp-query' the trainer times stages from the CPU and says so; with it, on the GPU", async () => {
    // An adapter serves one device only, so the feature-less device comes from a fresh adapter of
    // the same Dawn driver, with the same limits the lab device has and no optional features.
    const { adapter } = await getNodeAdapter();
    expect(adapter.features.has('timestamp-query')).toBe(true);
    const requiredLimits = describeDevice(null, eng.device).limits;
    const plain = await adapter.requestDevice({ requiredLimits, requiredFeatures: [] });
    const errors: string[] = [];
    plain.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
    expect(plain.features.has('timestamp-query')).toBe(false);

    const c = makeConfig({ ...TINY, algo: 'dpsgd' });
    const cpu = await Trainer.create(plain, c);
    expect(cpu.timing).toBe('cpu');
    const logs: LogPoint[] = [];
    await cpu.run(c.steps, { logEvery: 2, onLog: (p) => logs.push(p) });
    const s = cpu.summary();
    expect(s.steps).toBe(c.steps);
    expect(s.timing).toBe('cpu');
    checkStageTimes(s.stageMedianMs);
    expect(Number.isFinite(s.stepMedianMs) && s.stepMedianMs > 0).toBe(true);
    expect(logs.length).toBe(3);
    for (const p of logs) checkStageTimes(p.stageMs);
    expect(Number.isFinite(s.finalLoss)).toBe(true);
    // the same model as on the lab device: the timing path changes only how passes are submitted
    const gpu = await Trainer.create(eng.device, c);
    expect(gpu.timing).toBe('gpu-timestamp');
    await gpu.run(c.steps, { logEvery: 2 });
    const g = gpu.summary();
    expect(g.timing).toBe('gpu-timestamp');
    checkStageTimes(g.stageMedianMs);
    expect(bitDiffs(await cpu.exportTensors(), await gpu.exportTensors())).toEqual([]);
    expect(errors).toEqual([]);
    cpu.destroy();
    gpu.destroy();
    plain.destroy();
  });
});

describe('device request', () => {
  it("requestLabDevice asks for the adapter's own buffer and binding maxima (above WebGPU's defaults)", async () => {
    const { adapter } = await getNodeAdapter();
    const dev = await requestLabDevice(adapter);
    for (const k of ['maxBufferSize', 'maxStorageBufferBindingSize'] as const) {
      expect(dev.limits[k], k).toBe(adapter.limits[k]);
    }
    // so the test can tell: the adapter offers more than a device gets by default
    expect(adapter.limits.maxBufferSize).toBeGreaterThan(268435456);
    expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(134217728);
    expect(dev.features.has('timestamp-query')).toBe(adapter.features.has('timestamp-query'));
    dev.destroy();
  });
});

describe('determinism', () => {
  // a 10-row table with Zipf-popular rows: every batch sums several examples' gradients into one row
  const over = { ...TINY, tables: [10, 12], zipf: 1.5, batch: 16, steps: 5 };
  for (const algo of ['dpsgd', 'lazydp'] as const) {
    it(`${algo}: two trainers with the same fixed seed end bit-identical (tables and MLP); another seed differs`, async () => {
      const c = makeConfig({ ...over, algo });
      const run = async (seed: string) => {
        const t = await Trainer.create(eng.device, makeConfig({ ...over, algo, seed }));
        const init = await t.exportTensors();
        await t.run(c.steps);
        const out = { t, init, model: await t.exportTensors() };
        return out;
      };
      const a = await run(c.seed),
        b = await run(c.seed),
        other = await run('987654322');
      // the batches do put the same row more than once into one step's segment sums
      const ds = a.t.dataset.train;
      const b1 = a.t.batchIndices(1);
      const rows = Array.from(b1)
        .flatMap((e) => Array.from(ds.idx[0].subarray(e * ds.L, (e + 1) * ds.L)))
        .filter((r) => r !== INVALID_ROW);
      expect(rows.length - new Set(rows).size).toBeGreaterThan(5);
      // training moved every tensor, identically in both runs
      a.model.forEach((x, i) => expect(bitDiffs([x], [a.init[i]]).length, x.name).toBe(1));
      expect(bitDiffs(a.model, b.model)).toEqual([]);
      // and the seed matters (sampling and noise)
      expect(bitDiffs(a.model, other.model).length).toBe(a.model.length);
      for (const x of [a, b, other]) x.t.destroy();
    });
  }
});

describe('determinism with the MLP gradients split over the batch', () => {
  it('dpsgd, several gradient chunks: two trainers with the same fixed seed end bit-identical', async () => {
    const c = makeConfig({ ...TINY, algo: 'dpsgd', batch: 200, datasetSize: 400, steps: 2 });
    expect(wgradSplit(maxBatchFor(c), 1).chunks).toBeGreaterThan(1);
    const run = async () => {
      const t = await Trainer.create(eng.device, c);
      await t.run(c.steps);
      const out = await t.exportTensors();
      t.destroy();
      return out;
    };
    const a = await run(),
      b = await run();
    expect(bitDiffs(a, b)).toEqual([]);
  });
});

describe('seed layout', () => {
  it('seedToKey: key = (low 32 bits, high 32 bits) of the u64 seed', () => {
    expect(seedToKey('4294967296')).toEqual([0, 1]);
    expect(seedToKey('1')).toEqual([1, 0]);
    expect(seedToKey('0')).toEqual([0, 0]);
    expect(seedToKey('18446744073709551615')).toEqual([0xffffffff, 0xffffffff]);
    expect(seedToKey('4294967295')).toEqual([0xffffffff, 0]);
    expect(seedToKey('81985529216486895')).toEqual([0x89abcdef, 0x01234567]); // 0x0123456789abcdef
    expect(seedToKey(7n)).toEqual([7, 0]);
  });

  it('a seed above 2^64 - 1 or below 0 is rejected, by the config and by seedToKey', () => {
    for (const seed of ['18446744073709551616', '99999999999999999999', '-1', '1.5', '0x10', '']) {
      let err: unknown;
      try {
        makeConfig({ ...TINY, seed });
      } catch (e) {
        err = e;
      }
      expect(err, seed).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe('seed');
    }
    expect(makeConfig({ ...TINY, seed: '18446744073709551615' }).seed).toBe('18446744073709551615');
    expect(makeConfig({ ...TINY, seed: '007' }).seed).toBe('7');
    // and below the config too: two seeds never share a key by wrapping
    expect(() => seedToKey('18446744073709551616')).toThrow(RangeError);
    expect(() => seedToKey(-1)).toThrow(RangeError);
  });

  it('the trainer samples with that key: seed 2^32 is key (0, 1), not (1, 0)', async () => {
    const c = makeConfig({ ...TINY, algo: 'sgd', seed: '4294967296' });
    const t = await Trainer.create(eng.device, c);
    const q = c.batch / c.datasetSize;
    for (let s = 1; s <= 3; s++) {
      expect(Array.from(t.batchIndices(s))).toEqual(Array.from(poissonBatch([0, 1], s, c.datasetSize, q)));
    }
    expect(Array.from(t.batchIndices(1))).not.toEqual(Array.from(poissonBatch([1, 0], 1, c.datasetSize, q)));
    t.destroy();
  });
});

describe('Poisson overflow policy in the engine', () => {
  // q = 1/4 of 64 examples: batch sizes are Binomial(64, 1/4), mean 16, sd 3.5
  const over = { ...TINY, batch: 16, datasetSize: 64, steps: 8, seed: '20240611' };
  for (const algo of ['dpsgd', 'lazydp'] as const) {
    it(`${algo}: batches beyond the padded maximum are truncated to m, counted, and the privacy report pays for it`, async () => {
      // the padding maxBatchFor really picks for this run (asked under another cache key: steps + 1)
      const natural = maxBatchFor(makeConfig({ ...over, algo, steps: over.steps + 1 }));
      const m = 14;
      expect(natural).toBeGreaterThan(m + 6); // with it an overflow here would be a < 1e-6 event
      const c = makeConfig({ ...over, algo });
      forced.maxBatch = m;
      const t = await Trainer.create(eng.device, c);
      forced.maxBatch = undefined;
      expect(t.maxBatch).toBe(m);
      const key = seedToKey(c.seed);
      const q = c.batch / c.datasetSize;
      const sizes = Array.from({ length: c.steps }, (_, i) => poissonBatch(key, i + 1, c.datasetSize, q).length);
      const expectedOverflows = sizes.filter((n) => n > m).length;
      expect(expectedOverflows).toBeGreaterThan(0);
      expect(expectedOverflows).toBeLessThan(c.steps); // some batches fit: both paths run

      const logs: LogPoint[] = [];
      // mid-run the count covers the trained batches only (LazyDP has already sampled the next)
      const k = sizes.findIndex((n) => n > m) + 1; // the first overflowing step
      await t.run(k - 1, { logEvery: 1, onLog: (p) => logs.push(p) });
      expect(t.overflowBatches).toBe(0);
      await t.run(c.steps, { logEvery: 1, onLog: (p) => logs.push(p) });
      const s = t.summary();
      expect(s.overflowBatches).toBe(expectedOverflows);
      expect(s.overflowBatches).toBeGreaterThan(0);
      expect(logs.map((p) => p.step)).toEqual(sizes.map((_, i) => i + 1));
      logs.forEach((p, i) => {
        expect(p.examples, `step ${p.step}`).toBeLessThanOrEqual(m);
        expect(p.examples, `step ${p.step}`).toBe(Math.min(sizes[i], m));
        expect(Number.isFinite(p.loss), `step ${p.step}`).toBe(true);
      });
      // the truncated batch is the sampling module's uniformly random subset
      for (let st = 1; st <= c.steps; st++) {
        const full = poissonBatch(key, st, c.datasetSize, q);
        if (full.length > m) {
          const kept = truncateBatch(key, st, full, m);
          expect(kept.length).toBe(m);
          expect(Array.from(t.batchIndices(st))).toEqual(Array.from(kept));
        }
      }
      // sampling old batches again (above) does not count them twice
      expect(t.summary().overflowBatches).toBe(expectedOverflows);
      // with overflow this likely the truncation delta exceeds the config's delta: no finite epsilon
      expect(s.epsilon).toBe(Infinity);
      t.destroy();
    });
  }
});

describe('where noise time shows up in the per-stage timing', () => {
  it("fused noise has no 'noise' pass (it is inside update); unfused samples in its own timed 'noise' pass", async () => {
    const stageOf = async (noiseKernel: 'fused' | 'unfused') => {
      const t = await Trainer.create(eng.device, makeConfig({ ...TINY, algo: 'dpsgd', noiseKernel }));
      await t.run(6);
      const s = t.summary();
      t.destroy();
      return s;
    };
    const fused = await stageOf('fused');
    const unfused = await stageOf('unfused');
    expect(fused.timing).toBe('gpu-timestamp');
    expect(fused.stageMedianMs.noise).toBe(0);
    expect(unfused.stageMedianMs.noise).toBeGreaterThan(0);
    expect(fused.stageMedianMs.update).toBeGreaterThan(0);
  });
});
