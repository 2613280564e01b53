// One representative check per kernel against its TypeScript reference, at small sizes (the full
// edge cases are tests/kernels/*): exact where the result is a property (integers, the sort, the
// split flush), else within the tolerances WGSL's accuracy rules allow (src/kernels/tolerance.ts).
import { Rng } from '../data/rng';
import { INVALID_ROW } from '../data/format';
import { gather, gatherRef } from '../kernels/gather';
import { sortPairs, sortPairsRef, SORT_BLOCK } from '../kernels/sort';
import { segsum, rowsUpdate, segsumRef, rowsUpdateRef } from '../kernels/segsum';
import { layerNorm, layerNormRef, clipFactors, clipRef } from '../kernels/norms';
import { matmul, matmulRef, type MatmulParams } from '../kernels/matmul';
import { wgradPartial, wgradReduce, wgradRef, type WgradParams } from '../kernels/wgrad';
import {
  tableNoiseFused,
  tableNoiseRef,
  mlpUpdate,
  mlpUpdateRef,
  lazyLookahead,
  lazyFlush,
  lookaheadRef,
  flushRef,
  lrSquaredPrefix,
  flushPlan,
  flushRounds,
} from '../kernels/noise';
import { seedToKey } from '../noise/philox';
import { noiseTolerance, contractionSlack } from '../kernels/tolerance';
import type { StepValues } from '../kernels/step';
import { buffer, f32, u32, runAll, stepUniform, close, equal } from './gpu';
import type { Check } from './check';

const key = seedToKey('123456789012345');
const rng = new Rng(2024);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const ints = (n: number, below: number) => Uint32Array.from({ length: n }, () => Math.floor(rng.next() * below));
const empty = (d: GPUDevice, bytes: number) => buffer(d, new Uint8Array(Math.max(16, bytes)));

/** Sorted pairs of B bags of L rows below `rows`, some masked, on the GPU and in TypeScript. */
function sorted(d: GPUDevice, N: number, B: number, L: number, rows: number) {
  const idx = ints(B * L, rows);
  for (let i = 0; i < idx.length; i += 11) idx[i] = INVALID_ROW;
  const mask = Float32Array.from({ length: B }, (_, i) => (i % 7 === 3 ? 0 : 1));
  const keys = empty(d, N * 4),
    vals = empty(d, N * 4);
  const ds = sortPairs(
    d,
    { n: N, used: B * L, L, rows, offIdx: 0 },
    { idx: buffer(d, idx), mask: buffer(d, mask), keys, vals },
  );
  return { ds, keys, vals, ref: sortPairsRef(N, B * L, L, rows, idx, 0, mask) };
}

