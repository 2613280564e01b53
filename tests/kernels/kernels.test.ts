// Every WGSL kernel on a real WebGPU implementation against its TypeScript reference, at sizes
// with partial tiles, empty bags, repeated indices and rows no one touched.
import { describe, expect, it, beforeAll } from 'vitest';
import { getTestDevice, makeBuffer, readBuffer, runDispatches, stepUniform as stepUniformFor } from '../helpers/gpu';
import { grid, checkShaders, type Dispatch } from '../../src/kernels/program';
import { matmul, matmulRef, type MatmulOptions, type MatmulParams } from '../../src/kernels/matmul';
import { gather, gatherRef, INVALID_ROW } from '../../src/kernels/gather';
import { loss, lossRef } from '../../src/kernels/loss';
import { reluBackward, reluBackwardRef } from '../../src/kernels/relu';
import { layerNorm, bagNorm, clipFactors, layerNormRef, bagNormRef, clipRef } from '../../src/kernels/norms';
import { colsum, colsumRef } from '../../src/kernels/colsum';
import { sortPairs, sortPairsRef, SORT_BLOCK } from '../../src/kernels/sort';
import { segsum, rowsUpdate, segsumRef, rowsUpdateRef } from '../../src/kernels/segsum';
import {
  mlpUpdate, mlpSample, tableNoiseFused, tableNoiseSample, tableNoiseAdd, lazyLookahead, lazyFlush, lrSquaredPrefix,
  mlpUpdateRef, tableNoiseRef, lookaheadRef, flushRef, type StepValues,
} from '../../src/kernels/noise';
import { initTable } from '../../src/kernels/init';
import { initTableRef } from '../../src/engine/model';
import { Rng } from '../../src/data/rng';
import { seedToKey, mlpNoise } from '../../src/noise/philox';

let device: GPUDevice;
beforeAll(async () => {
  device = await getTestDevice();
  await checkShaders(device);
});

const rng = new Rng(1234);
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.normal() * scale);
const f32 = async (b: GPUBuffer) => new Float32Array(await readBuffer(device, b));
const u32 = async (b: GPUBuffer) => new Uint32Array(await readBuffer(device, b));
const empty = (bytes: number) => makeBuffer(device, new Uint8Array(Math.max(16, bytes)));

function run(d: Dispatch): void {
  runAll([d]);
}
function runAll(ds: Dispatch[]): void {
  runDispatches(device, ds);
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-5, abs = 1e-5): void {
  expect(got.length).toBe(want.length);
  let worst = 0,
    at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) - rel * Math.abs(want[i]);
    if (!(err <= abs) && (err > worst || at < 0)) {
      worst = err;
      at = i;
    }
  }
  if (at >= 0) expect.fail(`index ${at}: got ${got[at]}, want ${want[at]}`);
}

function stepUniform(st: StepValues): GPUBuffer {
  return stepUniformFor(device, st);
}

describe('matmul (tiled, strided views)', () => {
  const cases: [string, MatmulOptions, number, number, number][] = [
    ['forward X W^T + b, ReLU, partial tiles', { bias: true, relu: true }, 37, 19, 53],
    ['backward G W with ReLU mask', { reluMask: true }, 33, 21, 17],
    ['weight gradient G^T diag(c) A, flat factors', { scaleMode: 1 }, 18, 29, 45],
    ['weight gradient, per-layer factors from norms', { scaleMode: 2 }, 15, 7, 40],
    ['single row and column', { bias: true }, 1, 1, 3],
  ];
  for (const [name, o, M, N, K] of cases) {
    it(name, async () => {
      // A is a view with row stride M+K+3 and an offset, as the feature buffer is.
      const lda = K + 5,
        offA = 7;
      const A = randn(offA + M * lda);
      const B = randn(K * N + 3);
      const aux = o.bias ? randn(N) : randn(M * (N + 2) + 4);
      const scale = o.scaleMode === 2 ? Float32Array.from({ length: K + 2 }, () => rng.next() * 4) : Float32Array.from({ length: K + 2 }, () => rng.next());
      const p: MatmulParams = {
        M, N, K, offA, sAm: lda, sAk: 1, offB: 3, sBk: N, sBn: 1, offC: 2, ldc: N + 1,
        offAux: o.reluMask ? 4 : 0, ldAux: N + 2, offScale: 2, clipSq: 1.0,
      };
      const C = new Float32Array(2 + M * (N + 1));
      const bufC = makeBuffer(device, C);
      run(matmul(device, o, p, { A: makeBuffer(device, A), Bm: makeBuffer(device, B), C: bufC, aux: makeBuffer(device, aux), scale: makeBuffer(device, scale) }));
      matmulRef(o, p, A, B, C, aux, scale);
      expectClose((await f32(bufC)).subarray(0, C.length), C, 1e-5, 1e-4);
    });
  }
});

