// Clipped per-row gradient sums over sorted pairs (shaders/segsum.wgsl) and the sparse row update
// (shaders/rows_update.wgsl) against their references, also shard by shard.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { kernelTest } from '../helpers/kernels';
import { readBuffer } from '../helpers/gpu';
import { segsum, rowsUpdate, segsumRef, rowsUpdateRef, SEGSUM_CHUNK } from '../../src/kernels/segsum';
import { sortPairsRef, heads } from '../../src/kernels/sort';
import { INVALID_ROW } from '../../src/data/format';
import type { StepValues } from '../../src/kernels/step';

const gpu = kernelTest(1234);
const { rng, randn, f32, u32, empty, runAll, stepUniform, split, buffer, sortDispatches } = gpu;

describe('clipped per-row gradient sums and the sparse row update', () => {
  for (const mode of [0, 1, 2] as const) {
    it(`segment sums in sorted order (scale mode ${mode}) and SGD on touched rows only`, async () => {
      const B = 90,
        L = 3,
        D = 6,
        rows = 40,
        N = 512;
      const idx = Uint32Array.from({ length: B * L }, () => Math.floor(rng.next() * 25));
      const mask = Float32Array.from({ length: B }, () => 1);
      const keys = empty(N * 4),
        vals = empty(N * 4);
      const G = randn(B * 2 * D);
      const scale = Float32Array.from({ length: B + 3 }, () => rng.next() * 2);
      const rowGrad = empty(N * D * 4);
      const E = randn(rows * D);
      const bufE = buffer(E);
      const p = { n: N, L, D, offG: D, ldG: 2 * D, offScale: 3, clipSq: 0.7 };
      const st: StepValues = { step: 3, lr: 0.25, invB: 1 / 64, noiseStd: 0, key: [1, 2] };
      runAll([
        ...sortDispatches(N, B * L, L, rows, buffer(idx), buffer(mask), keys, vals),
        ...segsum(gpu.device, mode, p, { keys, vals, G: buffer(G), scale: buffer(scale), rowGrad }),
        rowsUpdate(gpu.device, { n: N, D, rowStart: 0, rows }, { st: stepUniform(st), keys, rowGrad, E: bufE }),
      ]);
      const ref = sortPairsRef(N, B * L, L, rows, idx, 0, mask);
      const rg = new Float32Array(N * D);
      segsumRef(mode, p, ref.keys, ref.vals, G, scale, rg);
      rowsUpdateRef(D, st.lr * st.invB, ref.keys, rg, E);
      const got = await f32(bufE);
      expectClose(got, E, 1e-5, 1e-6);
      // rows 25.. were never in a bag: unchanged
      const E0 = new Float32Array(await readBuffer(gpu.device, buffer(E)));
      expect(Array.from(got.subarray(25 * D))).toEqual(Array.from(E0.subarray(25 * D)));
    });
  }
});

