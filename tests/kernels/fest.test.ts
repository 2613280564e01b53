// DP-AdaFEST's kernels (src/kernels/fest.ts) against their CPU references on two tables: the
// contribution map and its noisy threshold, the untouched crossings' filter, the sparse update,
// and the logical step's threshold and update in micro-batches.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { noiseTolerance, contractionSlack } from '../helpers/tolerance';
import { rowsUpdateSpans } from '../../src/kernels/segsum';
import { tableNoiseFused } from '../../src/kernels/noise';
import { kernelTest } from '../helpers/kernels';
import { sortPairs, sortAllRef, heads } from '../../src/kernels/sort';
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
  type FestMapParams,
} from '../../src/kernels/fest';
import { crossingCandidates, packCandidates } from '../../src/noise/fest';
import { NORMAL_ABS } from '../../src/kernels/tolerance';
import { INVALID_ROW } from '../../src/data/format';
import type { StepValues } from '../../src/kernels/step';

const gpu = kernelTest(1234);
const { rng, randn, f32, u32, empty, buffer, runAll, stepUniform } = gpu;

const B = 40,
  L = 3,
  N = 512,
  rows = [30, 25];
const T = rows.length;
/** A batch of both tables (a few example masked) and its sorted pairs, reference and GPU. */
function batch() {
  const idx = Uint32Array.from({ length: T * B * L }, () => Math.floor(rng.next() * 22));
  idx[5] = INVALID_ROW; // an empty bag slot
  const mask = Float32Array.from({ length: B }, (_, b) => (b % 13 === 12 ? 0 : 1));
  const ref = sortAllRef(N, B * L, L, rows, idx, B * L, mask);
  return { idx, mask, ref };
}

describe('contribution map and noisy threshold', () => {
  for (const counts of [false, true])
    it(`${counts ? 'pair counts' : "the paper's 0/1 map"}: exact norms, clipped sums, selections`, async () => {
      const { idx, mask, ref } = batch();
      const keys = empty(N * T * 4),
        vals = empty(N * T * 4);
      const exNorm = buffer(new Uint32Array(B).fill(12345)); // cleared by the first dispatch
      const st: StepValues = { step: 7, lr: 0.1, invB: 1 / 32, noiseStd: 3, key: [11, 22] };
      const csum = empty(N * T * 4),
        sel = empty(N * T * 4);
      const p: FestMapParams = {
        n: N,
        tables: T,
        L,
        B,
        clip: 1.5,
        noiseStd: 0.8,
        tau: 2,
        counts,
      };
      runAll([
        ...sortPairs(
          gpu.device,
          { n: N, used: B * L, L, rows, offIdx: 0, strideIdx: B * L },
          { idx: buffer(idx), mask: buffer(mask), keys, vals },
        ),
        ...festMap(gpu.device, p, { st: stepUniform(st), keys, vals, exNorm, csum, sel }),
      ]);
      expect(Array.from(await u32(keys))).toEqual(Array.from(ref.keys));
      const norms = festNormsRef(p, ref.keys, ref.vals);
      expect(Array.from(await u32(exNorm))).toEqual(Array.from(norms));
      expect(norms.some((v) => v > p.clip * p.clip)).toBe(true); // some maps are clipped
      const want = festCountsRef(p, ref.keys, ref.vals);
      const noisy = festNoisyRef(p, st, ref.keys, want);
      const gotSum = await f32(csum),
        gotSel = await u32(sel);
      let decided = 0,
        selected = 0;
      for (let t = 0; t < T; t++)
        for (const h of heads(ref.keys.subarray(t * N, (t + 1) * N))) {
          const i = t * N + h;
          expect(Math.abs(gotSum[i] - want[i])).toBeLessThan(1e-5 * want[i]);
          // a noisy count within the GPU's normal error of tau may go either way
          if (Math.abs(noisy[i] - p.tau) <= p.noiseStd * NORMAL_ABS + 1e-4) continue;
          decided++;
          expect(gotSel[i]).toBe(noisy[i] > p.tau ? 1 : 0);
          selected += gotSel[i];
        }
      expect(decided).toBeGreaterThan(30);
      expect(selected).toBeGreaterThan(3);
      expect(decided - selected).toBeGreaterThan(3);
    });
});

describe('untouched crossings and the sparse noisy update', () => {
  it('drops touched candidates; updates selected touched and crossed untouched rows only', async () => {
    const { ref } = batch();
    const D = 6,
      cap = 16;
    const lists = rows.map((R, t) => crossingCandidates([3, 4], t, R, 9, 0.25));
    const cand = packCandidates(lists, cap);
    const p = { n: N, tables: T, cap };
    const crossed = empty(T * cap * 4);
    const rowGrad = randn(N * T * D);
    const selArr = Uint32Array.from({ length: N * T }, () => (rng.next() < 0.5 ? 1 : 0));
    const E = randn((rows[0] + rows[1]) * D);
    const bufE = buffer(E);
    const st: StepValues = { step: 9, lr: 0.5, invB: 1 / 32, noiseStd: 1.3, key: [5, 6] };
    const spans = [
      { table: 0, base: 0, rowStart: 0, rows: rows[0] },
      { table: 1, base: rows[0], rowStart: 0, rows: rows[1] },
    ];
    const keys = buffer(ref.keys);
    runAll([
      festCross(gpu.device, p, { keys, cand: buffer(cand), crossed }),
      ...festUpdate(gpu.device, { n: N, D, cap }, spans, {
        st: stepUniform(st),
        keys,
        rowGrad: buffer(rowGrad),
        sel: buffer(selArr),
        crossed,
        E: bufE,
      }),
    ]);
    const wantCrossed = festCrossRef(p, ref.keys, cand);
    expect(Array.from(await u32(crossed))).toEqual(Array.from(wantCrossed));
    // the filter dropped some candidates and kept some
    const kept = wantCrossed.filter((r) => r !== INVALID_ROW).length;
    const drawn = lists.reduce((a, l) => a + l.length, 0);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(drawn);
    const want = E.slice();
    for (let t = 0; t < T; t++) {
      const Et = want.subarray(spans[t].base * D, (spans[t].base + rows[t]) * D);
      festUpdateRef({ n: N, D, cap, table: t, ...st }, ref.keys, rowGrad, selArr, wantCrossed, Et);
    }
    const tol = noiseTolerance(st.lr * st.invB * st.noiseStd);
    const got = await f32(bufE);
    expectClose(got, want, tol.rel, tol.abs);
    // rows neither selected nor crossed are untouched bit for bit, and some exist
    let same = 0;
    for (let i = 0; i < E.length; i++) if (got[i] === E[i]) same++;
    expect(same).toBeGreaterThan(D * 5);
    expect(same).toBeLessThan(E.length);
  });
});

