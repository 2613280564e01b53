// Embedding-bag gather (shaders/gather.wgsl) against its reference: repeats, empty bags,
// out-of-range slots, and a table split into shards.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { gather, gatherRef, INVALID_ROW } from '../../src/kernels/gather';

const gpu = kernelTest(1234);
const { rng, randn, f32, run, runAll, split, buffer } = gpu;

describe('embedding-bag gather', () => {
  it('sums bags with repeats, empty bags and out-of-range slots', async () => {
    const B = 45,
      L = 5,
      D = 7,
      rows = 60;
    const E = randn(rows * D);
    const idx = new Uint32Array(2 * B * L);
    for (let i = 0; i < idx.length; i++) idx[i] = rng.next() < 0.15 ? INVALID_ROW : Math.floor(rng.next() * 20); // rows 20..59 never touched
    for (let l = 0; l < L; l++) idx[B * L + 3 * L + l] = INVALID_ROW; // an empty bag
    idx[B * L + 4 * L] = idx[B * L + 4 * L + 1] = 5; // a repeat
    idx[B * L + 5 * L] = rows + 3; // out of range: skipped
    const p = { B, L, D, rows, offIdx: B * L, offOut: 3, ldOut: 2 * D, rowStart: 0, accumulate: 0 };
    const out = new Float32Array(3 + B * 2 * D);
    const bufOut = buffer(out);
    run(gather(gpu.device, p, { E: buffer(E), idx: buffer(idx), outV: bufOut }));
    gatherRef(p, E, idx, out);
    expectClose(await f32(bufOut), out);
    expect(out.subarray(3 + 3 * 2 * D, 3 + 3 * 2 * D + D).every((v) => v === 0)).toBe(true);
  });
});

// A table larger than one binding is split into shards of consecutive rows (src/engine/memory.ts);
// every kernel that touches rows must give the split table exactly what it gives the whole one.
describe('tables split into shards', () => {
  it('gather: shard by shard (write, then add) equals the whole table', async () => {
    const B = 40,
      L = 6,
      D = 5,
      rows = 61;
    const E = randn(rows * D);
    const idx = Uint32Array.from({ length: B * L }, () =>
      rng.next() < 0.1 ? INVALID_ROW : Math.floor(rng.next() * rows),
    );
    idx[0] = idx[1] = 16; // a repeat on the last row of shard 0
    idx[2] = 17; // the first row of shard 1
    const p = { B, L, D, rows, offIdx: 0, offOut: 0, ldOut: D, rowStart: 0, accumulate: 0 };
    const whole = new Float32Array(B * D);
    gatherRef(p, E, idx, whole);
    const bufOut = buffer(new Float32Array(B * D).fill(NaN)); // the first shard must overwrite
    const bufIdx = buffer(idx);
    const shards = split(E, D, [0, 17, 40, 61]);
    runAll(
      shards.map((sh, k) =>
        gather(
          gpu.device,
          { ...p, rows: sh.rows, rowStart: sh.rowStart, accumulate: k > 0 ? 1 : 0 },
          { E: buffer(sh.E), idx: bufIdx, outV: bufOut },
        ),
      ),
    );
    expectClose(await f32(bufOut), whole, 1e-5, 1e-5);
    const refShards = new Float32Array(B * D);
    shards.forEach((sh, k) =>
      gatherRef({ ...p, rows: sh.rows, rowStart: sh.rowStart, accumulate: k > 0 ? 1 : 0 }, sh.E, idx, refShards),
    );
    expectClose(refShards, whole, 1e-6, 1e-6);
  });
});