export const kernelChecks: Check[] = [
  {
    name: 'gather: embedding bags (repeats, empty slots)',
    async run(d) {
      const B = 45,
        L = 5,
        D = 7,
        rows = 60;
      const E = randn(rows * D);
      const idx = ints(B * L, 20);
      for (let i = 0; i < idx.length; i += 6) idx[i] = INVALID_ROW;
      const p = { B, L, D, rows, offIdx: 0, offOut: 3, ldOut: 2 * D, rowStart: 0, accumulate: 0 };
      const out = new Float32Array(3 + B * 2 * D);
      const bo = buffer(d, out);
      runAll(d, [gather(d, p, { E: buffer(d, E), idx: buffer(d, idx), outV: bo })]);
      gatherRef(p, E, idx, out);
      return close('out', await f32(d, bo), out, 1e-5, 1e-5);
    },
  },
  {
    name: 'sort: (row, slot) pairs, bitonic over several blocks (exact)',
    async run(d) {
      const N = 4 * SORT_BLOCK;
      const s = sorted(d, N, 900, 4, 500);
      runAll(d, s.ds);
      equal('keys', (await u32(d, s.keys)).subarray(0, N), s.ref.keys);
      return equal('vals', (await u32(d, s.vals)).subarray(0, N), s.ref.vals);
    },
  },
  {
    name: 'segsum + row update: clipped per-row gradient sums, sparse SGD',
    async run(d) {
      const B = 90,
        L = 3,
        D = 6,
        rows = 40,
        N = 512;
      const s = sorted(d, N, B, L, rows);
      const G = randn(B * 2 * D);
      const scale = Float32Array.from({ length: B + 3 }, () => rng.next() * 2);
      const rowGrad = empty(d, N * D * 4);
      const E = randn(rows * D);
      const bE = buffer(d, E);
      const p = { n: N, L, D, offG: D, ldG: 2 * D, offScale: 3, clipSq: 0.7 };
      const st: StepValues = { step: 3, lr: 0.25, invB: 1 / 64, noiseStd: 0, key };
      runAll(d, [
        ...s.ds,
        ...segsum(d, 2, p, { keys: s.keys, vals: s.vals, G: buffer(d, G), scale: buffer(d, scale), rowGrad }),
        rowsUpdate(d, { n: N, D, rowStart: 0, rows }, { st: stepUniform(d, st), keys: s.keys, rowGrad, E: bE }),
      ]);
      const rg = new Float32Array(N * D);
      segsumRef(2, p, s.ref.keys, s.ref.vals, G, scale, rg);
      rowsUpdateRef(D, st.lr * st.invB, s.ref.keys, rg, E);
      return close('E', await f32(d, bE), E, 1e-5, 1e-6);
    },
  },
  {
    name: 'norms + clip: per-example layer norms, clip factors',
    async run(d) {
      const p = { B: 70, inDim: 11, outDim: 6, offA: 3, ldA: 13, offG: 0, ldG: 6, offN: 0 };
      const A = randn(3 + 70 * 13),
        G = randn(70 * 6);
      const norms = new Float32Array(70),
        factors = new Float32Array(70);
      const bn = buffer(d, norms),
        bf = buffer(d, factors);
      const mask = Float32Array.from({ length: 70 }, (_, i) => (i % 5 ? 1 : 0));
      runAll(d, [
        layerNorm(d, p, { A: buffer(d, A), G: buffer(d, G), norms: bn }),
        clipFactors(d, { B: 70, groups: 1, clipSq: 40 }, { norms: bn, mask: buffer(d, mask), factors: bf }),
      ]);
      layerNormRef(p, A, G, norms);
      clipRef(70, 1, 40, norms, mask, factors);
      close('norms', await f32(d, bn), norms, 1e-5, 1e-5);
      return close('factors', await f32(d, bf), factors, 1e-5, 1e-6);
    },
  },
  {
    name: 'matmul: X W^T + b, ReLU, partial tiles',
    async run(d) {
      const M = 37,
        N = 19,
        K = 53,
        o = { bias: true, relu: true };
      const A = randn(M * K),
        Bm = randn(K * N),
        aux = randn(N),
        scale = new Float32Array(4);
      const p: MatmulParams = {
        M,
        N,
        K,
        offA: 0,
        sAm: K,
        sAk: 1,
        offB: 0,
        sBk: N,
        sBn: 1,
        offC: 0,
        ldc: N,
        offAux: 0,
        ldAux: N,
        offScale: 0,
        clipSq: 1,
      };
      const C = new Float32Array(M * N);
      const bC = buffer(d, C);
      runAll(d, [
        matmul(d, o, p, { A: buffer(d, A), Bm: buffer(d, Bm), C: bC, aux: buffer(d, aux), scale: buffer(d, scale) }),
      ]);
      matmulRef(o, p, A, Bm, C, aux, scale);
      return close('C', await f32(d, bC), C, 1e-5, 1e-4);
    },
  },
  {
    name: 'wgrad: K-split weight gradients with per-example clip factors',
    async run(d) {
      const M = 13,
        N = 31,
        K = 64,
        chunk = 16,
        chunks = 4;
      const p: WgradParams = {
        M,
        N,
        K,
        chunk,
        offG: 0,
        ldG: M,
        offA: 0,
        ldA: N,
        offScale: 0,
        clipSq: 0.8,
        offOut: 0,
        stride: M * N + M,
      };
      const G = randn(K * M),
        A = randn(K * N),
        scale = Float32Array.from({ length: K }, () => rng.next());
      const out = new Float32Array(M * N + M);
      const bo = buffer(d, out),
        part = empty(d, chunks * (M * N + M) * 4);
      const bs = { G: buffer(d, G), A: buffer(d, A), scale: buffer(d, scale) };
      runAll(d, [
        wgradPartial(d, 1, p, { ...bs, P: part }),
        wgradReduce(d, { n: M * N + M, chunks }, { parts: part, out: bo }),
      ]);
      wgradRef(1, p, G, A, scale, out);
      return close('grad', await f32(d, bo), out, 1e-4, 1e-4);
    },
  },
  {
    name: 'optimizer: noisy MLP update (Philox noise, WGSL bounds)',
    async run(d) {
      const n = 47,
        p = 5;
      const st: StepValues = { step: 9, lr: 0.3, invB: 1 / 32, noiseStd: 1.7, key };
      const grad = randn(n),
        W = randn(n);
      const bW = buffer(d, W);
      runAll(d, [mlpUpdate(d, 1, { n, p }, { st: stepUniform(d, st), grad: buffer(d, grad), W: bW })]);
      mlpUpdateRef(st, p, grad, W, true);
      const tol = noiseTolerance(st.lr * st.invB * st.noiseStd);
      return close('W', await f32(d, bW), W, tol.rel, tol.abs);
    },
  },
  {
    name: 'noise: eager table noise, vec4 and scalar entries against the Philox reference',
    async run(d) {
      const rows = 301,
        D = 8,
        table = 3,
        rowStart = 5;
      const st: StepValues = { step: 9, lr: 0.25, invB: 1 / 32, noiseStd: 1.5, key };
      const E = randn(rows * D);
      const out: Float32Array[] = [];
      for (const scalar of [false, true]) {
        const bE = buffer(d, E);
        runAll(d, [tableNoiseFused(d, { rows, D, table, rowStart }, { st: stepUniform(d, st), E: bE }, { scalar })]);
        out.push(await f32(d, bE));
      }
      const want = E.slice();
      tableNoiseRef(st, table, rows, D, want, rowStart);
      const s = st.lr * st.invB * st.noiseStd;
      const tol = noiseTolerance(s);
      close('scalar vs vec4', out[0], out[1], 0, contractionSlack(1, Math.max(...out[1].map(Math.abs)), s));
      return close('E', out[0], want, tol.rel, tol.abs);
    },
  },
];