describe('micro-batches: the logical step over summed counts and gradients', () => {
  it('touched rows cross on their noisy count, untouched ones when drawn; C and G cleared', async () => {
    // one shard of table 1 (rows 5 .. 24): row indices are the table's, storage the shard's
    const D = 6,
      cap = 16,
      rs = 20;
    const cand = packCandidates(
      rows.map((R, t) => crossingCandidates([3, 4], t, R, 9, 0.3)),
      cap,
    );
    const p = { rows: rs, D, table: 1, rowStart: 5, cap, noiseStd: 1, tau: 1 };
    // half the rows untouched (C = 0), the others with counts around tau
    const C = Float32Array.from({ length: rs }, (_, i) => (i % 2 ? 0 : 0.25 + 1.5 * rng.next()));
    const G = randn(rs * D),
      E = randn(rs * D);
    const [bufC, bufG, bufE] = [buffer(C), buffer(G), buffer(E)];
    const st: StepValues = { step: 9, lr: 0.5, invB: 1 / 32, noiseStd: 1.3, key: [3, 4] };
    runAll([festApply(gpu.device, p, { st: stepUniform(st), cand: buffer(cand), C: bufC, G: bufG, E: bufE })]);
    const want = E.slice();
    const crossed = festApplyRef({ ...st, ...p, gradStd: st.noiseStd }, cand, C.slice(), G.slice(), want);
    const tol = noiseTolerance(st.lr * st.invB * st.noiseStd);
    const got = await f32(bufE);
    expectClose(got, want, tol.rel, tol.abs);
    // exactly the crossed rows moved; both kinds crossed and both kinds stayed
    const moved = [...Array(rs).keys()].filter((rl) =>
      got.subarray(rl * D, (rl + 1) * D).some((v, c) => v !== E[rl * D + c]),
    );
    expect(moved.map((rl) => rl + 5)).toEqual(crossed);
    for (const touched of [true, false]) {
      const kind = [...Array(rs).keys()].filter((rl) => C[rl] > 0 === touched);
      expect(
        kind.some((rl) => moved.includes(rl)),
        `touched ${touched}`,
      ).toBe(true);
      expect(
        kind.some((rl) => !moved.includes(rl)),
        `touched ${touched}`,
      ).toBe(true);
    }
    expect(Array.from(await f32(bufC)).every((v) => v === 0)).toBe(true);
    expect(Array.from(await f32(bufG)).every((v) => v === 0)).toBe(true);
  });
});

// Scaling as DP-SGD's: when every row is selected (tau far below every count, p = 1), DP-AdaFEST's
// table update is DP-SGD's (rows_update then the eager noise on every row) on the same draws.
describe('every row selected', () => {
  it("equals DP-SGD's table update", async () => {
    const { ref } = batch();
    const D = 8,
      cap = 32;
    const spans = [
      { table: 0, base: 0, rowStart: 0, rows: rows[0] },
      { table: 1, base: rows[0], rowStart: 0, rows: rows[1] },
    ];
    const E = randn((rows[0] + rows[1]) * D);
    const rowGrad = randn(N * T * D);
    const st: StepValues = { step: 3, lr: 0.5, invB: 1 / 32, noiseStd: 1.1, key: [1, 2] };
    const keys = buffer(ref.keys);
    const grad = buffer(rowGrad);
    const cand = packCandidates(
      rows.map((R, t) => crossingCandidates([1, 2], t, R, 3, 1)),
      cap,
    );
    const crossed = empty(T * cap * 4);
    const fest = buffer(E),
      dpsgd = buffer(E);
    runAll([
      festCross(gpu.device, { n: N, tables: T, cap }, { keys, cand: buffer(cand), crossed }),
      ...festUpdate(gpu.device, { n: N, D, cap }, spans, {
        st: stepUniform(st),
        keys,
        rowGrad: grad,
        sel: buffer(new Uint32Array(N * T).fill(1)),
        crossed,
        E: fest,
      }),
      rowsUpdateSpans(gpu.device, { n: N, D }, spans, { st: stepUniform(st), keys, rowGrad: grad, E: dpsgd }),
      tableNoiseFused(gpu.device, { rows: 0, D, table: 0, rowStart: 0, spans }, { st: stepUniform(st), E: dpsgd }),
    ]);
    const a = await f32(fest),
      b = await f32(dpsgd);
    // one update of at most |E| + |lr/B (g + sigma C z)| in two kernels: two roundings apart at most
    const slack = contractionSlack(2, 8, st.lr * st.invB * st.noiseStd);
    expectClose(a, b, 0, slack);
    let moved = 0;
    for (let i = 0; i < E.length; i++) if (a[i] !== E[i]) moved++;
    expect(moved).toBe(E.length); // every row got noise
  });
});