describe('embedding-bag gather', () => {
  it('sums bags with repeats, empty bags and out-of-range slots', async () => {
    const B = 45, L = 5, D = 7, rows = 60;
    const E = randn(rows * D);
    const idx = new Uint32Array(2 * B * L);
    for (let i = 0; i < idx.length; i++) idx[i] = rng.next() < 0.15 ? INVALID_ROW : Math.floor(rng.next() * 20); // rows 20..59 never touched
    for (let l = 0; l < L; l++) idx[B * L + 3 * L + l] = INVALID_ROW; // an empty bag
    idx[B * L + 4 * L] = idx[B * L + 4 * L + 1] = 5; // a repeat
    idx[B * L + 5 * L] = rows + 3; // out of range: skipped
    const p = { B, L, D, rows, offIdx: B * L, offOut: 3, ldOut: 2 * D, rowStart: 0, accumulate: 0 };
    const out = new Float32Array(3 + B * 2 * D);
    const bufOut = makeBuffer(device, out);
    run(gather(device, p, { E: makeBuffer(device, E), idx: makeBuffer(device, idx), outV: bufOut }));
    gatherRef(p, E, idx, out);
    expectClose(await f32(bufOut), out);
    expect(out.subarray(3 + 3 * 2 * D, 3 + 3 * 2 * D + D).every((v) => v === 0)).toBe(true);
  });
});

describe('loss', () => {
  it('BCE sum, count and per-example gradient with a mask, also for extreme logits', async () => {
    const B = 300;
    const logits = randn(B, 3);
    logits[0] = 80;
    logits[1] = -80;
    const labels = Float32Array.from({ length: B }, () => (rng.next() < 0.4 ? 1 : 0));
    const mask = Float32Array.from({ length: B }, (_, i) => (i % 7 === 3 ? 0 : 1));
    const dl = new Float32Array(B);
    const lossBuf = makeBuffer(device, new Float32Array(8));
    const dlBuf = makeBuffer(device, dl);
    run(loss(device, { B, slot: 2 }, { logits: makeBuffer(device, logits), labels: makeBuffer(device, labels), mask: makeBuffer(device, mask), dlogits: dlBuf, lossOut: lossBuf }).dispatch);
    const ref = lossRef(logits, labels, mask, dl);
    const got = await f32(lossBuf);
    expect(got[4]).toBeCloseTo(ref.sum, 2);
    expect(got[5]).toBe(ref.count);
    expectClose(await f32(dlBuf), dl, 1e-5, 1e-6);
  });
});

describe('ReLU backward', () => {
  it('zeroes gradients where the activation is not positive, on strided views', async () => {
    const rows = 21, cols = 9;
    const G = randn(rows * 20 + 5),
      act = randn(rows * 15 + 2);
    const p = { rows, cols, offG: 5, ldG: 20, offAct: 2, ldAct: 15 };
    const buf = makeBuffer(device, G);
    run(reluBackward(device, p, { G: buf, act: makeBuffer(device, act) }));
    reluBackwardRef(p, G, act);
    expectClose(await f32(buf), G);
  });
});

