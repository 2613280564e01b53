// DP-FEST and DP-AdaFEST kernels against their references (tests/kernels/fest*.test.ts have the
// edge cases): the contribution map and threshold, the crossings' filter and sparse update, the
// logical step's threshold and update in micro-batches, the mask and the selected rows' noise.
import { Rng } from '../data/rng';
import { INVALID_ROW } from '../data/format';
import { sortPairs, sortAllRef, heads } from '../kernels/sort';
import {
  festMap,
  festCross,
  festUpdate,
  festNormsRef,
  festCountsRef,
  festNoisyRef,
  festCrossRef,
  festUpdateRef,
  festApply,
  festApplyRef,
} from '../kernels/fest';
import { festMask, festMaskRef, festNoiseSelected, festNoiseSelectedRef } from '../kernels/fest-select';
import { crossingCandidates, packCandidates } from '../noise/fest';
import { NORMAL_ABS, noiseTolerance } from '../kernels/tolerance';
import type { StepValues } from '../kernels/step';
import { buffer, f32, u32, runAll, stepUniform, close, equal } from './gpu';
import type { Check } from './check';

const rng = new Rng(2311);
const ints = (n: number, below: number) => Uint32Array.from({ length: n }, () => Math.floor(rng.next() * below));
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const empty = (d: GPUDevice, bytes: number) => buffer(d, new Uint8Array(Math.max(16, bytes)));
const B = 40,
  L = 3,
  N = 512,
  rows = [30, 25],
  T = 2;
const st: StepValues = { step: 9, lr: 0.5, invB: 1 / 32, noiseStd: 1.3, key: [5, 6] };
const spans = [
  { table: 0, base: 0, rowStart: 0, rows: rows[0] },
  { table: 1, base: rows[0], rowStart: 0, rows: rows[1] },
];