// Long runs are cut into chunks of SEGSUM_CHUNK sorted positions whose partial sums are added in
// chunk order: the hot row of a Zipf batch must give the same sums as one walk over its run.
describe('segment sums of runs longer than a chunk', () => {
  const B = 300,
    L = 4,
    D = 5;
  /** Sorted keys with runs of these lengths (rows 1, 2, ...), INVALID_ROW up to n; vals of random examples. */
  const runs = (lengths: number[], n: number) => {
    const keys = new Uint32Array(n).fill(INVALID_ROW),
      vals = new Uint32Array(n);
    let p = 0;
    lengths.forEach((len, k) => {
      for (let q = 0; q < len; q++, p++) {
        keys[p] = k + 1;
        vals[p] = Math.floor(rng.next() * B * L);
      }
    });
    return { keys, vals };
  };
  // 100 + 156 ends at a chunk border; 256 fills exactly one chunk, 512 exactly two; 257 spills
  // one pair into the next chunk; the hot row (2100 of 3973 pairs) covers parts of 10 chunks,
  // then a run of 512 and one of 50 that cross borders off alignment
  const lengths = [100, 156, 256, 512, 257, 30, 2100, 512, 50];
  const n = 4096;
  const scale = Float32Array.from({ length: B + 3 }, () => rng.next() * 2);

  it('the layout covers what it claims', () => {
    expect(SEGSUM_CHUNK).toBe(256);
    const used = lengths.reduce((a, b) => a + b, 0);
    expect(2 * 2100).toBeGreaterThan(used);
    expect(2100).toBeGreaterThan(4 * SEGSUM_CHUNK);
  });

  it('integer gradients: exactly the reference sums at every head (no order can round them)', async () => {
    const { keys, vals } = runs(lengths, n);
    const G = Float32Array.from({ length: B * D }, () => Math.floor(rng.next() * 201) - 100);
    const p = { n, L, D, offG: 0, ldG: D, offScale: 0, clipSq: 1 };
    const rowGrad = empty(n * D * 4);
    runAll(segsum(gpu.device, 0, p, { keys: buffer(keys), vals: buffer(vals), G: buffer(G), rowGrad }));
    const want = new Float32Array(n * D);
    segsumRef(0, p, keys, vals, G, [], want);
    const got = await f32(rowGrad);
    const hs = heads(keys);
    expect(hs.length).toBe(lengths.length);
    for (const h of hs)
      expect(Array.from(got.subarray(h * D, h * D + D))).toEqual(Array.from(want.subarray(h * D, h * D + D)));
  });

  for (const mode of [1, 2] as const) {
    it(`clipped sums (scale mode ${mode}) within the row update's tolerance, bit-identical run to run`, async () => {
      const { keys, vals } = runs(lengths, n);
      const G = randn(B * 2 * D);
      const p = { n, L, D, offG: D, ldG: 2 * D, offScale: 3, clipSq: 0.7 };
      const bufs = { keys: buffer(keys), vals: buffer(vals), G: buffer(G), scale: buffer(scale) };
      const rg1 = empty(n * D * 4),
        rg2 = empty(n * D * 4);
      const rows = lengths.length + 1;
      const E = randn(rows * D);
      const bufE = buffer(E);
      const st: StepValues = { step: 3, lr: 0.25, invB: 1 / 64, noiseStd: 0, key: [1, 2] };
      runAll([
        ...segsum(gpu.device, mode, p, { ...bufs, rowGrad: rg1 }),
        rowsUpdate(
          gpu.device,
          { n, D, rowStart: 0, rows },
          { st: stepUniform(st), keys: bufs.keys, rowGrad: rg1, E: bufE },
        ),
      ]);
      runAll(segsum(gpu.device, mode, p, { ...bufs, rowGrad: rg2 }));
      const want = new Float32Array(n * D);
      segsumRef(mode, p, keys, vals, G, scale, want);
      rowsUpdateRef(D, st.lr * st.invB, keys, want, E);
      expectClose(await f32(bufE), E, 1e-5, 1e-6);
      // the sums themselves: f32 rounding bounded by the size of the terms summed
      const absG = G.map(Math.abs);
      const mag = new Float32Array(n * D);
      segsumRef(mode, p, keys, vals, absG, scale, mag);
      const ref = new Float32Array(n * D);
      segsumRef(mode, p, keys, vals, G, scale, ref);
      const got = await f32(rg1);
      for (const h of heads(keys))
        for (let d = 0; d < D; d++) {
          const i = h * D + d;
          if (!(Math.abs(got[i] - ref[i]) <= 1e-5 * mag[i] + 1e-6))
            expect.fail(`head ${h} column ${d}: got ${got[i]}, want ${ref[i]}`);
        }
      // deterministic: every word of the two runs' outputs at the heads is the same
      const w1 = await u32(rg1),
        w2 = await u32(rg2);
      for (const h of heads(keys))
        expect(Array.from(w2.subarray(h * D, h * D + D))).toEqual(Array.from(w1.subarray(h * D, h * D + D)));
    });
  }

  it('small chunks: random runs, no padding, n not a multiple of the chunk', async () => {
    const lens: number[] = [];
    const nn = 1000;
    for (let used = 0; used < nn;) {
      const len = Math.min(nn - used, 1 + Math.floor(rng.next() ** 3 * 80));
      lens.push(len);
      used += len;
    }
    const { keys, vals } = runs(lens, nn);
    const G = Float32Array.from({ length: B * D }, () => Math.floor(rng.next() * 201) - 100);
    const p = { n: nn, L, D, offG: 0, ldG: D, offScale: 0, clipSq: 1 };
    const want = new Float32Array(nn * D);
    segsumRef(0, p, keys, vals, G, [], want);
    for (const chunk of [1, 3, 7, 64]) {
      const rowGrad = empty(nn * D * 4);
      runAll(segsum(gpu.device, 0, p, { keys: buffer(keys), vals: buffer(vals), G: buffer(G), rowGrad }, chunk));
      const got = await f32(rowGrad);
      for (const h of heads(keys))
        expect(Array.from(got.subarray(h * D, h * D + D)), `chunk ${chunk}, head ${h}`).toEqual(
          Array.from(want.subarray(h * D, h * D + D)),
        );
    }
  });
});