/** LazyDP's catch-up (lookahead, flush) in both modes, and the split flush. */
export const lazyChecks: Check[] = [false, true].map((exact) => ({
  name: `lazy ${exact ? 'exact' : 'aggregated'}: lookahead, flush, split flush = unsplit (bit for bit)`,
  async run(d: GPUDevice) {
    const rows = 150,
      D = 5,
      table = 1,
      t = 20,
      N = 512,
      B = 20,
      L = 2;
    const lrs = Float32Array.from({ length: t + 1 }, (_, s) => (s === 0 ? 0 : 0.1 + 0.02 * s));
    const { prefix, sums } = lrSquaredPrefix(t, (s) => lrs[s]);
    const H = ints(rows, 12);
    const E = randn(rows * D);
    const s = sorted(d, N, B, L, rows);
    const st: StepValues = { step: 12, lr: lrs[12], invB: 1 / 8, noiseStd: 1.5, key };
    const st2: StepValues = { ...st, step: t };
    const lp = { n: N, rows, D, table, rowStart: 0 };
    const sched = { lrs: buffer(d, lrs), lrSqPrefix: buffer(d, prefix) };
    const run = async (plan?: ReturnType<typeof flushPlan>, rounds = 1) => {
      const bE = buffer(d, E),
        bH = buffer(d, H);
      const bufs = { E: bE, H: bH, ...sched };
      runAll(d, [...s.ds, lazyLookahead(d, exact, lp, { ...bufs, st: stepUniform(d, st), keys: s.keys })]);
      const fl = lazyFlush(d, exact, lp, { ...bufs, st: stepUniform(d, st2) }, plan);
      for (let r = 0; r < rounds; r++) runAll(d, fl);
      return { E: await f32(d, bE), H: await u32(d, bH) };
    };
    const whole = await run({ chunks: [{ first: 0, count: rows }], maxSteps: 0xffffffff });
    const split = await run(flushPlan(rows, D, exact, 2 * 3 * 40, 3), flushRounds(exact, t, 3));
    equal('split flush E bits', new Uint32Array(split.E.buffer), new Uint32Array(whole.E.buffer));
    equal('split flush H', split.H, whole.H);
    const wantE = E.slice(),
      wantH = H.slice();
    lookaheadRef(st, table, D, s.ref.keys, wantE, wantH, lrs, sums, exact);
    flushRef(st2, table, rows, D, wantE, wantH, lrs, sums, exact);
    equal('H', whole.H, wantH);
    const lrTotal = exact ? lrs.reduce((a, v) => a + v, 0) : Math.sqrt(sums[t]);
    const tol = noiseTolerance(lrTotal * st.invB * st.noiseStd, t);
    return close('E', whole.E, wantE, tol.rel, tol.abs);
  },
}));
