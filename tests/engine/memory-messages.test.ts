// A configuration that does not fit says which part does not (tables, MLP or batch) and the
// largest size of that part that would; the suggested size really fits.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { estimateMemory } from '../../src/engine/memory';

const LIMITS = { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 };

describe('memory messages name the part that does not fit', () => {
  it('a batch too big for one binding: the largest batch that fits, and it fits', () => {
    const c = makeConfig({ batch: 65536, pooling: 256, dim: 64, datasetSize: 1_000_000 });
    const e = estimateMemory(c, LIMITS);
    expect(e.fits).toBe(false);
    expect(e.problemKey).toBe('batch');
    const m = e.problem!.match(/grows with the batch: batch ([\d,]+) or less fits \(batch is 65536\)/);
    expect(m, e.problem).not.toBeNull();
    const n = Number(m![1].replace(/,/g, ''));
    expect(estimateMemory(makeConfig({ ...c, batch: n }), LIMITS).fits).toBe(true);
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
    const e = estimateMemory(c);
    expect(e.problemKey).toBe('batch');
    const m = e.problem!.match(/batch buffers .*: batch ([\d,]+) or less fits \(batch is 65536\)/);
    expect(m, e.problem).not.toBeNull();
    expect(estimateMemory(makeConfig({ ...c, batch: Number(m![1].replace(/,/g, '')) })).fits).toBe(true);
  });
});
