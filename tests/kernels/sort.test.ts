// The GPU sort of a batch's (row, slot) pairs (shaders/sort.wgsl) against the reference.
import { describe, it, expect } from 'vitest';
import { kernelTest } from '../helpers/kernels';
import { sortPairs, sortPairsRef, sortAllRef, sortPlan, SORT_BLOCK } from '../../src/kernels/sort';
import { INVALID_ROW } from '../../src/data/format';

const gpu = kernelTest(1234);
const { rng, u32, empty, runAll, sortDispatches, buffer } = gpu;

describe('GPU sort of (row, slot) pairs', () => {
  for (const [used, rows] of [
    [300, 17],
    [2000, 500],
    [5000, 1 << 30],
  ]) {
    it(`${used} pairs over ${rows} rows, with masked examples and empty slots`, async () => {
      const L = 4;
      let N = SORT_BLOCK;
      while (N < used) N *= 2;
      const idx = Uint32Array.from({ length: used }, () =>
        rng.next() < 0.05 ? INVALID_ROW : Math.floor(rng.next() * Math.min(rows, 1e9)),
      );
      const mask = Float32Array.from({ length: Math.ceil(used / L) }, () => (rng.next() < 0.9 ? 1 : 0));
      const keys = empty(N * 4),
        vals = empty(N * 4);
      runAll(sortDispatches(N, used, L, rows, buffer(idx), buffer(mask), keys, vals));
      const ref = sortPairsRef(N, used, L, rows, idx, 0, mask);
      expect(Array.from((await u32(keys)).subarray(0, N))).toEqual(Array.from(ref.keys));
      expect(Array.from((await u32(vals)).subarray(0, N))).toEqual(Array.from(ref.vals));
    });
  }
});

// Every table's pairs in the same passes (one sort per step, not one per table): each table's
// segment must hold exactly what sorting that table alone gives.
describe('one sort for all tables', () => {
  it('three tables of different sizes in one sort equal each table sorted alone', async () => {
    const L = 3,
      B = 400,
      used = B * L;
    const rows = [17, 1 << 20, 300];
    let N = SORT_BLOCK;
    while (N < used) N *= 2; // 2048: several blocks and global steps
    const idx = new Uint32Array(rows.length * used);
    rows.forEach((R, t) => {
      for (let i = 0; i < used; i++)
        idx[t * used + i] = rng.next() < 0.05 ? INVALID_ROW : Math.floor(rng.next() ** 2 * R);
    });
    // the same row numbers in adjacent tables: the segments must not mix
    idx[used - 1] = 5;
    idx[used] = 5;
    const mask = Float32Array.from({ length: B }, () => (rng.next() < 0.9 ? 1 : 0));
    const idxBuf = buffer(idx),
      maskBuf = buffer(mask);
    const keys = empty(rows.length * N * 4),
      vals = empty(rows.length * N * 4);
    runAll(
      sortPairs(
        gpu.device,
        { n: N, used, L, rows, offIdx: 0, strideIdx: used },
        { idx: idxBuf, mask: maskBuf, keys, vals },
      ),
    );
    const all = { keys: await u32(keys), vals: await u32(vals) };
    const ref = sortAllRef(N, used, L, rows, idx, used, mask);
    expect(Array.from(all.keys)).toEqual(Array.from(ref.keys));
    expect(Array.from(all.vals)).toEqual(Array.from(ref.vals));
    // and each table sorted on its own by the same kernels
    for (let t = 0; t < rows.length; t++) {
      const k1 = empty(N * 4),
        v1 = empty(N * 4);
      runAll(
        sortPairs(
          gpu.device,
          { n: N, used, L, rows: rows[t], offIdx: t * used },
          { idx: idxBuf, mask: maskBuf, keys: k1, vals: v1 },
        ),
      );
      expect(Array.from(all.keys.subarray(t * N, (t + 1) * N)), `table ${t} keys`).toEqual(Array.from(await u32(k1)));
      expect(Array.from(all.vals.subarray(t * N, (t + 1) * N)), `table ${t} vals`).toEqual(Array.from(await u32(v1)));
    }
  });
});

// Two long-range steps per pass (global_step2): the plan must still be the whole bitonic network.
describe('sort passes', () => {
  it('the plan covers every step (k, j >= 512) of the network once, in order, two per pass where it can', () => {
    const n = 1 << 16;
    const plan = sortPlan(n);
    const covered: [number, number][] = [];
    for (const st of plan) {
      if (st.kind === 'global') covered.push([st.k, st.j]);
      if (st.kind === 'global2') covered.push([st.k, st.j], [st.k, st.j / 2]);
    }
    const want: [number, number][] = [];
    for (let k = 2 * SORT_BLOCK; k <= n; k *= 2) for (let j = k / 2; j >= SORT_BLOCK; j /= 2) want.push([k, j]);
    expect(covered).toEqual(want);
    // 7 merge stages above one block: 16 long-range passes instead of 28
    expect(plan.filter((s) => s.kind !== 'local').length).toBe(16);
  });

  it('20 000 pairs (32 768 sorted positions: three double passes in the last stage) over 2 tables', async () => {
    const L = 5,
      used = 20000;
    const rows = [3000, 1 << 24];
    const N = 32768;
    const idx = Uint32Array.from({ length: 2 * used }, (_, i) =>
      Math.floor(rng.next() ** 3 * rows[Math.floor(i / used)]),
    );
    const mask = Float32Array.from({ length: used / L }, () => (rng.next() < 0.95 ? 1 : 0));
    const keys = empty(2 * N * 4),
      vals = empty(2 * N * 4);
    runAll(
      sortPairs(
        gpu.device,
        { n: N, used, L, rows, offIdx: 0, strideIdx: used },
        { idx: buffer(idx), mask: buffer(mask), keys, vals },
      ),
    );
    const ref = sortAllRef(N, used, L, rows, idx, used, mask);
    expect(Array.from(await u32(keys))).toEqual(Array.from(ref.keys));
    expect(Array.from(await u32(vals))).toEqual(Array.from(ref.vals));
  });
});
