// DP-FEST (src/kernels/fest-select.ts): the private histogram and top-k on the CPU, and the mask
// and selected-row noise kernels against their references.
import { describe, it, expect } from 'vitest';
import { expectClose } from '../helpers/expect';
import { noiseTolerance } from '../helpers/tolerance';
import { kernelTest } from '../helpers/kernels';
import {
  festHistogram,
  topK,
  festMask,
  festMaskRef,
  festNoiseSelected,
  festNoiseSelectedRef,
  type HistogramParams,
} from '../../src/kernels/fest-select';
import { histogramNoise, packCandidates } from '../../src/noise/fest';
import { INVALID_ROW } from '../../src/data/format';
import type { StepValues } from '../../src/kernels/step';

const gpu = kernelTest(4321);
const { rng, randn, f32, u32, buffer, runAll, stepUniform } = gpu;

const L = 4,
  rows = [50, 40];
/** n examples of both tables, Zipf-like (low rows more often), some slots empty or repeated. */
function data(n: number): Uint32Array[] {
  return rows.map((R) =>
    Uint32Array.from({ length: n * L }, (_, j) =>
      j % 7 === 3 ? INVALID_ROW : Math.min(R - 1, Math.floor(R * rng.next() ** 3)),
    ),
  );
}

describe("DP-FEST's private selection (CPU, once before training)", () => {
  const p: HistogramParams = { rows, L, bound: 1.5, sigma: 2, key: [7, 8] };

  it('each example moves the histogram by at most the bound in L2 (all tables together)', () => {
    const idx = data(60);
    const full = festHistogram(p, idx).counts;
    let worst = 0;
    for (let drop = 0; drop < 60; drop++) {
      const without = idx.map((a) => Uint32Array.from([...a.subarray(0, drop * L), ...a.subarray((drop + 1) * L)]));
      const h = festHistogram(p, without).counts;
      let d2 = 0;
      h.forEach((c, t) => c.forEach((v, r) => (d2 += (full[t][r] - v) ** 2)));
      worst = Math.max(worst, Math.sqrt(d2));
    }
    expect(worst).toBeLessThanOrEqual(p.bound + 1e-12);
    expect(worst).toBeGreaterThan(p.bound * 0.999); // examples with many distinct rows are clipped to it
  });

  it('the noise is sigma * bound times the documented draw of each row', () => {
    const h = festHistogram(p, data(30));
    h.noisy.forEach((c, t) => c.forEach((v, r) => expect(v).toBe(h.counts[t][r] + 3 * histogramNoise(p.key, t, r))));
  });

  it('top-k: the k largest, ties to the lower row, sorted; with tiny noise the true most used rows', () => {
    expect(Array.from(topK(Float64Array.of(1, 5, 3, 5, 0), 2))).toEqual([1, 3]);
    expect(Array.from(topK(Float64Array.of(1, 5, 3, 3, 0), 2))).toEqual([1, 2]);
    expect(Array.from(topK(Float64Array.of(1, 2), 5))).toEqual([0, 1]);
    expect(() => topK(Float64Array.of(1), 0)).toThrow(/k must be/);
    const idx = data(200);
    const h = festHistogram({ ...p, sigma: 1e-9 }, idx);
    const chosen = topK(h.noisy[0], 5);
    const byCount = Array.from(h.counts[0].keys()).sort((a, b) => h.counts[0][b] - h.counts[0][a]);
    expect(new Set(chosen)).toEqual(new Set(byCount.slice(0, 5)));
  });
});

describe("DP-FEST's kernels", () => {
  it('mask: unselected rows of every table become INVALID_ROW, nothing else changes', async () => {
    const used = 24,
      off = 8,
      stride = 40,
      kcap = 6;
    const idx = Uint32Array.from({ length: off + 2 * stride }, () => Math.floor(rng.next() * 45));
    idx[off + 3] = INVALID_ROW;
    const sel = packCandidates([Uint32Array.of(0, 3, 9, 17, 30), Uint32Array.of(1, 2, 3, 4, 5, 44)], kcap);
    const p = { used, tables: 2, offIdx: off, strideIdx: stride, kcap };
    const init = new Uint32Array(idx.length).fill(77);
    const out = buffer(init);
    runAll([festMask(gpu.device, p, { idx: buffer(idx), selected: buffer(sel), idxOut: out })]);
    const want = init.slice();
    festMaskRef(p, idx, sel, want);
    const got = await u32(out);
    expect(Array.from(got.subarray(0, idx.length))).toEqual(Array.from(want));
    expect(want.filter((r) => r === INVALID_ROW).length).toBeGreaterThan(10);
    expect(want.filter((r) => r !== INVALID_ROW && r !== 77).length).toBeGreaterThan(3);
  });

  it('noise on every selected row, and on no other', async () => {
    const D = 5,
      kcap = 8;
    const sel = packCandidates([Uint32Array.of(0, 7, 12, 49), Uint32Array.of(3, 39)], kcap);
    const spans = [
      { table: 0, base: 0, rowStart: 0, rows: rows[0] },
      { table: 1, base: rows[0], rowStart: 0, rows: rows[1] },
    ];
    const E = randn((rows[0] + rows[1]) * D);
    const bufE = buffer(E);
    const st: StepValues = { step: 4, lr: 0.5, invB: 1 / 16, noiseStd: 2, key: [9, 10] };
    runAll([
      festNoiseSelected(gpu.device, { kcap, D }, spans, { st: stepUniform(st), selected: buffer(sel), E: bufE }),
    ]);
    const want = E.slice();
    spans.forEach((s, t) =>
      festNoiseSelectedRef({ kcap, D, table: t }, st, sel, want.subarray(s.base * D, (s.base + s.rows) * D)),
    );
    const tol = noiseTolerance(st.lr * st.invB * st.noiseStd);
    const got = await f32(bufE);
    expectClose(got, want, tol.rel, tol.abs);
    let changed = 0;
    for (let i = 0; i < E.length; i++) if (got[i] !== E[i]) changed++;
    expect(changed).toBe(6 * D);
  });
});