describe('per-example norms and clip factors', () => {
  it('linear layer: (||a||^2 + 1) ||g||^2', async () => {
    const p = { B: 70, inDim: 11, outDim: 6, offA: 3, ldA: 13, offG: 0, ldG: 6, offN: 70 };
    const A = randn(3 + 70 * 13),
      G = randn(70 * 6);
    const out = new Float32Array(140);
    const buf = makeBuffer(device, out);
    run(layerNorm(device, p, { A: makeBuffer(device, A), G: makeBuffer(device, G), norms: buf }));
    layerNormRef(p, A, G, out);
    expectClose(await f32(buf), out, 1e-5);
  });
  it('embedding bag: ||g||^2 * sum of squared repeat counts', async () => {
    const B = 40, L = 6, D = 5;
    const idx = Uint32Array.from({ length: B * L }, () => (rng.next() < 0.1 ? INVALID_ROW : Math.floor(rng.next() * 4)));
    const G = randn(B * 3 * D);
    const p = { B, L, D, rows: 4, offIdx: 0, offG: D, ldG: 3 * D, offN: 0 };
    const out = new Float32Array(B);
    const buf = makeBuffer(device, out);
    run(bagNorm(device, p, { idx: makeBuffer(device, idx), G: makeBuffer(device, G), norms: buf }));
    bagNormRef(p, idx, G, out);
    expectClose(await f32(buf), out, 1e-5);
  });
  it('flat clip factors min(1, C/||g||) times the mask', async () => {
    const B = 50, groups = 4;
    const norms = Float32Array.from({ length: B * groups }, () => rng.next() * 3);
    const mask = Float32Array.from({ length: B }, (_, i) => (i % 5 ? 1 : 0));
    const out = new Float32Array(B);
    const buf = makeBuffer(device, out);
    run(clipFactors(device, { B, groups, clipSq: 4 }, { norms: makeBuffer(device, norms), mask: makeBuffer(device, mask), factors: buf }));
    clipRef(B, groups, 4, norms, mask, out);
    expectClose(await f32(buf), out, 1e-6);
    expect(out.some((v) => v < 1 && v > 0)).toBe(true);
  });
  for (const mode of [0, 1, 2] as const) {
    it(`bias gradient column sums, scale mode ${mode}`, async () => {
      const p = { B: 77, N: 13, offG: 2, ldG: 15, offScale: 1, clipSq: 0.5 };
      const G = randn(2 + 77 * 15),
        scale = Float32Array.from({ length: 80 }, () => rng.next() * 2);
      const out = new Float32Array(13);
      const buf = makeBuffer(device, out);
      run(colsum(device, mode, p, { G: makeBuffer(device, G), scale: makeBuffer(device, scale), out: buf }));
      colsumRef(mode, p, G, scale, out);
      expectClose(await f32(buf), out, 1e-5, 1e-5);
    });
  }
});

function sortDispatches(N: number, used: number, L: number, rows: number, idx: GPUBuffer, mask: GPUBuffer, keys: GPUBuffer, vals: GPUBuffer): Dispatch[] {
  return sortPairs(device, { n: N, used, L, rows, offIdx: 0 }, { idx, mask, keys, vals });
}

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
      const idx = Uint32Array.from({ length: used }, () => (rng.next() < 0.05 ? INVALID_ROW : Math.floor(rng.next() * Math.min(rows, 1e9))));
      const mask = Float32Array.from({ length: Math.ceil(used / L) }, () => (rng.next() < 0.9 ? 1 : 0));
      const keys = empty(N * 4),
        vals = empty(N * 4);
      runAll(sortDispatches(N, used, L, rows, makeBuffer(device, idx), makeBuffer(device, mask), keys, vals));
      const ref = sortPairsRef(N, used, L, rows, idx, 0, mask);
      expect(Array.from((await u32(keys)).subarray(0, N))).toEqual(Array.from(ref.keys));
      expect(Array.from((await u32(vals)).subarray(0, N))).toEqual(Array.from(ref.vals));
    });
  }
});