// A table larger than one binding is split into shards of consecutive rows (src/engine/memory.ts);
// every kernel that touches rows must give the split table exactly what it gives the whole one.
describe('tables split into shards', () => {
  it('sparse row update: each shard updates its own touched rows', async () => {
    const n = 256,
      D = 3,
      rows = 40;
    const keysArr = Uint32Array.from({ length: n }, (_, p) => (p < 200 ? Math.floor((p * rows) / 200) : INVALID_ROW)); // sorted, runs of equal rows
    const rowGrad = randn(n * D);
    const E = randn(rows * D);
    const st: StepValues = { step: 2, lr: 0.5, invB: 1 / 8, noiseStd: 0, key: [1, 2] };
    const want = E.slice();
    rowsUpdateRef(D, st.lr * st.invB, keysArr, rowGrad, want);
    const keys = buffer(keysArr),
      rg = buffer(rowGrad);
    const shards = split(E, D, [0, 13, 40]).map((sh) => ({ ...sh, buf: buffer(sh.E) }));
    runAll(
      shards.map((sh) =>
        rowsUpdate(
          gpu.device,
          { n, D, rowStart: sh.rowStart, rows: sh.rows },
          { st: stepUniform(st), keys, rowGrad: rg, E: sh.buf },
        ),
      ),
    );
    for (const sh of shards)
      expectClose(await f32(sh.buf), want.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-6, 1e-6);
  });
});

// One segment sum for every table: table t's pairs are its own segment of the sorted buffers,
// with its own gradient columns and clip scales; runs never continue into the next table.
describe('segment sums of all tables in one dispatch', () => {
  for (const mode of [0, 2] as const) {
    it(`three tables (scale mode ${mode}): each equals its own sum, also with a run at a table's end`, async () => {
      const T = 3,
        n = 64,
        L = 2,
        D = 3,
        B = 40;
      const keys = new Uint32Array(T * n),
        vals = new Uint32Array(T * n);
      for (let t = 0; t < T; t++) {
        // table 0: no padding and its last run is row 9; table 1 starts with row 9 (the same
        // number in another table); table 2 has padding
        const used = t === 2 ? 50 : n;
        const rs = Array.from({ length: used }, (_, i) =>
          t === 0 ? Math.floor(i / 7) : t === 1 ? 9 + Math.floor(i / 20) : i % 5,
        );
        rs.sort((a, b) => a - b);
        for (let i = 0; i < n; i++) {
          keys[t * n + i] = i < used ? rs[i] : INVALID_ROW;
          vals[t * n + i] = Math.floor(rng.next() * B * L);
        }
      }
      const G = Float32Array.from({ length: B * (T + 1) * D }, () => Math.floor(rng.next() * 21) - 10);
      const scale = Float32Array.from({ length: 5 + T * B }, () => rng.next() * 2);
      const p = { n, L, D, offG: D, ldG: (T + 1) * D, offScale: 5, clipSq: 0.5, tables: T, strideG: D, strideScale: B };
      const want = new Float32Array(T * n * D);
      segsumRef(mode, p, keys, vals, G, scale, want);
      const rowGrad = empty(T * n * D * 4);
      runAll(
        segsum(
          gpu.device,
          mode,
          p,
          { keys: buffer(keys), vals: buffer(vals), G: buffer(G), scale: buffer(scale), rowGrad },
          8,
        ),
      );
      const got = await f32(rowGrad);
      let checked = 0;
      for (let t = 0; t < T; t++)
        for (const h of heads(keys.subarray(t * n, (t + 1) * n))) {
          const at = (t * n + h) * D;
          expectClose(got.subarray(at, at + D), want.subarray(at, at + D), 1e-5, 1e-6);
          checked++;
        }
      expect(checked).toBeGreaterThan(10);
      // table 1's first run (row 9) holds only table 1's pairs: its own sum, not table 0's added
      const own = new Float32Array(n * D);
      segsumRef(
        mode,
        { ...p, tables: 1, offG: p.offG + D, offScale: p.offScale + B },
        keys.subarray(n, 2 * n),
        vals.subarray(n, 2 * n),
        G,
        scale,
        own,
      );
      expectClose(got.subarray(n * D, n * D + D), own.subarray(0, D), 1e-5, 1e-6);
    });
  }
});
