// A table larger than one binding is split into shards of consecutive rows. Forcing
// small shards on small tables, every algorithm must train the model it trains unsplit: the same
// noise (counters use table rows), the same pending-noise bookkeeping, the same exports.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL, concatBytes } from '../helpers/engine';
import { maxAbsDiff } from '../helpers/tensors';
import { makeConfig } from '../../src/config/config';
import {
  Trainer,
  estimateMemory,
  planShards,
  modelLayout,
  encodeSafetensors,
  safetensorsHeader,
  decodeSafetensors,
} from '../../src/engine';

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  tables: [250, 37],
  dim: 6,
  pooling: 3,
  batch: 16,
  dense: 4,
  datasetSize: 128,
  evalSize: 32,
  steps: 12,
  seed: '4242',
  zipf: 0.8,
};

describe('shard plan', () => {
  it('cuts a table into bindings of whole rows, balanced (sizes differ by at most one row)', () => {
    const limits = { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1000 }; // 41 rows of 6 floats
    expect(planShards(100, 6, limits)).toEqual([
      { rowStart: 0, rows: 34 },
      { rowStart: 34, rows: 33 },
      { rowStart: 67, rows: 33 },
    ]);
    expect(planShards(100, 6, { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 30 })).toEqual([
      { rowStart: 0, rows: 100 },
    ]);
    expect(planShards(100, 6, undefined, 30).map((s) => s.rows)).toEqual([25, 25, 25, 25]);
    expect(planShards(250, 6, undefined, 40).map((s) => s.rows)).toEqual([36, 36, 36, 36, 36, 35, 35]);
  });

  it('a table beyond one binding fits when memory allows, and the limit names the largest table that fits', () => {
    const limits = { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 };
    const big = makeConfig({ tables: [2 ** 24, 1000], dim: 16, algo: 'lazydp' }); // 1 GiB table on 128 MiB bindings
    const est = estimateMemory(big, limits);
    expect(est.fits).toBe(true);
    expect(est.shards).toEqual([8, 1]);
    expect(Math.max(...est.buffers.map((b) => b.bytes))).toBeLessThanOrEqual(2 ** 27);
    const tight = estimateMemory({ ...big, memoryLimit: 0.5 }, limits);
    expect(tight.fits).toBe(false);
    expect(tight.problemKey).toBe('tables');
    const rows = Number(
      tight.problem!.match(/largest table that fits beside the others has ([\d,]+) rows/)![1].replace(/,/g, ''),
    );
    // that many rows do fit, one more row per KiB does not
    expect(estimateMemory({ ...big, memoryLimit: 0.5, tables: [rows, 1000] }, limits).fits).toBe(true);
    expect(estimateMemory({ ...big, memoryLimit: 0.5, tables: [rows + 1024, 1000] }, limits).fits).toBe(false);
  });

  it('a dense table optimizer counts its gradient and state buffers, shard by shard', () => {
    const limits = { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 };
    const base = makeConfig({ tables: [2 ** 23, 1000], dim: 16, algo: 'dpsgd' });
    const tableBytes = (2 ** 23 + 1000) * 16 * 4;
    const plain = estimateMemory(base, limits).totalBytes;
    for (const [over, k] of [
      [{ weightDecay: 0.1 }, 1],
      [{ tableOptimizer: 'momentum' }, 2],
      [{ tableOptimizer: 'adam' }, 3],
    ] as const) {
      const est = estimateMemory(makeConfig({ ...base, ...over }), limits);
      expect(est.totalBytes - plain).toBe(k * tableBytes);
      expect(Math.max(...est.buffers.map((b) => b.bytes))).toBeLessThanOrEqual(2 ** 27); // split like the table
    }
    // the MLP optimizers' state: one (momentum) or two (Adam) copies of the MLP parameters
    const params = modelLayout(base).layers.reduce((a, l) => a + l.inDim * l.outDim + l.outDim, 0);
    expect(estimateMemory(makeConfig({ ...base, mlpOptimizer: 'momentum' }), limits).totalBytes - plain).toBe(
      params * 4,
    );
    expect(estimateMemory(makeConfig({ ...base, mlpOptimizer: 'adam' }), limits).totalBytes - plain).toBe(params * 8);
    // and the largest table that fits accounts for them
    const tight = estimateMemory(makeConfig({ ...base, tableOptimizer: 'adam', memoryLimit: 1 }), limits);
    const rows = Number(tight.problem!.match(/has ([\d,]+) rows/)![1].replace(/,/g, ''));
    expect(
      estimateMemory(makeConfig({ ...base, tableOptimizer: 'adam', memoryLimit: 1, tables: [rows, 1000] }), limits)
        .fits,
    ).toBe(true);
    expect(
      estimateMemory(
        makeConfig({ ...base, tableOptimizer: 'adam', memoryLimit: 1, tables: [rows + 1024, 1000] }),
        limits,
      ).fits,
    ).toBe(false);
  });
});