describe('clipped per-row gradient sums and the sparse row update', () => {
  for (const mode of [0, 1, 2] as const) {
    it(`segment sums in sorted order (scale mode ${mode}) and SGD on touched rows only`, async () => {
      const B = 90, L = 3, D = 6, rows = 40, N = 512;
      const idx = Uint32Array.from({ length: B * L }, () => Math.floor(rng.next() * 25));
      const mask = Float32Array.from({ length: B }, () => 1);
      const keys = empty(N * 4),
        vals = empty(N * 4);
      const G = randn(B * 2 * D);
      const scale = Float32Array.from({ length: B + 3 }, () => rng.next() * 2);
      const rowGrad = empty(N * D * 4);
      const E = randn(rows * D);
      const bufE = makeBuffer(device, E);
      const p = { n: N, L, D, offG: D, ldG: 2 * D, offScale: 3, clipSq: 0.7 };
      const st: StepValues = { step: 3, lr: 0.25, invB: 1 / 64, noiseStd: 0, key: [1, 2] };
      runAll([
        ...sortDispatches(N, B * L, L, rows, makeBuffer(device, idx), makeBuffer(device, mask), keys, vals),
        segsum(device, mode, p, { keys, vals, G: makeBuffer(device, G), scale: makeBuffer(device, scale), rowGrad }),
        rowsUpdate(device, { n: N, D, rowStart: 0, rows }, { st: stepUniform(st), keys, rowGrad, E: bufE }),
      ]);
      const ref = sortPairsRef(N, B * L, L, rows, idx, 0, mask);
      const rg = new Float32Array(N * D);
      segsumRef(mode, p, ref.keys, ref.vals, G, scale, rg);
      rowsUpdateRef(D, st.lr * st.invB, ref.keys, rg, E);
      const got = await f32(bufE);
      expectClose(got, E, 1e-5, 1e-6);
      // rows 25.. were never in a bag: unchanged
      const E0 = new Float32Array(await readBuffer(device, makeBuffer(device, E)));
      expect(Array.from(got.subarray(25 * D))).toEqual(Array.from(E0.subarray(25 * D)));
    });
  }
});

const key = seedToKey('123456789012345');