export const festChecks: Check[] = [
  {
    name: 'fest map: exact example norms, clipped count sums, noisy threshold',
    async run(d) {
      const idx = ints(T * B * L, 22);
      const mask = Float32Array.from({ length: B }, (_, b) => (b % 13 === 12 ? 0 : 1));
      const ref = sortAllRef(N, B * L, L, rows, idx, B * L, mask);
      const keys = empty(d, N * T * 4),
        vals = empty(d, N * T * 4),
        exNorm = empty(d, B * 4),
        csum = empty(d, N * T * 4),
        sel = empty(d, N * T * 4);
      const p = { n: N, tables: T, L, B, clip: 1.5, noiseStd: 0.8, tau: 2 };
      runAll(d, [
        ...sortPairs(
          d,
          { n: N, used: B * L, L, rows, offIdx: 0, strideIdx: B * L },
          { idx: buffer(d, idx), mask: buffer(d, mask), keys, vals },
        ),
        ...festMap(d, p, { st: stepUniform(d, st), keys, vals, exNorm, csum, sel }),
      ]);
      equal('exNorm', await u32(d, exNorm), festNormsRef(p, ref.keys, ref.vals));
      const want = festCountsRef(p, ref.keys, ref.vals);
      const noisy = festNoisyRef(p, st, ref.keys, want);
      const gotSum = await f32(d, csum),
        gotSel = await u32(d, sel);
      const at: number[] = [];
      for (let t = 0; t < T; t++) for (const h of heads(ref.keys.subarray(t * N, (t + 1) * N))) at.push(t * N + h);
      const decided = at.filter((i) => Math.abs(noisy[i] - p.tau) > p.noiseStd * NORMAL_ABS + 1e-4);
      equal(
        'sel',
        decided.map((i) => gotSel[i]),
        decided.map((i) => (noisy[i] > p.tau ? 1 : 0)),
      );
      return close(
        'csum',
        at.map((i) => gotSum[i]),
        at.map((i) => want[i]),
        1e-5,
        1e-6,
      );
    },
  },
  {
    name: 'fest update: untouched crossings filtered, selected rows updated, others untouched',
    async run(d) {
      const ref = sortAllRef(N, B * L, L, rows, ints(T * B * L, 22), B * L, new Float32Array(B).fill(1));
      const D = 6,
        cap = 16;
      const cand = packCandidates(
        rows.map((R, t) => crossingCandidates([3, 4], t, R, 9, 0.25)),
        cap,
      );
      const crossed = empty(d, T * cap * 4);
      const rowGrad = randn(N * T * D);
      const selArr = ints(N * T, 2);
      const E = randn((rows[0] + rows[1]) * D);
      const bufE = buffer(d, E);
      const keys = buffer(d, ref.keys);
      runAll(d, [
        festCross(d, { n: N, tables: T, cap }, { keys, cand: buffer(d, cand), crossed }),
        ...festUpdate(d, { n: N, D, cap }, spans, {
          st: stepUniform(d, st),
          keys,
          rowGrad: buffer(d, rowGrad),
          sel: buffer(d, selArr),
          crossed,
          E: bufE,
        }),
      ]);
      const wantCrossed = festCrossRef({ n: N, tables: T, cap }, ref.keys, cand);
      equal('crossed', await u32(d, crossed), wantCrossed);
      const want = E.slice();
      spans.forEach((s, t) =>
        festUpdateRef(
          { n: N, D, cap, table: t, ...st },
          ref.keys,
          rowGrad,
          selArr,
          wantCrossed,
          want.subarray(s.base * D, (s.base + s.rows) * D),
        ),
      );
      const tol = noiseTolerance(st.lr * st.invB * st.noiseStd);
      return close('E', await f32(d, bufE), want, tol.rel, tol.abs);
    },
  },
  {
    name: 'fest apply (micro-batches): summed counts thresholded, candidates crossed, C and G cleared',
    async run(d) {
      const D = 6,
        cap = 16,
        rs = 20;
      const cand = packCandidates(
        rows.map((R, t) => crossingCandidates([3, 4], t, R, 9, 0.3)),
        cap,
      );
      const p = { rows: rs, D, table: 1, rowStart: 5, cap, noiseStd: 1, tau: 1 };
      const C = Float32Array.from({ length: rs }, (_, i) => (i % 2 ? 0 : 0.25 + 1.5 * rng.next()));
      const G = randn(rs * D),
        E = randn(rs * D);
      const [bufC, bufG, bufE] = [buffer(d, C), buffer(d, G), buffer(d, E)];
      runAll(d, [festApply(d, p, { st: stepUniform(d, st), cand: buffer(d, cand), C: bufC, G: bufG, E: bufE })]);
      const want = E.slice();
      festApplyRef({ ...st, ...p, gradStd: st.noiseStd }, cand, C.slice(), G.slice(), want);
      equal('C', await f32(d, bufC), new Float32Array(rs));
      equal('G', await f32(d, bufG), new Float32Array(rs * D));
      const tol = noiseTolerance(st.lr * st.invB * st.noiseStd);
      return close('E', await f32(d, bufE), want, tol.rel, tol.abs);
    },
  },
  {
    name: 'fest mask and selected-row noise (DP-FEST)',
    async run(d) {
      const used = 24,
        kcap = 8,
        D = 5;
      const idx = ints(2 * used, 45);
      idx[3] = INVALID_ROW;
      const sel = packCandidates([Uint32Array.of(0, 3, 9, 17, 29), Uint32Array.of(1, 2, 3, 4, 24)], kcap);
      const p = { used, tables: 2, offIdx: 0, strideIdx: used, kcap };
      const out = empty(d, idx.byteLength);
      const E = randn((rows[0] + rows[1]) * D);
      const bufE = buffer(d, E);
      const selected = buffer(d, sel);
      runAll(d, [
        festMask(d, p, { idx: buffer(d, idx), selected, idxOut: out }),
        festNoiseSelected(d, { kcap, D }, spans, { st: stepUniform(d, st), selected, E: bufE }),
      ]);
      const wantIdx = new Uint32Array(idx.length);
      festMaskRef(p, idx, sel, wantIdx);
      equal('idxOut', await u32(d, out), wantIdx);
      const want = E.slice();
      spans.forEach((s, t) =>
        festNoiseSelectedRef({ kcap, D, table: t }, st, sel, want.subarray(s.base * D, (s.base + s.rows) * D)),
      );
      const tol = noiseTolerance(st.lr * st.invB * st.noiseStd);
      return close('E', await f32(d, bufE), want, tol.rel, tol.abs);
    },
  },
];
