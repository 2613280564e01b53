// LazyDP's deferred noise (shaders/lazy.wgsl): lookahead rows, history and flush, aggregated and
// exact, against the TypeScript draws, and shard by shard.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { noiseTolerance } from '../helpers/tolerance';
import { kernelTest } from '../helpers/kernels';
import {
  lazyLookahead,
  lazyFlush,
  lrSquaredPrefix,
  lookaheadRef,
  flushRef,
  flushPlan,
  flushRounds,
  FLUSH_RATE,
  FLUSH_WORK_PER_DISPATCH,
} from '../../src/kernels/noise';
import { sortPairsRef } from '../../src/kernels/sort';
import type { StepValues } from '../../src/kernels/step';
import { seedToKey } from '../../src/noise/philox';

const gpu = kernelTest(1234);
const { rng, randn, f32, u32, empty, run, runAll, stepUniform, sortDispatches, split, buffer } = gpu;
const key = seedToKey('123456789012345');

/** What rows caught up to step t may be off by on a conforming GPU: every draw's normal (WGSL's bounds). */
function lazyTol(exact: boolean, st: StepValues, lrs: Float32Array, sums: Float64Array) {
  const t = st.step;
  const lrTotal = exact ? lrs.subarray(1, t + 1).reduce((a, v) => a + v, 0) : Math.sqrt(sums[t]);
  return noiseTolerance(lrTotal * st.invB * st.noiseStd, t);
}

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
      const tol = lazyTol(exact, { ...st, step: 12 }, lrs, prefix);
      expectClose(await f32(bufE), E, tol.rel, tol.abs);
      // then flush at step 12: every row catches up, whatever its gap
      const st2: StepValues = { ...st, step: 12 };
      runAll(lazyFlush(gpu.device, exact, lp, { st: stepUniform(st2), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp }));
      flushRef(st2, table, rows, D, E, H, lrs, prefix, exact);
      expect(Array.from(await u32(bufH))).toEqual(new Array(rows).fill(12));
      expectClose(await f32(bufE), E, tol.rel, tol.abs);
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
        const tol = lazyTol(exact, st2, lrs, prefix);
        expectClose(
          await f32(bufE),
          afterLookE.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D),
          tol.rel,
          tol.abs,
        );
        runAll(lazyFlush(gpu.device, exact, lp, { st: stepUniform(st2), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp }));
        expect(Array.from(await u32(bufH))).toEqual(new Array(sh.rows).fill(10));
        expectClose(await f32(bufE), wantE.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), tol.rel, tol.abs);
      }
    });
  }
});

// lazydp-exact's flush replays every pending step of every row: one dispatch over a large table
// can outlive a GPU watchdog (Windows: 2 s), so it is split into row ranges and rounds of steps.
describe('the flush split into short dispatches', () => {
  for (const exact of [true, false]) {
    it(`${exact ? 'exact' : 'aggregated'}: row ranges x rounds of steps give the unsplit flush bit for bit`, async () => {
      const rows = 150,
        D = 5,
        table = 1,
        t = 40;
      const lrs = Float32Array.from({ length: t + 1 }, (_, s) => (s === 0 ? 0 : 0.1 + 0.01 * s));
      const { prefix } = lrSquaredPrefix(t, (s) => lrs[s]);
      const H0 = Uint32Array.from({ length: rows }, () => Math.floor(rng.next() * t)); // up to 40 steps behind
      H0[7] = 0;
      const E0 = randn(rows * D);
      const st = stepUniform({ step: t, lr: lrs[t], invB: 1 / 8, noiseStd: 1.5, key });
      const lp = { n: 64, rows, D, table, rowStart: 0 };
      const flushWith = async (plan: ReturnType<typeof flushPlan>, rounds: number) => {
        const E = buffer(E0),
          H = buffer(H0);
        const ds = lazyFlush(gpu.device, exact, lp, { st, E, H, lrs: buffer(lrs), lrSqPrefix: buffer(prefix) }, plan);
        for (let r = 0; r < rounds; r++) runAll(ds);
        return { E: await u32(E), H: await u32(H), dispatches: ds.length };
      };
      const whole = await flushWith({ chunks: [{ first: 0, count: rows }], maxSteps: 0xffffffff }, 1);
      // 40 rows of 2 quads x 3 steps per dispatch: 4 row ranges, 14 rounds (exact)
      const plan = flushPlan(rows, D, exact, 2 * 3 * 40, 3);
      const rounds = flushRounds(exact, t, 3);
      expect(plan.chunks.map((c) => c.count)).toEqual(exact ? [40, 40, 40, 30] : [120, 30]);
      expect(rounds).toBe(exact ? 14 : 1);
      const split = await flushWith(plan, rounds);
      expect(split.dispatches).toBe(plan.chunks.length);
      expect(Array.from(split.H)).toEqual(new Array(rows).fill(t));
      expect(Array.from(whole.H)).toEqual(new Array(rows).fill(t));
      expect(Array.from(split.E)).toEqual(Array.from(whole.E)); // the f32 bits
      if (exact) {
        // one round fewer leaves the row furthest behind short: the rounds are needed
        const short = await flushWith(plan, rounds - 1);
        expect(short.H[7]).toBe(39);
      }
    });
  }

  it('the plan bounds every dispatch at the benchmark shape: 2^29 row-step-quads, ~100 ms at the assumed rate', () => {
    for (const rows of [2 ** 23, 8 * 2 ** 23, 1000])
      for (const D of [64, 16, 6])
        for (const exact of [true, false]) {
          const plan = flushPlan(rows, D, exact);
          const steps = exact ? plan.maxSteps : 1;
          expect(plan.chunks[0].first).toBe(0);
          let next = 0;
          for (const c of plan.chunks) {
            expect(c.first).toBe(next); // contiguous, no row twice, none left out
            next = c.first + c.count;
            const work = c.count * Math.ceil(D / 4) * steps;
            expect(work).toBeLessThanOrEqual(FLUSH_WORK_PER_DISPATCH);
            expect(work / FLUSH_RATE).toBeLessThanOrEqual(0.11);
          }
          expect(next).toBe(rows);
        }
    // the case: 70 pending steps of 8 x 2^23 rows of 64 was one ~2 s dispatch
    expect(flushRounds(true, 70)).toBe(5);
    expect(flushPlan(8 * 2 ** 23, 64, true).chunks.length).toBe(32);
  });
});