describe('noisy updates (Philox noise in the kernel against the TypeScript draws)', () => {
  for (const noise of [0, 1, 2] as const) {
    it(`MLP tensor update, noise mode ${noise}`, async () => {
      const n = 47, p = 5;
      const st: StepValues = { step: 9, lr: 0.3, invB: 1 / 32, noiseStd: 1.7, key };
      const grad = randn(n),
        W = randn(n);
      const bufW = makeBuffer(device, W),
        nbuf = empty(n * 4);
      const sU = stepUniform(st);
      const ds = [];
      if (noise === 2) ds.push(mlpSample(device, { n, p }, { st: sU, noiseBuf: nbuf }));
      ds.push(mlpUpdate(device, noise, { n, p }, { st: sU, grad: makeBuffer(device, grad), W: bufW, noiseBuf: nbuf }));
      runAll(ds);
      mlpUpdateRef(st, p, grad, W, noise !== 0);
      expectClose(await f32(bufW).then((a) => a.subarray(0, n)), W, 1e-4, 2e-5);
    });
  }
  for (const fused of [true, false]) {
    it(`eager table noise on every row (${fused ? 'fused' : 'sample + add'}), dim not a multiple of 4`, async () => {
      const rows = 33, D = 6, table = 2;
      const st: StepValues = { step: 4, lr: 0.5, invB: 1 / 16, noiseStd: 2, key };
      const E = randn(rows * D);
      const bufE = makeBuffer(device, E);
      const tp = { rows, D, table, rowStart: 0 };
      const sU = stepUniform(st);
      if (fused) run(tableNoiseFused(device, tp, { st: sU, E: bufE }));
      else {
        const nb = empty(rows * D * 4);
        runAll([tableNoiseSample(device, tp, { st: sU, noise: nb }), tableNoiseAdd(device, tp, { st: sU, E: bufE, noiseBuf: nb })]);
      }
      tableNoiseRef(st, table, rows, D, E);
      expectClose(await f32(bufE), E, 1e-4, 2e-5);
    });
  }
  for (const exact of [false, true]) {
    it(`LazyDP ${exact ? 'exact replay' : 'aggregated draw'}: lookahead rows, history, then flush of the rest`, async () => {
      const rows = 50, D = 5, table = 1, steps = 12, N = 512, L = 2, B = 20;
      const lrs = Float32Array.from({ length: steps + 1 }, (_, s) => (s === 0 ? 0 : 0.1 + 0.02 * s));
      const { prefix: pre, sums: prefix } = lrSquaredPrefix(steps, (s) => lrs[s]);
      const H = Uint32Array.from({ length: rows }, () => Math.floor(rng.next() * 7)); // pending gaps of 1..7 steps
      H[3] = 9; // already up to date: no noise
      const E = randn(rows * D);
      const bufE = makeBuffer(device, E),
        bufH = makeBuffer(device, H);
      const idx = Uint32Array.from({ length: B * L }, () => Math.floor(rng.next() * 30));
      idx[0] = idx[1] = 3;
      const mask = Float32Array.from({ length: B }, () => 1);
      const keys = empty(N * 4),
        vals = empty(N * 4);
      const lp = { n: N, rows, D, table, rowStart: 0 };
      const st: StepValues = { step: 9, lr: lrs[9], invB: 1 / 8, noiseStd: 1.5, key };
      const bl = makeBuffer(device, lrs),
        bp = makeBuffer(device, pre);
      runAll([
        ...sortDispatches(N, B * L, L, rows, makeBuffer(device, idx), makeBuffer(device, mask), keys, vals),
        lazyLookahead(device, exact, lp, { st: stepUniform(st), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp, keys }),
      ]);
      const ref = sortPairsRef(N, B * L, L, rows, idx, 0, mask);
      lookaheadRef(st, table, D, ref.keys, E, H, lrs, prefix, exact);
      expect(Array.from(await u32(bufH))).toEqual(Array.from(H));
      expectClose(await f32(bufE), E, 1e-4, 5e-5);
      // then flush at step 12: every row catches up, whatever its gap
      const st2: StepValues = { ...st, step: 12 };
      run(lazyFlush(device, exact, lp, { st: stepUniform(st2), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp }));
      flushRef(st2, table, rows, D, E, H, lrs, prefix, exact);
      expect(Array.from(await u32(bufH))).toEqual(new Array(rows).fill(12));
      expectClose(await f32(bufE), E, 1e-4, 5e-5);
    });
  }
});

describe('table initialisation', () => {
  it('uniform(-1/sqrt(R), 1/sqrt(R)) rows from Philox equal the CPU reference', async () => {
    const rows = 70, D = 7, t = 3, seed = 42;
    const buf = empty(rows * D * 4);
    run(initTable(device, { rows, D, table: t, seed, tableRows: rows, rowStart: 0 }, { E: buf }));
    expectClose(await f32(buf), initTableRef(rows, D, t, seed), 1e-6, 1e-7);
  });
});

