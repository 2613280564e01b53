// Table initialisation on the GPU (shaders/init_table.wgsl) against the CPU reference, also per shard.
import { describe, it } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { initTable } from '../../src/kernels/init';
import { initTableRef } from '../../src/engine/model';

const gpu = kernelTest(1234);
const { f32, empty, run } = gpu;

describe('table initialisation', () => {
  it('uniform(-1/sqrt(R), 1/sqrt(R)) rows from Philox equal the CPU reference', async () => {
    const rows = 70,
      D = 7,
      t = 3,
      seed = 42;
    const buf = empty(rows * D * 4);
    run(initTable(gpu.device, { rows, D, table: t, seed, tableRows: rows, rowStart: 0 }, { E: buf }));
    expectClose(await f32(buf), initTableRef(rows, D, t, seed), 1e-6, 1e-7);
  });
});

// A table larger than one binding is split into shards of consecutive rows (src/engine/memory.ts);
// every kernel that touches rows must give the split table exactly what it gives the whole one.
describe('tables split into shards', () => {
  it('initialisation: a shard holds the rows the whole table would', async () => {
    const rows = 70,
      D = 7,
      t = 1,
      seed = 9;
    const whole = initTableRef(rows, D, t, seed);
    for (const [a, b] of [
      [0, 33],
      [33, 70],
    ]) {
      const buf = empty((b - a) * D * 4);
      run(initTable(gpu.device, { rows: b - a, D, table: t, seed, tableRows: rows, rowStart: a }, { E: buf }));
      expectClose(await f32(buf), whole.subarray(a * D, b * D), 1e-6, 1e-7);
      expectClose(initTableRef(rows, D, t, seed, a, b - a), whole.subarray(a * D, b * D), 0, 0);
    }
  });
});
