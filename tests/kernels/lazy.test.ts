// LazyDP's deferred noise (shaders/lazy.wgsl): lookahead rows, history and flush, aggregated and
// exact, against the TypeScript draws, and shard by shard.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { lazyLookahead, lazyFlush, lrSquaredPrefix, lookaheadRef, flushRef } from '../../src/kernels/noise';
import { sortPairsRef } from '../../src/kernels/sort';
import type { StepValues } from '../../src/kernels/step';
import { seedToKey } from '../../src/noise/philox';

const gpu = kernelTest(1234);
const { rng, randn, f32, u32, empty, run, runAll, stepUniform, sortDispatches, split, buffer } = gpu;
const key = seedToKey('123456789012345');

describe('noisy updates (Philox noise in the kernel against the TypeScript draws)', () => {
  for (const exact of [false, true]) {
    it(`LazyDP ${exact ? 'exact replay' : 'aggregated draw'}: lookahead rows, history, then flush of the rest`, async () => {
      const rows = 50,
        D = 5,
        table = 1,
        steps = 12,
        N = 512,
        L = 2,
        B = 20;
      const lrs = Float32Array.from({ length: steps + 1 }, (_, s) => (s === 0 ? 0 : 0.1 + 0.02 * s));
      const { prefix: pre, sums: prefix } = lrSquaredPrefix(steps, (s) => lrs[s]);
      const H = Uint32Array.from({ length: rows }, () => Math.floor(rng.next() * 7)); // pending gaps of 1..7 steps
      H[3] = 9; // already up to date: no noise
      const E = randn(rows * D);
      const bufE = buffer(E),
        bufH = buffer(H);
      const idx = Uint32Array.from({ length: B * L }, () => Math.floor(rng.next() * 30));
      idx[0] = idx[1] = 3;
      const mask = Float32Array.from({ length: B }, () => 1);
      const keys = empty(N * 4),
        vals = empty(N * 4);
      const lp = { n: N, rows, D, table, rowStart: 0 };
      const st: StepValues = { step: 9, lr: lrs[9], invB: 1 / 8, noiseStd: 1.5, key };
      const bl = buffer(lrs),
        bp = buffer(pre);
      runAll([
        ...sortDispatches(N, B * L, L, rows, buffer(idx), buffer(mask), keys, vals),
        lazyLookahead(gpu.device, exact, lp, { st: stepUniform(st), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp, keys }),
      ]);
      const ref = sortPairsRef(N, B * L, L, rows, idx, 0, mask);
      lookaheadRef(st, table, D, ref.keys, E, H, lrs, prefix, exact);
      expect(Array.from(await u32(bufH))).toEqual(Array.from(H));
      expectClose(await f32(bufE), E, 1e-4, 5e-5);
      // then flush at step 12: every row catches up, whatever its gap
      const st2: StepValues = { ...st, step: 12 };
      run(lazyFlush(gpu.device, exact, lp, { st: stepUniform(st2), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp }));
      flushRef(st2, table, rows, D, E, H, lrs, prefix, exact);
      expect(Array.from(await u32(bufH))).toEqual(new Array(rows).fill(12));
      expectClose(await f32(bufE), E, 1e-4, 5e-5);
    });
  }
});

// A table larger than one binding is split into shards of consecutive rows (src/engine/memory.ts);
// every kernel that touches rows must give the split table exactly what it gives the whole one.
describe('tables split into shards', () => {
  for (const exact of [false, true]) {
    it(`LazyDP ${exact ? 'exact' : 'aggregated'}: lookahead and flush shard by shard equal the whole table`, async () => {
      const rows = 50,
        D = 5,
        table = 2,
        steps = 10,
        N = 256,
        L = 2,
        B = 30;
      const lrs = Float32Array.from({ length: steps + 1 }, (_, s) => (s === 0 ? 0 : 0.2));
      const { prefix: pre, sums: prefix } = lrSquaredPrefix(steps, (s) => lrs[s]);
      const H = Uint32Array.from({ length: rows }, () => Math.floor(rng.next() * 6));
      const E = randn(rows * D);
      const idx = Uint32Array.from({ length: B * L }, () => Math.floor(rng.next() * rows));
      const mask = Float32Array.from({ length: B }, () => 1);
      const keys = empty(N * 4),
        vals = empty(N * 4);
      runAll(sortDispatches(N, B * L, L, rows, buffer(idx), buffer(mask), keys, vals));
      const ref = sortPairsRef(N, B * L, L, rows, idx, 0, mask);
      const st: StepValues = { step: 7, lr: 0.2, invB: 1 / 8, noiseStd: 1.5, key };
      const st2: StepValues = { ...st, step: 10 };
      const wantE = E.slice(),
        wantH = H.slice();
      lookaheadRef(st, table, D, ref.keys, wantE, wantH, lrs, prefix, exact);
      const afterLookE = wantE.slice(),
        afterLookH = wantH.slice();
      flushRef(st2, table, rows, D, wantE, wantH, lrs, prefix, exact);
      const bl = buffer(lrs),
        bp = buffer(pre);
      for (const sh of split(E, D, [0, 21, 50])) {
        const bufE = buffer(sh.E),
          bufH = buffer(H.slice(sh.rowStart, sh.rowStart + sh.rows));
        const lp = { n: N, rows: sh.rows, D, table, rowStart: sh.rowStart };
        run(
          lazyLookahead(gpu.device, exact, lp, {
            st: stepUniform(st),
            E: bufE,
            H: bufH,
            lrs: bl,
            lrSqPrefix: bp,
            keys,
          }),
        );
        expect(Array.from(await u32(bufH))).toEqual(
          Array.from(afterLookH.subarray(sh.rowStart, sh.rowStart + sh.rows)),
        );
        expectClose(await f32(bufE), afterLookE.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-4, 5e-5);
        run(lazyFlush(gpu.device, exact, lp, { st: stepUniform(st2), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp }));
        expect(Array.from(await u32(bufH))).toEqual(new Array(sh.rows).fill(10));
        expectClose(await f32(bufE), wantE.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-4, 5e-5);
      }
    });
  }
});