// A table larger than one binding is split into shards of consecutive rows (src/engine/memory.ts);
// every kernel that touches rows must give the split table exactly what it gives the whole one.
describe('tables split into shards', () => {
  const split = (E: Float32Array, D: number, cuts: number[]) => cuts.slice(0, -1).map((a, k) => ({ rowStart: a, rows: cuts[k + 1] - a, E: E.slice(a * D, cuts[k + 1] * D) }));

  it('gather: shard by shard (write, then add) equals the whole table', async () => {
    const B = 40, L = 6, D = 5, rows = 61;
    const E = randn(rows * D);
    const idx = Uint32Array.from({ length: B * L }, () => (rng.next() < 0.1 ? INVALID_ROW : Math.floor(rng.next() * rows)));
    idx[0] = idx[1] = 16; // a repeat on the last row of shard 0
    idx[2] = 17; // the first row of shard 1
    const p = { B, L, D, rows, offIdx: 0, offOut: 0, ldOut: D, rowStart: 0, accumulate: 0 };
    const whole = new Float32Array(B * D);
    gatherRef(p, E, idx, whole);
    const bufOut = makeBuffer(device, new Float32Array(B * D).fill(NaN)); // the first shard must overwrite
    const bufIdx = makeBuffer(device, idx);
    const shards = split(E, D, [0, 17, 40, 61]);
    runAll(shards.map((sh, k) => gather(device, { ...p, rows: sh.rows, rowStart: sh.rowStart, accumulate: k > 0 ? 1 : 0 }, { E: makeBuffer(device, sh.E), idx: bufIdx, outV: bufOut })));
    expectClose(await f32(bufOut), whole, 1e-5, 1e-5);
    const refShards = new Float32Array(B * D);
    shards.forEach((sh, k) => gatherRef({ ...p, rows: sh.rows, rowStart: sh.rowStart, accumulate: k > 0 ? 1 : 0 }, sh.E, idx, refShards));
    expectClose(refShards, whole, 1e-6, 1e-6);
  });

  it('sparse row update: each shard updates its own touched rows', async () => {
    const n = 256, D = 3, rows = 40;
    const keysArr = Uint32Array.from({ length: n }, (_, p) => (p < 200 ? Math.floor((p * rows) / 200) : INVALID_ROW)); // sorted, runs of equal rows
    const rowGrad = randn(n * D);
    const E = randn(rows * D);
    const st: StepValues = { step: 2, lr: 0.5, invB: 1 / 8, noiseStd: 0, key: [1, 2] };
    const want = E.slice();
    rowsUpdateRef(D, st.lr * st.invB, keysArr, rowGrad, want);
    const keys = makeBuffer(device, keysArr),
      rg = makeBuffer(device, rowGrad);
    const shards = split(E, D, [0, 13, 40]).map((sh) => ({ ...sh, buf: makeBuffer(device, sh.E) }));
    runAll(shards.map((sh) => rowsUpdate(device, { n, D, rowStart: sh.rowStart, rows: sh.rows }, { st: stepUniform(st), keys, rowGrad: rg, E: sh.buf })));
    for (const sh of shards) expectClose(await f32(sh.buf), want.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-6, 1e-6);
  });

  it('eager noise: a shard draws the noise of its rows in the whole table (counters use table rows)', async () => {
    const rows = 45, D = 6, table = 1;
    const st: StepValues = { step: 7, lr: 0.5, invB: 1 / 16, noiseStd: 2, key };
    const E = randn(rows * D);
    const want = E.slice();
    tableNoiseRef(st, table, rows, D, want);
    for (const sh of split(E, D, [0, 20, 45])) {
      const buf = makeBuffer(device, sh.E);
      run(tableNoiseFused(device, { rows: sh.rows, D, table, rowStart: sh.rowStart }, { st: stepUniform(st), E: buf }));
      expectClose(await f32(buf), want.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-4, 2e-5);
      const ref = sh.E.slice();
      tableNoiseRef(st, table, sh.rows, D, ref, sh.rowStart);
      expectClose(ref, want.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-6, 1e-7);
    }
  });

  for (const exact of [false, true]) {
    it(`LazyDP ${exact ? 'exact' : 'aggregated'}: lookahead and flush shard by shard equal the whole table`, async () => {
      const rows = 50, D = 5, table = 2, steps = 10, N = 256, L = 2, B = 30;
      const lrs = Float32Array.from({ length: steps + 1 }, (_, s) => (s === 0 ? 0 : 0.2));
      const { prefix: pre, sums: prefix } = lrSquaredPrefix(steps, (s) => lrs[s]);
      const H = Uint32Array.from({ length: rows }, () => Math.floor(rng.next() * 6));
      const E = randn(rows * D);
      const idx = Uint32Array.from({ length: B * L }, () => Math.floor(rng.next() * rows));
      const mask = Float32Array.from({ length: B }, () => 1);
      const keys = empty(N * 4),
        vals = empty(N * 4);
      runAll(sortDispatches(N, B * L, L, rows, makeBuffer(device, idx), makeBuffer(device, mask), keys, vals));
      const ref = sortPairsRef(N, B * L, L, rows, idx, 0, mask);
      const st: StepValues = { step: 7, lr: 0.2, invB: 1 / 8, noiseStd: 1.5, key };
      const st2: StepValues = { ...st, step: 10 };
      const wantE = E.slice(),
        wantH = H.slice();
      lookaheadRef(st, table, D, ref.keys, wantE, wantH, lrs, prefix, exact);
      const afterLookE = wantE.slice(),
        afterLookH = wantH.slice();
      flushRef(st2, table, rows, D, wantE, wantH, lrs, prefix, exact);
      const bl = makeBuffer(device, lrs),
        bp = makeBuffer(device, pre);
      for (const sh of split(E, D, [0, 21, 50])) {
        const bufE = makeBuffer(device, sh.E),
          bufH = makeBuffer(device, H.slice(sh.rowStart, sh.rowStart + sh.rows));
        const lp = { n: N, rows: sh.rows, D, table, rowStart: sh.rowStart };
        run(lazyLookahead(device, exact, lp, { st: stepUniform(st), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp, keys }));
        expect(Array.from(await u32(bufH))).toEqual(Array.from(afterLookH.subarray(sh.rowStart, sh.rowStart + sh.rows)));
        expectClose(await f32(bufE), afterLookE.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-4, 5e-5);
        run(lazyFlush(device, exact, lp, { st: stepUniform(st2), E: bufE, H: bufH, lrs: bl, lrSqPrefix: bp }));
        expect(Array.from(await u32(bufH))).toEqual(new Array(sh.rows).fill(10));
        expectClose(await f32(bufE), wantE.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-4, 5e-5);
      }
    });
  }

  it('initialisation: a shard holds the rows the whole table would', async () => {
    const rows = 70, D = 7, t = 1, seed = 9;
    const whole = initTableRef(rows, D, t, seed);
    for (const [a, b] of [[0, 33], [33, 70]]) {
      const buf = empty((b - a) * D * 4);
      run(initTable(device, { rows: b - a, D, table: t, seed, tableRows: rows, rowStart: a }, { E: buf }));
      expectClose(await f32(buf), whole.subarray(a * D, b * D), 1e-6, 1e-7);
      expectClose(initTableRef(rows, D, t, seed, a, b - a), whole.subarray(a * D, b * D), 0, 0);
    }
  });
});