describe('training on split tables equals training on whole ones', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['sgd', { algo: 'sgd' }],
    ['dpsgd fused', { algo: 'dpsgd' }],
    ['dpsgd unfused, per-layer clipping', { algo: 'dpsgd', noiseKernel: 'unfused', clipping: 'per-layer' }],
    ['lazydp', { algo: 'lazydp' }],
    ['lazydp-exact', { algo: 'lazydp-exact' }],
    ['sgd, momentum on tables', { algo: 'sgd', tableOptimizer: 'momentum' }],
    ['dpsgd, Adam and weight decay on tables', { algo: 'dpsgd', tableOptimizer: 'adam', weightDecay: 0.01, lr: 0.01 }],
    [
      'dpsgd, momentum and weight decay on tables, unfused noise',
      { algo: 'dpsgd', tableOptimizer: 'momentum', weightDecay: 0.01, noiseKernel: 'unfused' },
    ],
  ];
  for (const [name, over] of cases) {
    it(name, async () => {
      const c = makeConfig({ ...BASE, ...over });
      const whole = await Trainer.create(eng.device, c);
      const split = await Trainer.create(eng.device, c, { shardRows: 40 });
      expect(whole.shardLayout.map((s) => s.length)).toEqual([1, 1]);
      expect(split.shardLayout.map((s) => s.map((x) => x.rows))).toEqual([[36, 36, 36, 36, 36, 35, 35], [37]]);
      expect(maxAbsDiff(await split.exportTensors(), await whole.exportTensors())).toBe(0); // initialisation
      // part way: pending LazyDP noise (history) is the same, row by row, across shard boundaries
      await whole.run(7);
      await split.run(7);
      expect(Array.from(await split.readHistory(0, 30, 100))).toEqual(Array.from(await whole.readHistory(0, 30, 100)));
      await whole.run(c.steps);
      await split.run(c.steps);
      const a = await whole.exportTensors(),
        b = await split.exportTensors();
      // only the float order of a bag's sum changes (shard by shard), so the models agree closely
      expect(maxAbsDiff(a, b)).toBeLessThan(2e-5);
      expect(Array.from(await split.readRows(0, 35, 12))).toEqual(Array.from(b[0].data.subarray(35 * 6, 47 * 6)));
      if (over.algo !== 'sgd') {
        // the noise really is there on both sides: far from the initial weights
        const init = await (await Trainer.create(eng.device, c)).exportTensors();
        expect(maxAbsDiff(b, init)).toBeGreaterThan(1e-3);
      }
      const ea = await whole.evaluate(),
        eb = await split.evaluate();
      expect(eb.auc).toBeCloseTo(ea.auc, 3);
      whole.destroy();
      split.destroy();
    });
  }
});

describe('streamed export', () => {
  it('writes, piece by piece across shards, the bytes of the in-memory file, flushed', async () => {
    const c = makeConfig({ ...BASE, algo: 'lazydp', steps: 5 });
    const t = await Trainer.create(eng.device, c, { shardRows: 40 });
    await t.run(4); // not finished: LazyDP noise is pending until the export flushes it
    const meta = { algo: 'lazydp' };
    const parts: Uint8Array[] = [safetensorsHeader(t.exportShapes(), meta).bytes];
    await t.exportStream(
      (b) => {
        parts.push(b.slice());
      },
      7 * 6 * 4,
    ); // 7 rows per piece: pieces straddle the 40-row shards
    const tableParts = Math.ceil(250 / 7) + Math.ceil(37 / 7);
    expect(parts.length).toBe(1 + tableParts + 2 * 4);
    expect(parts.slice(1, 1 + tableParts).every((p) => p.length <= 7 * 6 * 4)).toBe(true);
    const streamed = concatBytes(parts);
    expect(Array.from(await t.readHistory(0, 0, 250)).every((h) => h === 4)).toBe(true); // flushed
    const whole = encodeSafetensors(await t.exportTensors(), meta);
    expect(streamed.length).toBe(whole.length);
    expect(Buffer.compare(Buffer.from(streamed), Buffer.from(whole))).toBe(0);
    expect(decodeSafetensors(streamed).tensors.get('tables.0')!.shape).toEqual([250, 6]);
    t.destroy();
  });
});
