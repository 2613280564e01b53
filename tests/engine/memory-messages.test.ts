// A configuration that does not fit says which part does not (tables, MLP or batch) and the
// largest size of that part that would; the suggested size really fits.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { estimateMemory } from '../../src/engine/memory';

const LIMITS = { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 };

describe('memory messages name the part that does not fit', () => {
  it('a batch too big for one binding: the largest batch that fits, and it fits', () => {
    // a micro-batch the user set (without one, the plan picks one that fits: micro-batch.test.ts)
    const c = makeConfig({ batch: 65536, microBatch: 65536, pooling: 256, dim: 64, datasetSize: 1_000_000 });
    const e = estimateMemory(c, LIMITS);
    expect(e.fits).toBe(false);
    expect(e.problemKey).toBe('microBatch');
    const m = e.problem!.match(/grows with the batch: microBatch ([\d,]+) or less fits \(microBatch is 65536\)/);
    expect(m, e.problem).not.toBeNull();
    const n = Number(m![1].replace(/,/g, ''));
    expect(estimateMemory(makeConfig({ ...c, microBatch: n }), LIMITS).fits).toBe(true);
    expect(estimateMemory(makeConfig({ ...c, microBatch: 0 }), LIMITS).microBatch).toBeGreaterThanOrEqual(n);
  });
  it('an MLP beyond the memory limit: named as the MLP, with the parameter count that fits', () => {
    const c = makeConfig({ bottom: [4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096], memoryLimit: 1 / 16 });
    const e = estimateMemory(c);
    expect(e.fits).toBe(false);
    expect(e.problem).toMatch(
      /tables are not the problem \(tables .*, MLP .*, batch buffers .*\): the MLP's [\d,]+ parameters do not fit; at most about [\d,]+ would/,
    );
  });
  it('batch buffers beyond the memory limit: the largest batch that fits', () => {
    const c = makeConfig({
      tables: [16],
      batch: 65536,
      pooling: 256,
      dim: 64,
      datasetSize: 1_000_000,
      memoryLimit: 1 / 64,
    });
    // the whole batch in one pass (noSearch: without micro-batches, which the plan would pick)
    const e = estimateMemory(c, undefined, { noSearch: true });
    expect(e.problemKey).toBe('batch');
    expect(e.fits).toBe(false);
    const e2 = estimateMemory({ ...c, microBatch: 32768 });
    expect(e2.problemKey).toBe('microBatch');
    const m = e2.problem!.match(/batch buffers .*: microBatch ([\d,]+) or less fits \(microBatch is 32768\)/);
    expect(m, e2.problem).not.toBeNull();
    expect(estimateMemory(makeConfig({ ...c, microBatch: Number(m![1].replace(/,/g, '')) })).fits).toBe(true);
  });
});