describe('grids past 65535 workgroups (2-D dispatch)', () => {
  it('an MLP tensor of more than 2^24 values: every index updated exactly once, noise at its own counter', async () => {
    const n = 65535 * 64 * 4 + 4003; // one x-row of workgroups covers 16,776,960 values
    const st: StepValues = { step: 2, lr: 0.5, invB: 0.25, noiseStd: 1.5, key };
    const groups = grid(Math.ceil(n / 4), 64);
    expect(groups[1]).toBe(2);
    const W = empty(n * 4),
      nb = empty(n * 4);
    const ds = [
      mlpUpdate(device, 0, { n, p: 3 }, { st: stepUniform(st), grad: makeBuffer(device, new Float32Array(n).fill(1)), W, noiseBuf: nb }),
      mlpSample(device, { n, p: 3 }, { st: stepUniform(st), noiseBuf: nb }),
    ];
    expect(ds.map((d) => d.groups)).toEqual([groups, groups]);
    runAll(ds);
    const w = await f32(W);
    const want = -st.lr * st.invB;
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (w[i] !== want) bad = i;
    expect(bad).toBe(-1);
    const z = await f32(nb);
    for (const i of [0, 1, 5, 16_776_959, 16_776_960, 16_776_963, n - 1]) expect(z[i]).toBeCloseTo(st.noiseStd * mlpNoise(key, 3, i, st.step), 3);
  });
});
